/**
 * Certified extracts through the gateway, on a real PostgreSQL audit store: each kind is issued,
 * drawn to PNG (pdftoppm, beside the browser screenshots) and read back (pdftotext); the access
 * rules decide who obtains which; a later correction leaves an issued extract unchanged; /verify
 * tells valid, revoked, altered and unknown apart and shows only the masked summary; it is
 * rate-limited and every use is audited.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PDFDocument, rgb, StandardFonts } from 'pdf-lib';
import { DEMO } from '../../subgraphs/common/population';
import { dropDatabase } from '../../lib/db';
import { findRole } from '../../lib/roles';
import { canonicalJson, sha256Hex } from '../../lib/hash';
import { signerFromKey } from '../../gateway/src/audit/signing';
import { CONTENT_TYPE, newVerificationCode, signExtract, type ExtractContent } from '../../gateway/src/extracts/content';
import { renderExtract } from '../../gateway/src/extracts/template';
import { clientToken, gql, testDbUrl } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';
import { launchChromium, SCREENSHOTS } from '../e2e/chromium';

const AUDIT_URL = testDbUrl('postgres', 'extracts')!;
const ISSUE = `mutation Issue($kind: ExtractKind!, $id: ID!) { issueExtract(kind: $kind, idNumber: $id) { code serial issuedAt pdfUrl } }`;
const REVOKE = `mutation Revoke($code: String!, $reason: String!) { revokeExtract(code: $code, reason: $reason) { status revokedAt revocationReason } }`;
const CASE = '(2026)湘0702民初1234号';

/** pdftotext / pdftoppm (poppler-utils, installed by scripts/test-services.sh). */
function poppler(tool: 'pdftotext' | 'pdftoppm', args: string[]): string {
  try {
    return execFileSync(tool, args, { encoding: 'utf8' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${tool} is missing: sudo bash scripts/test-services.sh (or apt-get install -y poppler-utils).`);
    throw err;
  }
}

describe('certified extracts (/extracts/graphql, /verify; PostgreSQL)', () => {
  let fed: Federation;
  let db: pg.Pool;
  let base: string;
  let workDir: string;
  const headers = async (role: string, options: { sub?: string; purpose?: string; caseNumber?: string } = {}) => {
    const r = findRole(role);
    const token = await clientToken({ sub: options.sub ?? `${role}-clerk-1`, scopes: r.scopes, org: r.org, name: '经办人甲', category: r.category });
    return {
      authorization: `Bearer ${token}`,
      'x-access-purpose': encodeURIComponent(options.purpose ?? r.purpose),
      ...(options.caseNumber ? { 'x-case-number': encodeURIComponent(options.caseNumber) } : {}),
    };
  };
  const citizen = (id: string) => headers('citizen', { sub: id, purpose: 'own-records' });
  const issue = async (kind: string, id: string, h: Record<string, string>) => gql(`${base}/extracts/graphql`, ISSUE, { kind, id }, h);
  const download = async (pdfUrl: string, h: Record<string, string>) => fetch(base + new URL(pdfUrl).pathname, { headers: h });
  const pdfOf = async (pdfUrl: string, h: Record<string, string>) => {
    const res = await download(pdfUrl, h);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    return Buffer.from(await res.arrayBuffer());
  };
  /** The PDF's text, and its first page saved as `extract-<name>.png` beside the browser screenshots. */
  const read = (pdf: Buffer, name: string) => {
    const file = path.join(workDir, `${name}.pdf`);
    writeFileSync(file, pdf);
    poppler('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', file, path.join(SCREENSHOTS, `extract-${name}`)]);
    return poppler('pdftotext', ['-layout', file, '-']);
  };
  const verify = async (code: string, accept = 'application/json') => fetch(`${base}/verify/${code}`, { headers: { accept } });
  const verifyPdf = async (pdf: Uint8Array) =>
    (await fetch(`${base}/verify`, { method: 'POST', body: Buffer.from(pdf), headers: { 'content-type': 'application/pdf', accept: 'application/json' } })).json();

  beforeAll(async () => {
    await dropDatabase(AUDIT_URL);
    fed = await startFederation({ env: { AUDIT_DB_URL: AUDIT_URL, VERIFY_RATE_LIMIT_PER_MINUTE: '1000', PUBLIC_URL: 'https://archive.example.cn' } });
    base = fed.url.replace(/\/graphql$/, '');
    db = new pg.Pool({ connectionString: AUDIT_URL, max: 2 });
    workDir = mkdtempSync(path.join(os.tmpdir(), 'af-extracts-'));
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await fed?.stop();
    await db?.end();
    await dropDatabase(AUDIT_URL);
  });

  it('issues a marriage record certificate to the citizen, with every registration, the serial and the code', async () => {
    const h = await citizen(DEMO.husband);
    const res = await issue('MARRIAGE_RECORD', DEMO.husband, h);
    expect(res.errors).toBeUndefined();
    const extract = res.data.issueExtract;
    expect(extract.code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(extract.serial).toMatch(/^20\d\d-\d{6}$/);
    expect(extract.pdfUrl).toBe(`https://archive.example.cn/extracts/${extract.code}.pdf`);
    const text = read(await pdfOf(extract.pdfUrl, h), 'marriage_record');
    // The spouses' names come masked, as the records query gave them to a citizen (no pii:unmasked).
    for (const expected of ['婚姻登记记录证明', '常德市档案馆', '张建国', DEMO.husband, '结婚登记', '离婚登记', '李**', '王*', extract.code, '公民', `〔${extract.serial.slice(0, 4)}〕`]) {
      expect(text).toContain(expected);
    }
    // The certificate numbers the marriage subgraph holds for him are all printed.
    const people = await gql(fed.url, `{ person(idNumber: "${DEMO.husband}") { marriages { certificateNumber } } }`, {}, h);
    for (const m of people.data.person.marriages) expect(text).toContain(m.certificateNumber);
  });

  it('renders each kind, and a "no record" certificate for a person never married', async () => {
    const h = await citizen(DEMO.wife);
    for (const [kind, expected] of [
      ['REAL_ESTATE', ['不动产登记信息查询结果', '不动产权证号', '共同共有']],
      ['SOCIAL_INSURANCE', ['社会保险参保缴费证明', '养老保险', '已缴费']],
      ['MEDICAL_INSURANCE', ['医疗保险参保证明', '参保状态']],
    ] as const) {
      const res = await issue(kind, DEMO.wife, h);
      expect(res.errors).toBeUndefined();
      const text = read(await pdfOf(res.data.issueExtract.pdfUrl, h), kind.toLowerCase());
      for (const s of [...expected, '李秀英', DEMO.wife, res.data.issueExtract.code]) expect(text).toContain(s);
    }
    const married = new Set(fed.population.marriages.flatMap((m) => [m.husband, m.wife]));
    const single = fed.population.persons.findIndex((p, i) => !married.has(i) && p.birthDate < '2000-01-01');
    const person = fed.population.persons[single];
    const mine = await citizen(person.idNumber);
    const res = await issue('MARRIAGE_RECORD', person.idNumber, mine);
    expect(res.errors).toBeUndefined();
    const text = read(await pdfOf(res.data.issueExtract.pdfUrl, mine), 'marriage_record-no-record');
    expect(text).toContain('未发现其婚姻登记记录');
    expect(text).toContain('无记录');
    expect(text).toContain(person.name);
  });

  it('follows the access rules: masked for a court, refused without a case number or for another person', async () => {
    const court = await headers('court', { caseNumber: CASE });
    const res = await issue('MARRIAGE_RECORD', DEMO.husband, court);
    expect(res.errors).toBeUndefined();
    const text = read(await pdfOf(res.data.issueExtract.pdfUrl, court), 'marriage_record-court');
    expect(text).toContain('张**');
    expect(text).toContain('李**');
    expect(text).not.toContain('李秀英');
    expect(text).toContain(findRole('court').org);

    const before = (await db.query('SELECT count(*)::int AS n FROM extract')).rows[0].n;
    // The marriage records need a case number of a court: refused, never a "no record" certificate.
    const noCase = await issue('MARRIAGE_RECORD', DEMO.husband, await headers('court'));
    expect(noCase.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(noCase.data).toBeNull();
    // Medical insurance is not the court's to read.
    const medical = await issue('MEDICAL_INSURANCE', DEMO.husband, court);
    expect(medical.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // A citizen obtains extracts of their own records only.
    const other = await issue('MARRIAGE_RECORD', DEMO.wife, await citizen(DEMO.husband));
    expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await issue('MARRIAGE_RECORD', DEMO.husband, {});
    expect(anonymous.status).toBe(401);
    const { 'x-access-purpose': _, ...noPurpose } = await citizen(DEMO.husband);
    const unstated = await issue('MARRIAGE_RECORD', DEMO.husband, noPurpose);
    expect(unstated.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'X-Access-Purpose' });
    const bad = await issue('MARRIAGE_RECORD', '430702198503151230', court);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await db.query('SELECT count(*)::int AS n FROM extract')).rows[0].n).toBe(before);
  });

  it('serves the PDF to the issuing caller only, and audits the issue with its purpose', async () => {
    const h = await citizen(DEMO.husband);
    const res = await issue('SOCIAL_INSURANCE', DEMO.husband, h);
    const { pdfUrl, code } = res.data.issueExtract;
    expect((await download(pdfUrl, {})).status).toBe(401);
    expect((await download(pdfUrl, await citizen(DEMO.wife))).status).toBe(404);
    expect((await download(pdfUrl, await headers('archivist'))).status).toBe(404);
    // The husband's last two records: the records read and the issue (the downloads tried since are other callers').
    const records = await db.query(`SELECT body::jsonb AS r FROM (SELECT seq, body FROM audit_record WHERE sub = $1 AND purpose = 'own-records' ORDER BY seq DESC LIMIT 2) last ORDER BY seq`, [DEMO.husband]);
    const endpoints = records.rows.map((row) => [row.r.endpoint, row.r.operationName]);
    // The records read (on /graphql, as the citizen) and the issue itself, under one request id.
    expect(endpoints).toEqual([
      ['graphql', 'ExtractSocialInsurance'],
      ['extracts', 'Issue'],
    ]);
    expect(records.rows[0].r.subjects).toContain(DEMO.husband);
    expect(records.rows[0].r.requestId).toBe(records.rows[1].r.requestId);
    expect(records.rows[1].r.variables).toEqual({ kind: 'SOCIAL_INSURANCE', id: DEMO.husband });
    const downloads = await db.query(`SELECT body::jsonb AS r FROM audit_record WHERE operation_name = 'downloadExtract' AND body::jsonb->'variables'->>'code' = $1`, [code]);
    expect(downloads.rows.map((row) => row.r.httpStatus).sort()).toEqual([401, 404, 404]);
  });

  it('keeps an issued extract unchanged after a correction of the records', async () => {
    const wife = await citizen(DEMO.wife);
    const res = await issue('MEDICAL_INSURANCE', DEMO.wife, wife);
    const before = await pdfOf(res.data.issueExtract.pdfUrl, wife);
    const correction = await gql(fed.url, `mutation { correctPersonName(idNumber: "${DEMO.wife}", name: "李秀瑛") { idNumber } }`, {}, await headers('archivist'));
    expect(correction.errors).toBeUndefined();
    try {
      const after = await pdfOf(res.data.issueExtract.pdfUrl, wife);
      expect(sha256Hex(after)).toBe(sha256Hex(before));
      expect(read(after, 'medical_insurance-after-correction')).toContain('李秀英');
      expect((await (await verify(res.data.issueExtract.code)).json()).status).toBe('valid');
      // A new extract shows the corrected name.
      const fresh = await issue('MEDICAL_INSURANCE', DEMO.wife, wife);
      expect(read(await pdfOf(fresh.data.issueExtract.pdfUrl, wife), 'medical_insurance-corrected')).toContain('李秀瑛');
    } finally {
      await gql(fed.url, `mutation { correctPersonName(idNumber: "${DEMO.wife}", name: "李秀英") { idNumber } }`, {}, await headers('archivist'));
    }
  });

  it('verifies by code: valid, with only the masked summary, as JSON and as a page', async () => {
    const h = await citizen(DEMO.husband);
    const { code, issuedAt } = (await issue('MARRIAGE_RECORD', DEMO.husband, h)).data.issueExtract;
    const res = await verify(code);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(['issuedAt', 'kind', 'status', 'summary']);
    expect(body).toMatchObject({ status: 'valid', kind: 'MARRIAGE_RECORD', issuedAt });
    expect(body.summary).toContain('张**');
    expect(body.summary).toContain('430***********1239');
    const page = await verify(code, 'text/html');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('真实有效');
    expect(html).toContain('张**');
    // Nothing the summary does not show: no name, ID number, spouse or certificate number in clear.
    const marriages = (await gql(fed.url, `{ person(idNumber: "${DEMO.husband}") { marriages { certificateNumber office } } }`, {}, h)).data.person.marriages;
    for (const text of [JSON.stringify(body), html]) {
      for (const secret of ['张建国', DEMO.husband, '李秀英', '王芳', DEMO.wife, ...marriages.flatMap((m: any) => [m.certificateNumber, m.office])]) {
        expect(text).not.toContain(secret);
      }
    }
    // As a person scanning the QR code sees it: in headless Chromium, nothing loaded from elsewhere.
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      const requests: string[] = [];
      tab.on('request', (r) => requests.push(new URL(r.url()).host));
      await tab.goto(`${base}/verify/${code}`);
      await expect(tab.locator('.status').textContent()).resolves.toContain('真实有效');
      expect(await tab.locator('body').textContent()).toContain('张**');
      await tab.screenshot({ path: path.join(SCREENSHOTS, 'verify-valid.png'), fullPage: true });
      expect(new Set(requests)).toEqual(new Set([new URL(base).host]));
    } finally {
      await browser.close();
    }
    expect(await (await verify('AAAA-BBBB-CCCC-DDDD')).json()).toEqual({ status: 'unknown', kind: null, issuedAt: null, summary: null });
    expect((await (await verify('not-a-code')).json()).status).toBe('unknown');
  });

  it('verifies a PDF byte for byte: the issued one is valid; a changed byte, an edited record or another key is not', async () => {
    const h = await citizen(DEMO.husband);
    const { code, pdfUrl } = (await issue('MARRIAGE_RECORD', DEMO.husband, h)).data.issueExtract;
    const pdf = await pdfOf(pdfUrl, h);
    expect(await verifyPdf(pdf)).toMatchObject({ status: 'valid', kind: 'MARRIAGE_RECORD' });

    const oneByte = Buffer.from(pdf);
    const at = oneByte.indexOf('stream') + 20;
    oneByte[at] ^= 0x01;
    expect(await verifyPdf(oneByte)).toMatchObject({ status: 'altered', kind: 'MARRIAGE_RECORD' });

    // A record edited: the spouse's name painted over, and the file saved again by another tool.
    const doc = await PDFDocument.load(pdf);
    const page = doc.getPage(0);
    page.drawRectangle({ x: 150, y: 560, width: 200, height: 40, color: rgb(1, 1, 1) });
    page.drawText('Zhao Li', { x: 152, y: 575, size: 10.5, font: await doc.embedFont(StandardFonts.Helvetica) });
    const edited = await doc.save();
    expect(await verifyPdf(edited)).toMatchObject({ status: 'altered', kind: 'MARRIAGE_RECORD' });

    expect((await verifyPdf(Buffer.from('not a pdf'))).status).toBe('unknown');

    // Someone with write access to the database stores a forged extract (the records edited to
    // "no record") signed with their own key: neither its code nor its PDF verifies.
    const row = (await db.query('SELECT * FROM extract WHERE code = $1', [code])).rows[0];
    const genuine = JSON.parse(row.content) as ExtractContent;
    const forgedCode = newVerificationCode();
    const forged: ExtractContent = { ...genuine, type: CONTENT_TYPE, code: forgedCode, items: [], noRecord: true, statement: '经查询，未发现其婚姻登记记录。' };
    const body = canonicalJson(forged);
    const forgedPdf = Buffer.from(await renderExtract(forged));
    const attacker = signerFromKey(generateKeyPairSync('ed25519').privateKey);
    const signature = signExtract(attacker, body, sha256Hex(forgedPdf));
    await db.query(
      `INSERT INTO extract (code, year, serial, kind, subject, issued_at, issuer_sub, issuer_org, purpose, content, pdf, pdf_sha256, key_id, public_key, signature)
       VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [forgedCode, row.year, 999_000 + Math.floor(Math.random() * 999), row.kind, row.subject, row.issuer_sub, row.issuer_org, row.purpose, body, forgedPdf, sha256Hex(forgedPdf), signature.key_id, signature.public_key, signature.signature],
    );
    expect((await (await verify(forgedCode)).json()).status).toBe('altered');
    expect((await verifyPdf(forgedPdf)).status).toBe('altered');
    // The genuine one is unaffected.
    expect((await (await verify(code)).json()).status).toBe('valid');
  });

  it('lets an archivist revoke an extract with a reason; /verify then says revoked', async () => {
    const h = await citizen(DEMO.exWife);
    const { code, pdfUrl } = (await issue('MARRIAGE_RECORD', DEMO.exWife, h)).data.issueExtract;
    const court = await headers('court', { caseNumber: CASE });
    const refused = await gql(`${base}/extracts/graphql`, REVOKE, { code, reason: '登记信息有误' }, court);
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const empty = await gql(`${base}/extracts/graphql`, REVOKE, { code, reason: '  ' }, await headers('archivist'));
    expect(empty.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const res = await gql(`${base}/extracts/graphql`, REVOKE, { code, reason: '登记信息有误，已重新出具' }, await headers('archivist'));
    expect(res.errors).toBeUndefined();
    expect(res.data.revokeExtract).toMatchObject({ status: 'revoked', revocationReason: '登记信息有误，已重新出具' });
    const again = await gql(`${base}/extracts/graphql`, REVOKE, { code, reason: '再次' }, await headers('archivist'));
    expect(again.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const byCode = await (await verify(code)).json();
    expect(byCode.status).toBe('revoked');
    expect(JSON.stringify(byCode)).not.toContain('登记信息有误');
    expect(await verifyPdf(await pdfOf(pdfUrl, h))).toMatchObject({ status: 'revoked' });
    expect(await (await verify(code, 'text/html')).text()).toContain('已撤销');
    // The issuer sees the revocation and its reason.
    const mine = await gql(`${base}/extracts/graphql`, `query($code: String!) { extract(code: $code) { status revocationReason } }`, { code }, h);
    expect(mine.data.extract).toEqual({ status: 'revoked', revocationReason: '登记信息有误，已重新出具' });
  });

  it('rate-limits verification per address and audits every verification', async () => {
    const replica = await startGateway(fed, { AUDIT_DB_URL: AUDIT_URL, VERIFY_RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const url = replica.url.replace(/\/graphql$/, '');
      const code = newVerificationCode();
      expect((await fetch(`${url}/verify/${code}`, { headers: { accept: 'application/json' } })).status).toBe(200);
      expect((await fetch(`${url}/verify/${code}`, { headers: { accept: 'application/json' } })).status).toBe(200);
      const third = await fetch(`${url}/verify/${code}`, { headers: { accept: 'application/json' } });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await third.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
      const records = await db.query(`SELECT body::jsonb AS r FROM audit_record WHERE body::jsonb->>'endpoint' = 'verify' AND body::jsonb->'variables'->>'code' = $1 ORDER BY seq`, [code]);
      expect(records.rows.map((row) => [row.r.httpStatus, row.r.variables.status ?? null, row.r.errorCodes])).toEqual([
        [200, 'unknown', []],
        [200, 'unknown', []],
        [429, null, ['RATE_LIMITED']],
      ]);
    } finally {
      await replica.stop();
    }
  });
});
