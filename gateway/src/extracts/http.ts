/**
 * The extracts' plain HTTP routes: the PDF for the caller who issued it (`GET /extracts/<code>.pdf`,
 * with their token) and the public verification (`GET /verify/<code>`, `POST /verify` with the PDF).
 * Every request is audited (fail closed: 503 when its record cannot be committed); verification is
 * rate-limited per client address.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { PDFDocument, PDFHexString, PDFName, PDFString, type PDFDict } from 'pdf-lib';
import { ErrorCode } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import { ANONYMOUS } from '../../../lib/tokens';
import type { Identity } from '../auth/identity';
import type { AuditEntry, AuditOutcome, AuditRecord } from '../audit/record';
import type { Counters } from '../ratelimit/counters';
import { sha256Hex } from '../../../lib/hash';
import { CODE_PATTERN, maskedSummary, type ExtractContent, type Verification } from './content';
import { statusOf, type ExtractService } from './issue';
import { findExtract, type FoundExtract } from './store';
import { CODE_ENTRY } from './template';
import { verifyPage } from './verify-page';

export interface ExtractRoutesOptions {
  service: ExtractService;
  append(entry: AuditEntry): Promise<AuditRecord>;
  identify(headers: IncomingHttpHeaders): Promise<Identity>;
  requestId(header: string | string[] | undefined): string;
  /** Verification requests per client address and minute; 0 = unlimited. */
  verifyPerMinute: number;
  counters: Counters;
  maxPdfBytes: number;
  logger: Logger;
}

const UNKNOWN: Verification = { status: 'unknown', kind: null, issuedAt: null, summary: null };

function verificationOf(row: FoundExtract | undefined, service: ExtractService, presentedAltered = false): Verification {
  if (!row) return UNKNOWN;
  const status = presentedAltered ? 'altered' : statusOf(row, service.trusted);
  return { status, kind: row.kind, issuedAt: new Date(row.issued_at).toISOString(), summary: maskedSummary(JSON.parse(row.content) as ExtractContent) };
}

/**
 * The code a presented PDF names in its info dictionary, if any: found in the bytes (the template
 * writes it uncompressed, so a damaged copy still names it), else read by parsing the PDF (a copy
 * re-saved by another tool may have compressed it).
 */
export async function codeInPdf(pdf: Buffer): Promise<string | undefined> {
  let code = new RegExp(`/${CODE_ENTRY}\\s*\\(([0-9A-Z-]{19})\\)`).exec(pdf.toString('latin1'))?.[1];
  if (!code) {
    try {
      const doc = await PDFDocument.load(pdf, { ignoreEncryption: true, updateMetadata: false });
      const entry = (doc as unknown as { getInfoDict(): PDFDict }).getInfoDict().lookup(PDFName.of(CODE_ENTRY));
      code = entry instanceof PDFString || entry instanceof PDFHexString ? entry.decodeText() : undefined;
    } catch {
      code = undefined; // not a PDF at all
    }
  }
  return code && CODE_PATTERN.test(code) ? code : undefined;
}

export function extractRoutes(options: ExtractRoutesOptions): express.Router {
  const { service, logger } = options;
  const router = express.Router();

  /** Records one request, then answers; a record that cannot be committed turns the answer into a 503. */
  async function audited(req: Request, res: Response, endpoint: AuditEntry['endpoint'], identity: Identity, what: { operation: string; variables: Record<string, unknown>; status: number; outcome: AuditOutcome; errorCodes?: string[] }, send: () => void) {
    const { principal } = identity;
    try {
      await options.append({
        id: randomUUID(),
        time: new Date(res.locals.startedAt ?? Date.now()).toISOString(),
        requestId: options.requestId(req.headers['x-request-id']),
        endpoint,
        principal: { authenticated: principal.authenticated, sub: principal.sub, name: principal.name ?? null, org: principal.org ?? null, scopes: [...principal.scopes] },
        clientAddress: req.socket.remoteAddress ?? 'unknown',
        purpose: identity.purpose ?? null,
        caseNumber: identity.caseNumber ?? null,
        operationName: what.operation,
        operationType: null,
        documentHash: null,
        document: null,
        variables: what.variables,
        subjects: [],
        fieldsReturned: [],
        fieldsDenied: [],
        outcome: what.outcome,
        errorCodes: what.errorCodes ?? [],
        cacheHit: false,
        durationMs: Math.round((performance.now() - (res.locals.startedMs ?? performance.now())) * 1000) / 1000,
        httpStatus: what.status,
      });
    } catch (err) {
      logger.error({ err }, 'audit record not committed; response refused');
      res.status(503).set('retry-after', '5').json({ errors: [{ message: 'The audit log cannot record this request right now; try again shortly.', extensions: { code: ErrorCode.AUDIT_UNAVAILABLE } }] });
      return;
    }
    send();
  }

  const started: RequestHandler = (_req, res, next) => {
    res.locals.startedAt = Date.now();
    res.locals.startedMs = performance.now();
    next();
  };
  const identity = async (req: Request): Promise<Identity> => options.identify(req.headers).catch((): Identity => ({ principal: ANONYMOUS, basis: { evidence: [] } }));
  const wantsJson = (req: Request) => req.accepts(['text/html', 'application/json']) === 'application/json';

  /** Answers a verification as JSON or as the page, after auditing it. */
  async function answer(req: Request, res: Response, operation: string, variables: Record<string, unknown>, result: Verification) {
    await audited(req, res, 'verify', await identity(req), { operation, variables: { ...variables, status: result.status }, status: 200, outcome: 'OK' }, () => {
      res.setHeader('cache-control', 'no-store');
      if (wantsJson(req)) res.json(result);
      else verifyPage(res, result, variables.code as string | undefined);
    });
  }

  /** Refuses beyond VERIFY_RATE_LIMIT_PER_MINUTE per address (429, audited); a counter store that fails lets the request through. */
  const rateLimited: RequestHandler = async (req, res, next) => {
    if (options.verifyPerMinute <= 0) return next();
    const address = req.socket.remoteAddress ?? 'unknown';
    let count;
    try {
      count = await options.counters.increment(`verify:${address}`, 1, 60_000);
    } catch (err) {
      logger.warn({ err }, 'verification rate limit not counted (counter store unavailable); served unmetered');
      return next();
    }
    if (count.count <= options.verifyPerMinute) return next();
    const retryAfterSeconds = Math.max(1, Math.ceil(count.resetMs / 1000));
    await audited(req, res, 'verify', await identity(req), { operation: 'verifyExtract', variables: { code: req.params.code ?? null }, status: 429, outcome: 'ERROR', errorCodes: [ErrorCode.RATE_LIMITED] }, () => {
      res.status(429).set('retry-after', String(retryAfterSeconds)).json({
        errors: [{ message: `Too many verifications from this address; try again in ${retryAfterSeconds} s.`, extensions: { code: ErrorCode.RATE_LIMITED, limit: 'verifyPerMinute', max: options.verifyPerMinute, retryAfterSeconds } }],
      });
    });
  };

  const fail = (res: Response) => (err: unknown) => {
    const code = (err as { extensions?: { code?: string } }).extensions?.code;
    if (code === ErrorCode.AUDIT_UNAVAILABLE) res.status(503).json({ errors: [{ message: (err as Error).message, extensions: { code } }] });
    else {
      logger.error({ err }, 'extract route failed');
      if (!res.headersSent) res.status(500).json({ errors: [{ message: 'Internal error.', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
    }
  };

  router.get('/extracts/:file', started, (req, res) => {
    void (async () => {
      const who = await options.identify(req.headers);
      const code = /^(.+)\.pdf$/.exec(String(req.params.file))?.[1] ?? '';
      const refuse = (status: number, errorCode: ErrorCode, message: string) =>
        audited(req, res, 'extracts', who, { operation: 'downloadExtract', variables: { code }, status, outcome: status === 401 ? 'UNAUTHENTICATED' : 'DENIED', errorCodes: [errorCode] }, () => {
          res.status(status).json({ errors: [{ message, extensions: { code: errorCode } }] });
        });
      if (who.authError || !who.principal.authenticated) return refuse(401, ErrorCode.UNAUTHENTICATED, 'The PDF is served to the caller who issued the extract: send the same bearer token.');
      const row = CODE_PATTERN.test(code) ? await findExtract(await service.db(), { code }) : undefined;
      // Someone else's extract answers like a missing one: codes are not to be probed through here.
      if (!row || row.issuer_sub !== who.principal.sub) return refuse(404, ErrorCode.FORBIDDEN, 'No extract with this code was issued to you.');
      await audited(req, res, 'extracts', who, { operation: 'downloadExtract', variables: { code }, status: 200, outcome: 'OK' }, () => {
        res.setHeader('content-type', 'application/pdf');
        res.setHeader('content-disposition', `inline; filename="extract-${code}.pdf"`);
        res.setHeader('cache-control', 'private, no-store');
        res.end(row.pdf);
      });
    })().catch(fail(res));
  });

  router.get('/verify', (req, res) => {
    const code = typeof req.query.code === 'string' ? req.query.code.trim().toUpperCase() : '';
    if (code) return res.redirect(303, `/verify/${encodeURIComponent(code)}`);
    verifyPage(res, undefined, undefined);
  });

  router.get('/verify/:code', started, rateLimited, (req, res) => {
    void (async () => {
      const code = String(req.params.code).toUpperCase();
      const row = CODE_PATTERN.test(code) ? await findExtract(await service.db(), { code }) : undefined;
      await answer(req, res, 'verifyExtract', { code }, verificationOf(row, service));
    })().catch(fail(res));
  });

  router.post('/verify', started, rateLimited, express.raw({ type: () => true, limit: options.maxPdfBytes }), (req, res) => {
    void (async () => {
      const pdf = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const sha256 = sha256Hex(pdf);
      const db = await service.db();
      const issued = await findExtract(db, { pdfSha256: sha256 });
      if (issued) return answer(req, res, 'verifyExtractPdf', { code: issued.code, sha256 }, verificationOf(issued, service));
      // Not the bytes of any issued extract: altered when it names one, unknown otherwise.
      const code = await codeInPdf(pdf);
      const named = code ? await findExtract(db, { code }) : undefined;
      await answer(req, res, 'verifyExtractPdf', { code: code ?? null, sha256 }, verificationOf(named, service, true));
    })().catch(fail(res));
  });

  // A body over VERIFY_MAX_PDF_BYTES (or one that cannot be read) is refused as JSON, not Express's HTML page.
  router.use(((err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    res.status(status).json({ errors: [{ message: status === 413 ? `The PDF is larger than ${options.maxPdfBytes} bytes.` : 'The request could not be read.', extensions: { code: ErrorCode.BAD_REQUEST } }] });
  }) as express.ErrorRequestHandler);

  return router;
}
