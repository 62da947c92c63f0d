/**
 * Drawing primitives for the extract's PDF (pdf-lib): an A4 page writer with a cursor, wrapped
 * CJK text and page breaks, and the fonts. The fonts are Noto Sans SC (SIL Open Font Licence) as
 * the npm package `@expo-google-fonts/noto-sans-sc` ships them; each PDF embeds a subset holding only
 * the characters it prints (harfbuzz's hb-subset through `subset-font`: the subsetter of
 * @pdf-lib/fontkit drops glyphs of this font). Nothing is fetched at run time.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import subsetFont from 'subset-font';

/** A4 in points. */
export const A4 = { width: 595.28, height: 841.89 };

const FONT_DIR = path.dirname(require.resolve('@expo-google-fonts/noto-sans-sc/package.json'));
const FONT_FILES = { regular: '400Regular/NotoSansSC_400Regular.ttf', bold: '700Bold/NotoSansSC_700Bold.ttf' } as const;
export type FontWeight = keyof typeof FONT_FILES;

const fontFiles = new Map<FontWeight, Promise<Buffer>>();
/** The full font file, read once per process (about 10 MB each). */
function fontFile(weight: FontWeight): Promise<Buffer> {
  let file = fontFiles.get(weight);
  if (!file) {
    file = readFile(path.join(FONT_DIR, FONT_FILES[weight]));
    file.catch(() => fontFiles.delete(weight));
    fontFiles.set(weight, file);
  }
  return file;
}

/** Printable ASCII, always in the subset (codes, dates, URLs). */
const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

/** Embeds `weight` subset to the characters of `text`. */
export async function embedSubset(doc: PDFDocument, weight: FontWeight, text: string): Promise<PDFFont> {
  doc.registerFontkit(fontkit);
  // No layout features: fontkit would substitute alternate digit glyphs after Latin letters, which
  // viewers then space wrongly; plain horizontal CJK text needs none.
  const subset = await subsetFont(await fontFile(weight), ASCII + text, { targetFormat: 'sfnt', keepFeatures: [] });
  return doc.embedFont(subset, { subset: false });
}

export interface TextStyle {
  font: PDFFont;
  size: number;
  /** Line height as a multiple of the size. @default 1.5 */
  leading?: number;
  color?: [number, number, number];
}

/** Splits `text` into lines no wider than `width`, breaking anywhere (Chinese has no spaces to break at). */
export function wrap(text: string, style: TextStyle, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const ch of paragraph) {
      if (line && style.font.widthOfTextAtSize(line + ch, style.size) > width) {
        lines.push(line);
        line = ch;
      } else line += ch;
    }
    lines.push(line);
  }
  return lines;
}

/**
 * Writes top to bottom on A4 pages between the margins, starting a new page (with `onNewPage`
 * drawing its header) when the next block does not fit above `bottom`.
 */
export class PageWriter {
  page: PDFPage;
  y: number;
  readonly pages: PDFPage[] = [];

  constructor(
    readonly doc: PDFDocument,
    readonly margin: { left: number; right: number; top: number; bottom: number },
    private readonly onNewPage: (writer: PageWriter) => void = () => {},
  ) {
    this.page = this.addPage();
    this.y = A4.height - margin.top;
  }

  get width(): number {
    return A4.width - this.margin.left - this.margin.right;
  }

  private addPage(): PDFPage {
    const page = this.doc.addPage([A4.width, A4.height]);
    this.pages.push(page);
    return page;
  }

  /** Makes room for `height` points, on a new page if needed. */
  ensure(height: number): void {
    if (this.y - height >= this.margin.bottom) return;
    this.page = this.addPage();
    this.y = A4.height - this.margin.top;
    this.onNewPage(this);
  }

  /** Wrapped text at `indent` from the left margin, `width` wide (default: to the right margin). */
  text(text: string, style: TextStyle, options: { indent?: number; width?: number; align?: 'left' | 'center' | 'right' } = {}): void {
    const indent = options.indent ?? 0;
    const width = options.width ?? this.width - indent;
    const lineHeight = style.size * (style.leading ?? 1.5);
    for (const line of wrap(text, style, width)) {
      this.ensure(lineHeight);
      const w = style.font.widthOfTextAtSize(line, style.size);
      const x = this.margin.left + indent + (options.align === 'center' ? (width - w) / 2 : options.align === 'right' ? width - w : 0);
      this.y -= lineHeight;
      this.page.drawText(line, { x, y: this.y + (lineHeight - style.size) / 2, size: style.size, font: style.font, color: rgb(...(style.color ?? [0, 0, 0])) });
    }
  }

  /** A label and its value on one line (the value wrapped beside the label). */
  field(label: string, value: string, labelStyle: TextStyle, valueStyle: TextStyle, labelWidth: number, indent = 0): void {
    const lineHeight = valueStyle.size * (valueStyle.leading ?? 1.5);
    const lines = wrap(value, valueStyle, this.width - indent - labelWidth);
    this.ensure(lineHeight);
    const top = this.y;
    this.page.drawText(label, { x: this.margin.left + indent, y: top - lineHeight + (lineHeight - labelStyle.size) / 2, size: labelStyle.size, font: labelStyle.font, color: rgb(...(labelStyle.color ?? [0, 0, 0])) });
    for (const line of lines) {
      this.ensure(lineHeight);
      this.y -= lineHeight;
      this.page.drawText(line, { x: this.margin.left + indent + labelWidth, y: this.y + (lineHeight - valueStyle.size) / 2, size: valueStyle.size, font: valueStyle.font });
    }
  }

  /** A horizontal rule across the text width. */
  rule(gap = 6, thickness = 0.6): void {
    this.ensure(gap * 2);
    this.y -= gap;
    this.page.drawLine({ start: { x: this.margin.left, y: this.y }, end: { x: A4.width - this.margin.right, y: this.y }, thickness, color: rgb(0.55, 0.1, 0.1) });
    this.y -= gap;
  }

  space(points: number): void {
    this.y -= points;
  }
}
