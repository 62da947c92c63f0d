/**
 * The HTML shell of a page: its stylesheet and script (content-hashed URLs on the gateway) and the
 * page's settings as a JSON data block, which the script reads at start. A data block is not
 * executed, so the strict Content-Security-Policy (no inline scripts) still holds.
 */
import type { Bundle } from './bundle';

export interface PageOptions {
  title: string;
  /** Where the page's assets are served, e.g. `/explorer/assets/explorer` (`.js` / `.css` appended). */
  assetBase: string;
  bundle: Bundle;
  /** Settings for the script, serialised into `<script type="application/json" id="page-config">`. */
  config: unknown;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Serialises `value` so that no `</script>` or HTML comment can end the data block early. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Renders the page's HTML. */
export function renderPage({ title, assetBase, bundle, config }: PageOptions): string {
  const v = `?v=${bundle.hash}`;
  const css = bundle.css.length > 0 ? `\n  <link rel="stylesheet" href="${assetBase}.css${v}">` : '';
  return `<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <link rel="icon" href="data:,">${css}
</head>
<body>
  <noscript>This page needs JavaScript. 本页面需要启用 JavaScript。</noscript>
  <div id="root"></div>
  <script type="application/json" id="page-config">${jsonForScript(config)}</script>
  <script src="${assetBase}.js${v}"></script>
</body>
</html>
`;
}
