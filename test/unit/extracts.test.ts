/**
 * The pure parts of certified extracts: the verification code, the signed statement and its
 * checks, the masked summary, the contribution periods, and finding the code in a presented PDF.
 */
import { generateKeyPairSync } from 'node:crypto';
import { signerFromKey } from '../../gateway/src/audit/signing';
import { canonicalJson, sha256Hex } from '../../lib/hash';
import { CODE_PATTERN, CONTENT_TYPE, extractProblem, maskedSummary, newVerificationCode, signExtract, type ExtractContent } from '../../gateway/src/extracts/content';
import { codeInPdf } from '../../gateway/src/extracts/http';
import { KINDS, periodRuns } from '../../gateway/src/extracts/kinds';

const signer = signerFromKey(generateKeyPairSync('ed25519').privateKey);
const content: ExtractContent = {
  type: CONTENT_TYPE,
  kind: 'MARRIAGE_RECORD',
  title: KINDS.MARRIAGE_RECORD.title,
  archive: '常德市档案馆',
  serial: '2026-000042',
  code: 'K7QH-3M9P-X2TD-8W4R',
  issuedAt: '2026-12-02T08:00:00.000Z',
  issuer: '公民',
  purpose: '本人查询',
  subject: { idNumber: '430702198503151239', name: '张建国' },
  ...KINDS.MARRIAGE_RECORD.records({ marriages: [{ kind: 'MARRIAGE', date: '2016-01-08', office: '武陵区婚姻登记处', certificateNumber: 'J430702-2016-000001', archivalCode: 'X', spouseName: '李秀英', spouse: { idNumber: '430702198706222420' } }] }, '2026-12-02'),
  verifyUrl: 'https://archive.example.cn/verify/K7QH-3M9P-X2TD-8W4R',
};

describe('certified extracts', () => {
  it('makes unguessable codes of the published shape', () => {
    const codes = new Set(Array.from({ length: 1000 }, newVerificationCode));
    expect(codes.size).toBe(1000);
    for (const code of codes) expect(code).toMatch(CODE_PATTERN);
    expect(CODE_PATTERN.test('K7QH-3M9P-X2TD-8W4I')).toBe(false); // no I, L, O, U in Crockford base32
  });

  it('verifies a signed extract, and refuses another PDF, an edited content, another key or a broken signature', () => {
    const body = canonicalJson(content);
    const pdf = Buffer.from('%PDF-1.7 the extract');
    const row = { content: body, pdf, pdf_sha256: sha256Hex(pdf), ...signExtract(signer, body, sha256Hex(pdf)) };
    const trusted = new Set([signer.keyId]);
    expect(extractProblem(row, trusted)).toBeNull();
    expect(extractProblem({ ...row, pdf: Buffer.from('%PDF-1.7 the extracT') }, trusted)).toMatch(/PDF does not match/);
    const edited = canonicalJson({ ...content, items: [], noRecord: true });
    expect(extractProblem({ ...row, content: edited }, trusted)).toMatch(/signature does not match/);
    const other = signerFromKey(generateKeyPairSync('ed25519').privateKey);
    expect(extractProblem({ ...row, ...signExtract(other, edited, row.pdf_sha256), content: edited }, trusted)).toMatch(/does not trust/);
    expect(extractProblem({ ...row, key_id: other.keyId }, new Set([other.keyId]))).toMatch(/key id does not match/);
  });

  it('summarises with the name and ID number masked, whatever the extract shows', () => {
    const summary = maskedSummary(content);
    expect(summary).toContain('张**');
    expect(summary).toContain('430***********1239');
    expect(summary).not.toMatch(/张建国|李秀英|J430702|430702198503151239/);
    expect(maskedSummary({ ...content, subject: { idNumber: '430***********1239', name: '张**' } })).toContain('张**');
    expect(maskedSummary({ ...content, items: [], noRecord: true })).toContain('无记录');
  });

  it('states a "no record" certificate for an empty marriage history', () => {
    const none = KINDS.MARRIAGE_RECORD.records({ marriages: [] }, '2026-12-02');
    expect(none).toMatchObject({ noRecord: true, items: [] });
    expect(none.statement).toContain('无婚姻登记记录');
  });

  it('writes contribution months as runs of consecutive periods', () => {
    expect(periodRuns(['202312', '202301', '202302', '202303', '202401', '202306'])).toEqual(['2023-01 至 2023-03', '2023-06', '2023-12 至 2024-01']);
    expect(periodRuns([])).toEqual([]);
  });

  it('finds the code a PDF names, and nothing in what is not a PDF', async () => {
    expect(await codeInPdf(Buffer.from('%PDF-1.7\n1 0 obj << /ExtractCode (K7QH-3M9P-X2TD-8W4R) >> endobj'))).toBe('K7QH-3M9P-X2TD-8W4R');
    expect(await codeInPdf(Buffer.from('%PDF-1.7\n1 0 obj << /ExtractCode (not-a-code) >> endobj'))).toBeUndefined();
    expect(await codeInPdf(Buffer.from('hello'))).toBeUndefined();
  });
});
