/**
 * The public verification page (/verify, /verify/<code>): plain server-rendered HTML in Chinese and
 * English, no script, nothing loaded from elsewhere. It shows what the JSON answer holds, no more.
 */
import type { Response } from 'express';
import type { Verification } from './content';
import { KINDS, type ExtractKind } from './kinds';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STATUS: Record<Verification['status'], { zh: string; en: string; colour: string }> = {
  valid: { zh: '真实有效', en: 'Genuine and valid: the archive issued this extract and has not revoked it.', colour: '#1b6e2d' },
  revoked: { zh: '已撤销', en: 'Revoked: the archive issued this extract but has since revoked it; it no longer certifies anything.', colour: '#9a5b00' },
  altered: { zh: '已被篡改', en: 'Altered: this is not the extract the archive issued (its bytes or its signature do not match).', colour: '#a11' },
  unknown: { zh: '查无此证明', en: 'Unknown: the archive issued no extract with this code.', colour: '#a11' },
};

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Sends the page: the form alone, or the result of a verification. */
export function verifyPage(res: Response, result: Verification | undefined, code: string | undefined): void {
  const status = result && STATUS[result.status];
  const rows = result && result.status !== 'unknown'
    ? [
        ['证明种类 Kind', result.kind ? `${KINDS[result.kind as ExtractKind]?.title ?? ''} ${result.kind}` : '—'],
        ['出具时间 Issued', result.issuedAt ?? '—'],
        ['摘要 Summary (masked)', result.summary ?? '—'],
      ]
    : [];
  const body = `<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>档案证明核验 Verify a certified extract</title>
  <link rel="icon" href="data:,">
  <style>
    body { font-family: system-ui, "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
    h1 { font-size: 1.4rem; } .status { font-size: 1.3rem; font-weight: bold; padding: .6rem 1rem; border-radius: .3rem; color: #fff; }
    table { border-collapse: collapse; margin: 1rem 0; } td { padding: .3rem .8rem .3rem 0; vertical-align: top; } td:first-child { color: #555; white-space: nowrap; }
    code { background: #f3f3f3; padding: .1rem .3rem; } .note { color: #555; font-size: .9rem; line-height: 1.7; }
  </style>
</head>
<body>
  <h1>档案证明核验 · Verify a certified extract</h1>
  ${code ? `<p>验证码 Code: <code>${escapeHtml(code)}</code></p>` : ''}
  ${status ? `<p class="status" style="background:${status.colour}">${status.zh} · ${escapeHtml(result!.status)}</p><p>${escapeHtml(status.en)}</p>` : ''}
  ${rows.length ? `<table>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>` : ''}
  <form method="get" action="/verify">
    <label>验证码 Verification code <input name="code" size="22" placeholder="XXXX-XXXX-XXXX-XXXX" autocomplete="off"></label>
    <button type="submit">核验 Verify</button>
  </form>
  <p class="note">核验页面只显示证明的脱敏摘要；要核验手中的 PDF 是否与出具时逐字节一致，请将其提交到 <code>POST /verify</code>。<br>
  This page shows only the extract's masked summary. To check that a PDF is byte for byte the one issued, send it as the body of <code>POST /verify</code>
  (<code>curl --data-binary @extract.pdf -H 'accept: application/json' …/verify</code>).</p>
</body>
</html>
`;
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.type('html').send(body);
}
