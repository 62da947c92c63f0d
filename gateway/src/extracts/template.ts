/**
 * The layout of every certified extract, top to bottom, in one place:
 *
 *   ┌──────────────────────────────────────────────┐
 *   │ archive name                        ┌──────┐ │
 *   │            TITLE                    │  QR  │ │
 *   │ 编号 serial                          └──────┘ │
 *   │ ──────────────────────────────────── code    │
 *   │ 姓名 / 公民身份号码                           │
 *   │ statement (经查询 …)                          │
 *   │ record 1 heading                             │
 *   │   label  value …                             │
 *   │ record 2 …                      (new pages)  │
 *   │ ──────────────────────────────────────────── │
 *   │ 查询用途 · 经办单位 · 出具机构 · 出具日期      │
 *   │ note: how to verify                          │
 *   │ footer on every page: code · page n / m      │
 *   └──────────────────────────────────────────────┘
 *
 * Everything printed comes from the extract's content (content.ts), so what is signed is what is
 * shown. Only the texts in LABELS are the template's own.
 */
import { PDFDocument, PDFName, PDFString, rgb, type PDFDict } from 'pdf-lib';
import QRCode from 'qrcode';
import { A4, embedSubset, PageWriter, type TextStyle } from './render';
import type { ExtractContent } from './content';

/** The template's own words. */
export const LABELS = {
  /** `2026-000123` → 编号：常德档证〔2026〕000123号 */
  serial: (archive: string, serial: string) => `编号：${archive.replace(/市?档案馆$/, '')}档证〔${serial.slice(0, 4)}〕${serial.slice(5)}号`,
  name: '姓　　名：',
  idNumber: '公民身份号码：',
  purpose: '查询用途：',
  issuer: '经办单位：',
  archive: '出具机构：',
  date: '出具日期：',
  code: '验证码',
  seal: '（档案证明专用章）',
  note: '说明：本证明依据出具之日馆藏档案记录出具，仅证明出具时的档案记载。扫描右上角二维码或访问下列网址并输入验证码，可核验本证明的真伪与效力；核验页面仅显示脱敏摘要。',
  page: (n: number, total: number) => `第 ${n} 页 / 共 ${total} 页`,
  noRecord: '无记录',
} as const;

const MARGIN = { left: 56, right: 56, top: 56, bottom: 64 };
const QR_SIZE = 92;
const RED: [number, number, number] = [0.55, 0.1, 0.1];
const GREY: [number, number, number] = [0.35, 0.35, 0.35];

/** The PDF info entry that names the extract, so a presented copy can be matched to its record even when altered. */
export const CODE_ENTRY = 'ExtractCode';

/** `2026-12-02T08:15:00.000Z` → `2026年12月02日` (the archive's time zone, China Standard Time). */
export function chineseDate(iso: string): string {
  const d = new Date(Date.parse(iso) + 8 * 3600_000);
  return `${d.getUTCFullYear()}年${String(d.getUTCMonth() + 1).padStart(2, '0')}月${String(d.getUTCDate()).padStart(2, '0')}日`;
}

/** Every character the PDF may print, for the font subset. */
function charactersOf(content: ExtractContent): string {
  const strings: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') strings.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(content);
  collect(Object.values(LABELS).filter((v) => typeof v === 'string'));
  strings.push(LABELS.page(0, 0), LABELS.serial(content.archive, content.serial), chineseDate(content.issuedAt));
  return [...new Set(strings.join(''))].join('');
}

/** Draws the extract. The bytes are stored as issued; nothing here needs to be deterministic. */
export async function renderExtract(content: ExtractContent): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const chars = charactersOf(content);
  const regular = await embedSubset(doc, 'regular', chars);
  const bold = await embedSubset(doc, 'bold', chars);
  doc.setTitle(`${content.title} ${content.serial}`);
  doc.setAuthor(content.archive);
  doc.setSubject(content.title);
  doc.setCreator('archive-federation');
  doc.setCreationDate(new Date(content.issuedAt));
  doc.setModificationDate(new Date(content.issuedAt));
  // getInfoDict is not in pdf-lib's typings, but is how its own setters reach the info dictionary.
  (doc as unknown as { getInfoDict(): PDFDict }).getInfoDict().set(PDFName.of(CODE_ENTRY), PDFString.of(content.code));

  const s = {
    archive: { font: bold, size: 13, color: RED },
    title: { font: bold, size: 22, leading: 1.6 },
    meta: { font: regular, size: 10, color: GREY },
    label: { font: bold, size: 10.5 },
    body: { font: regular, size: 10.5, leading: 1.6 },
    heading: { font: bold, size: 11, leading: 1.8 },
    small: { font: regular, size: 8.5, color: GREY, leading: 1.5 },
  } satisfies Record<string, TextStyle>;

  const w = new PageWriter(doc, MARGIN);
  const top = w.y;
  // Header: the archive, the title, the serial; the QR code and the code at the top right.
  const qr = await doc.embedPng(await QRCode.toBuffer(content.verifyUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 0, scale: 6 }));
  w.page.drawImage(qr, { x: A4.width - MARGIN.right - QR_SIZE, y: top - QR_SIZE, width: QR_SIZE, height: QR_SIZE });
  const codeWidth = regular.widthOfTextAtSize(content.code, 8.5);
  w.page.drawText(content.code, { x: A4.width - MARGIN.right - Math.max(codeWidth, QR_SIZE), y: top - QR_SIZE - 12, size: 8.5, font: regular });
  const headerWidth = w.width - QR_SIZE - 12;
  w.text(content.archive, s.archive, { width: headerWidth });
  w.space(6);
  w.text(content.title, s.title, { width: headerWidth, align: 'center' });
  w.text(LABELS.serial(content.archive, content.serial), s.meta, { width: headerWidth });
  w.y = Math.min(w.y, top - QR_SIZE - 18);
  w.rule(8, 1.2);

  // Whom it is about, and what the archive states.
  w.field(LABELS.name, content.subject.name ?? '—', s.label, s.body, 92);
  w.field(LABELS.idNumber, content.subject.idNumber, s.label, s.body, 92);
  w.space(6);
  w.text(content.statement, s.body);
  w.space(4);

  // The records.
  content.items.forEach((item, i) => {
    w.ensure(40);
    w.text(`${i + 1}. ${item.heading}`, s.heading);
    for (const [label, value] of item.fields) w.field(`${label}：`, value, { ...s.body, color: GREY }, s.body, 96, 14);
    w.space(4);
  });
  if (content.noRecord) {
    w.text(LABELS.noRecord, { ...s.title, size: 16, color: RED }, { align: 'center' });
  }

  // Who issued it, when, and how to verify it.
  w.ensure(150);
  w.rule(10);
  if (content.purpose) w.field(LABELS.purpose, content.purpose, s.label, s.body, 80);
  w.field(LABELS.issuer, content.issuer ?? '—', s.label, s.body, 80);
  w.field(LABELS.archive, `${content.archive}${LABELS.seal}`, s.label, s.body, 80);
  w.field(LABELS.date, chineseDate(content.issuedAt), s.label, s.body, 80);
  w.space(10);
  w.text(LABELS.note, s.small);
  w.text(`${content.verifyUrl}    ${LABELS.code} ${content.code}`, s.small);

  // Footer on every page.
  w.pages.forEach((page, i) => {
    const footer = `${content.archive} · ${content.title} · ${LABELS.code} ${content.code} · ${LABELS.page(i + 1, w.pages.length)}`;
    const width = regular.widthOfTextAtSize(footer, 8);
    page.drawText(footer, { x: (A4.width - width) / 2, y: MARGIN.bottom / 2, size: 8, font: regular, color: rgb(...GREY) });
  });
  // No object streams: the info entry above stays plain text, findable in a damaged copy.
  return doc.save({ useObjectStreams: false });
}
