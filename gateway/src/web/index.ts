/**
 * The gateway's browser pages, served by the gateway itself with no external asset, so they work
 * on an offline intranet:
 *
 * - `/explorer` (not in production): GraphiQL with example operations, a role picker and the
 *   declared-purpose headers; `/explorer/token?role=<key>` mints the role's development token.
 * - `/audit`: the auditors' page over the audit API at `/audit/graphql` (scope `audit:read`).
 * - `/me`: the citizens' page (谁查了我的档案) over `/me/graphql` (scope `self`).
 *
 * Scripts are bundled with esbuild at first use (warmed at start in development) and kept in
 * memory (bundle.ts).
 */
import path from 'node:path';
import type express from 'express';
import type { RequestHandler } from 'express';
import type { Config } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import { ROLES } from '../../../lib/roles';
import { accessPolicyOf } from '../../../lib/access-policy';
import type { AccessPolicy } from '../../../lib/legal-basis';
import { assetHandler, lazyBundle, pageHeaders, type LazyBundle } from './bundle';
import { devTokenHandler } from './dev-token';
import type { AuditorConfig } from './auditor/config';
import type { ExplorerConfig } from './explorer/config';
import type { MeConfig } from './me/config';
import { exampleOperations } from './explorer/examples';
import { renderPage } from './page';

export interface WebPagesOptions {
  config: Config;
  logger: Logger;
  /** Where the explorer is served (never in production). @default /explorer */
  explorerPath?: string;
  /** Where the auditors' page is served. @default /audit */
  auditPath?: string;
  /** The audit API the auditors' page calls. @default /audit/graphql */
  auditApiPath?: string;
  /** The utilisation register the auditors' page downloads (`.xlsx`, `.jsonl`). @default /audit/register */
  registerPath?: string;
  /** Where the citizens' page is served. @default /me */
  mePath?: string;
  /** The access-history API the citizens' page calls. @default /me/graphql */
  meApiPath?: string;
  /** The gateway's GraphQL endpoint (the explorer's target, and Apollo Sandbox's page). @default /graphql */
  graphqlPath?: string;
  /** Build the bundles right away, in the background, so the first page load does not wait. @default NODE_ENV === 'development' */
  warm?: boolean;
}

/** Serves the explorer (unless production), the auditors' page and the citizens' page on `app`. */
export function mountWebPages(app: express.Express, options: WebPagesOptions): void {
  const { config, logger, explorerPath = '/explorer', auditPath = '/audit', auditApiPath = '/audit/graphql', registerPath = '/audit/register', mePath = '/me', meApiPath = '/me/graphql', graphqlPath = '/graphql' } = options;
  const production = config.NODE_ENV === 'production';
  const devTokens = !production && Boolean(config.JWT_SECRET);
  const tokenUrl = `${explorerPath}/token`;

  const auditor = lazyBundle({ name: 'auditor', entry: path.join(__dirname, 'auditor', 'client.ts'), logger });
  const auditorConfig: AuditorConfig = { apiUrl: auditApiPath, registerUrl: registerPath, tokenUrl, devTokens, explorerUrl: production ? null : explorerPath };
  servePage(app, auditPath, { title: '审计日志 Audit log', bundle: auditor, config: () => auditorConfig, logger });

  const me = lazyBundle({ name: 'me', entry: path.join(__dirname, 'me', 'client.ts'), logger });
  const meConfig: MeConfig = { apiUrl: meApiPath, tokenUrl, devTokens };
  servePage(app, mePath, { title: '谁查了我的档案 Who looked at my records', bundle: me, config: () => meConfig, logger });

  if (!production) {
    const explorer = lazyBundle({ name: 'explorer', entry: path.join(__dirname, 'explorer', 'client.ts'), logger });
    // Computed once: the 50-person example generates the first 50 persons of the seed.
    let explorerConfig: ExplorerConfig | undefined;
    const configOf = () =>
      (explorerConfig ??= {
        graphqlUrl: graphqlPath,
        tokenUrl,
        devTokens,
        auditUrl: auditPath,
        sandboxUrl: graphqlPath,
        roles: ROLES,
        examples: exampleOperations(),
        ...purposeCatalogue(accessPolicyOf(config.ACCESS_POLICY_DIR)),
      });
    servePage(app, explorerPath, { title: '档案联邦 Explorer', bundle: explorer, config: configOf, logger });
    app.get(tokenUrl, devTokenHandler(config));
    if (options.warm ?? config.NODE_ENV === 'development') warm([explorer, auditor, me], logger);
  }
}

interface PageRoute {
  title: string;
  bundle: LazyBundle;
  config(): unknown;
  logger: Logger;
}

/** `GET <base>` (the HTML) and `GET <base>/assets/<name>.js|.css`. */
function servePage(app: express.Express, base: string, { title, bundle, config, logger }: PageRoute): void {
  const name = path.basename(base);
  const assetBase = `${base}/assets/${name}`;
  const page: RequestHandler = async (_req, res) => {
    let built;
    try {
      built = await bundle.get();
    } catch (err) {
      logger.error({ err }, 'browser bundle failed to build');
      res.status(503).type('text/plain').send(`This page could not be built: ${(err as Error).message}\nIs \`npm ci\` complete (dev dependencies included)?`);
      return;
    }
    pageHeaders(res);
    res.setHeader('cache-control', 'no-cache');
    res.type('html').send(renderPage({ title, assetBase, bundle: built, config: config() }));
  };
  app.get(base, page);
  app.get(`${assetBase}.js`, assetHandler(bundle, 'js', logger));
  app.get(`${assetBase}.css`, assetHandler(bundle, 'css', logger));
}

function warm(bundles: LazyBundle[], logger: Logger): void {
  for (const bundle of bundles) bundle.get().catch((err) => logger.warn({ err }, 'browser bundle failed to build; its page answers 503 until it builds'));
}

/** The catalogue as the explorer shows it. */
function purposeCatalogue(policy: AccessPolicy): Pick<ExplorerConfig, 'purposes' | 'evidenceKinds'> {
  return {
    purposes: [...policy.catalogue.purposes.values()].map((p) => ({
      code: p.code, name: p.name, nameZh: p.nameZh, fields: Object.values(p.fields).flat(), users: policy.usersOf(p.code),
    })),
    evidenceKinds: [...policy.catalogue.evidence.values()].map((e) => ({ kind: e.kind, nameZh: e.nameZh, example: e.example })),
  };
}
