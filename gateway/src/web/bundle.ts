/**
 * Browser bundles built on the fly with esbuild and kept in memory. The pages must work on an
 * offline intranet, so every byte they load (React, GraphiQL, CodeMirror, fonts) comes from the
 * gateway itself; building at first use (or warm-up) rather than in a build step keeps `npm start`,
 * `npm run gateway` and the tests free of a separate build and of a generated folder to keep fresh.
 * The compiled gateway (`npm run build`, dist/) ships them prebuilt beside the entry instead
 * (`client.bundle.js`/`.css`), because its image holds neither the pages' sources nor the
 * development dependencies they are built from.
 */
import { sha256Hex } from '../../../lib/hash';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { RequestHandler, Response } from 'express';
import { build as esbuild } from 'esbuild';
import type { Logger } from '../../../lib/logger';

/** One built bundle: the script, its stylesheet (empty when the entry imports no CSS) and their hashes. */
export interface Bundle {
  js: Buffer;
  css: Buffer;
  /** The same, gzip-compressed once (GraphiQL is ~1.2 MB of script, ~0.4 MB gzipped). */
  gzip: { js: Buffer; css: Buffer };
  /** Short content hash of js + css, used as the ETag and in asset URLs (cache busting). */
  hash: string;
  /** How long esbuild took, for the log line. */
  buildMs: number;
}

export interface LazyBundleOptions {
  /** Human name for logs and errors, e.g. `explorer`. */
  name: string;
  /** Absolute path of the entry module (TypeScript, browser code). */
  entry: string;
  logger: Logger;
  /** Minify (smaller download; names unreadable in the browser's devtools). @default true */
  minify?: boolean;
}

/** A bundle built once, on the first `get()`; a failed build is retried on the next call. */
export interface LazyBundle {
  get(): Promise<Bundle>;
}

/** Creates the lazy bundle; nothing runs until `get()` (esbuild starts its service on first use). */
export function lazyBundle(options: LazyBundleOptions): LazyBundle {
  let pending: Promise<Bundle> | undefined;
  return {
    get() {
      pending ??= build(options).catch((err) => {
        // Forget the failure so a fixed install (e.g. `npm ci` with dev dependencies) works without a restart.
        pending = undefined;
        throw err;
      });
      return pending;
    },
  };
}

const gzip = promisify(gzipCallback);

/** Where `npm run build` writes the prebuilt script and stylesheet of `entry` (`…/client.ts` -> `…/client.bundle.js`, `.css`). */
export function prebuiltPaths(entry: string): { js: string; css: string } {
  const base = entry.replace(/\.ts$/, '');
  return { js: `${base}.bundle.js`, css: `${base}.bundle.css` };
}

async function build({ name, entry, logger, minify = true }: LazyBundleOptions): Promise<Bundle> {
  const started = Date.now();
  const prebuilt = prebuiltPaths(entry);
  const fromBuild = existsSync(prebuilt.js);
  const { js, css } = fromBuild
    ? { js: await readFile(prebuilt.js), css: existsSync(prebuilt.css) ? await readFile(prebuilt.css) : Buffer.alloc(0) }
    : await compileBundle(name, entry, minify);
  const hash = sha256Hex(Buffer.concat([js, css])).slice(0, 16);
  const buildMs = Date.now() - started;
  logger.info({ bundle: name, jsBytes: js.length, cssBytes: css.length, buildMs, prebuilt: fromBuild }, fromBuild ? 'browser bundle loaded' : 'browser bundle built');
  const [jsGzip, cssGzip] = await Promise.all([gzip(js), gzip(css)]);
  return { js, css, gzip: { js: jsGzip, css: cssGzip }, hash, buildMs };
}

/** Bundles the browser entry `entry` with esbuild, in memory: its script and stylesheet. */
export async function compileBundle(name: string, entry: string, minify = true): Promise<{ js: Buffer; css: Buffer }> {
  const result = await esbuild({
    entryPoints: { [name]: entry },
    bundle: true,
    write: false,
    outdir: '/virtual', // nothing is written: outputFiles are matched by extension below
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify,
    // React and graphql-js pick their production builds; nothing reads `process` in the browser.
    define: { 'process.env.NODE_ENV': '"production"' },
    // Fonts and images referenced from CSS are inlined, so the stylesheet needs no further requests.
    loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.png': 'dataurl', '.svg': 'dataurl' },
    legalComments: 'eof',
    logLevel: 'silent',
  });
  const file = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.contents ?? new Uint8Array();
  return { js: Buffer.from(file('.js')), css: Buffer.from(file('.css')) };
}

/**
 * The Content-Security-Policy of every page: scripts, styles, fonts and API calls only from the
 * gateway itself. It documents (and enforces in the browser) that the pages never reach out to a
 * CDN. Inline styles stay allowed because React and CodeMirror set `style` attributes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Sets the headers every page and asset shares. */
export function pageHeaders(res: Response): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
}

/**
 * Serves `kind` of `bundle`. Asset URLs carry the content hash (`?v=<hash>`), so a response may be
 * cached for good; an unversioned request is revalidated by ETag. A failed build is a 503 whose
 * text says why, instead of a page that silently stays blank.
 */
export function assetHandler(bundle: LazyBundle, kind: 'js' | 'css', logger: Logger): RequestHandler {
  const type = kind === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8';
  return async (req, res) => {
    let built: Bundle;
    try {
      built = await bundle.get();
    } catch (err) {
      logger.error({ err }, 'browser bundle failed to build');
      res.status(503).type('text/plain').send(`The page's script could not be built: ${(err as Error).message}`);
      return;
    }
    pageHeaders(res);
    const etag = `"${built.hash}"`;
    res.setHeader('etag', etag);
    res.setHeader('vary', 'accept-encoding');
    res.setHeader('cache-control', req.query.v === built.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    const gzipped = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzipped) res.setHeader('content-encoding', 'gzip');
    res.type(type).send((gzipped ? built.gzip : built)[kind]);
  };
}
