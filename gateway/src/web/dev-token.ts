/**
 * `GET /explorer/token?role=<key>[&sub=<id>]`: a client token for one of the roles of lib/roles.ts,
 * minted by the gateway itself, so a newcomer can try each role from the explorer (and an auditor
 * the audit page) without running `npm run token`. Development only: it is never mounted with
 * NODE_ENV=production, and answers loopback clients calling it by a local name only, because
 * whoever can call it gets any role, archivist included.
 */
import type { RequestHandler } from 'express';
import type { Config } from '../../../lib/config';
import { idNumberProblem } from '../../../lib/id-number';
import { ROLES } from '../../../lib/roles';
import { signClientToken } from '../../../lib/tokens';
import { DEMO } from '../../../lib/demo';

/** Lifetime of a development token. @default 1 hour */
export const DEV_TOKEN_TTL_SECONDS = 3600;

/** What the endpoint answers (JSON). */
export interface DevTokenResponse {
  token: string;
  role: string;
  sub: string;
  scopes: string[];
  org: string;
  /** The requester category the token carries. */
  category: string;
  /** The role's typical declared purpose and evidence, to prefill X-Access-Purpose and X-Evidence. */
  purpose: string;
  evidence: string[];
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
/** Host names a browser on this machine uses for the gateway; PUBLIC_HOST and DEV_TOKEN_HOSTS add to them. */
const LOCAL_HOST_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** The host name of a `Host` header, lower-cased, without its port (`[::1]:4000` -> `[::1]`). */
function hostName(header: string | undefined): string {
  const host = (header ?? '').trim().toLowerCase();
  const bracketed = /^(\[[^\]]*\])(:\d+)?$/.exec(host);
  if (bracketed) return bracketed[1];
  return host.replace(/:\d+$/, '');
}

/** The handler; mount it only when `config.NODE_ENV !== 'production'`. */
export function devTokenHandler(config: Config): RequestHandler {
  const hosts = new Set([...LOCAL_HOST_NAMES, config.PUBLIC_HOST.toLowerCase(), ...config.DEV_TOKEN_HOSTS]);
  return async (req, res) => {
    res.setHeader('cache-control', 'no-store');
    if (!LOOPBACK.test(req.socket.remoteAddress ?? '')) {
      res.status(403).json({ error: 'Development tokens are handed out to this machine (loopback) only; use `npm run token -- --role <role>`.' });
      return;
    }
    // DNS rebinding: a page from evil.example whose name now resolves to 127.0.0.1 calls from a
    // loopback address, but its requests still carry its own Host.
    if (!hosts.has(hostName(req.headers.host))) {
      res.status(403).json({ error: `Development tokens are handed out under ${[...hosts].join(', ')} only (Host header); add a name to DEV_TOKEN_HOSTS to allow it.` });
      return;
    }
    if (!config.JWT_SECRET) {
      res.status(501).json({ error: 'The gateway verifies tokens against a JWKS, so it cannot mint one; get a token from your identity provider.' });
      return;
    }
    const key = String(req.query.role ?? '');
    const role = ROLES.find((r) => r.key === key);
    if (!role) {
      res.status(400).json({ error: `Unknown role "${key}"; one of: ${ROLES.map((r) => r.key).join(', ')}.` });
      return;
    }
    // A citizen's `sub` is their own ID number (the row-level rule compares against it).
    let sub = `${role.key}-dev`;
    if (role.category === 'citizen') {
      sub = typeof req.query.sub === 'string' && req.query.sub ? req.query.sub : DEMO.husband;
      const problem = idNumberProblem(sub);
      if (problem) {
        res.status(400).json({ error: `sub ${problem}.` });
        return;
      }
    }
    const expiresAt = Math.floor(Date.now() / 1000) + DEV_TOKEN_TTL_SECONDS;
    const token = await signClientToken(
      { sub, name: role.labelZh, org: role.org, scopes: role.scopes, category: role.category },
      { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttl: DEV_TOKEN_TTL_SECONDS },
    );
    const body: DevTokenResponse = { token, role: role.key, sub, scopes: role.scopes, org: role.org, category: role.category, purpose: role.purpose, evidence: role.evidence, expiresAt };
    res.json(body);
  };
}
