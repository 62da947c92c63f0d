/// <reference lib="dom" />
/**
 * The auditors' page in the browser: sign in with a token holding `audit:read`, search the audit
 * log, open a record, see whether the hash chain of the searched range is intact, export the
 * range as JSON lines. Plain DOM code, bundled by the gateway (../bundle.ts); no external asset.
 */
import './auditor.css';
import { statusLine } from '../graphql-client';
import { AuditApi, downloadRegister, exportLines, type Filter, type Finding, type RecordSummary } from './api';
import type { AuditorConfig } from './config';
import { overviewSection } from './overview';
import { chainLine, el, OUTCOMES, recordDetail, resultsTable } from './view';

const config = JSON.parse(document.getElementById('page-config')!.textContent!) as AuditorConfig;
const TOKEN_KEY = 'archive-federation.audit.token';
/** Most records one export reads (100 per request). */
const EXPORT_LIMIT = 10_000;
const PAGE_SIZE = 50;

let api: AuditApi | null = null;
let signedInToken: string | null = null;
let shown: RecordSummary[] = [];
let cursor: string | null = null;
let filter: Filter = {};

const { message, say, run } = statusLine(() => signOut());
const chain = el('div', { id: 'chain' });
const results = el('div', { id: 'results' });
const detail = el('div', { id: 'detail-pane' }, el('p', { className: 'muted' }, '点击一条记录查看详情 Click a record to see it in full.'));
const more = el('button', { id: 'more', type: 'button', hidden: true, onclick: () => void run(() => search(true)) }, '加载更多 Load more');

/** The token's claims, for display only (the gateway verifies it). */
function claims(token: string): { sub?: string; org?: string; scope?: string; exp?: number } {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

// ---- sign in ----
const tokenInput = el('textarea', { id: 'token-input', rows: 3, placeholder: 'eyJhbGciOi…', spellcheck: 'false' });
const loginBox = el(
  'section',
  { id: 'login', className: 'card' },
  el('h2', {}, '登录 Sign in'),
  el('label', { for: 'token-input' }, '令牌 Token (JWT, scope audit:read)'),
  tokenInput,
  el(
    'div',
    { className: 'buttons' },
    el('button', { id: 'sign-in', type: 'button', onclick: () => void signIn(tokenInput.value.trim()) }, '登录 Sign in'),
    config.devTokens ? el('button', { id: 'use-auditor', type: 'button', className: 'secondary', onclick: () => void run(useDevAuditor) }, '使用审计员角色 Use the auditor role (development)') : null,
  ),
);
const sessionBox = el('section', { id: 'session', hidden: true });

async function useDevAuditor(): Promise<void> {
  const res = await fetch(`${config.tokenUrl}?role=auditor`);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  await signIn(body.token);
}

async function signIn(token: string): Promise<void> {
  if (!token) return say('请粘贴令牌 Paste a token first.', 'error');
  api = new AuditApi(config.apiUrl, token);
  signedInToken = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  const c = claims(token);
  sessionBox.replaceChildren(
    el('span', {}, '已登录 Signed in: ', el('strong', { id: 'whoami' }, c.sub ?? '?'), ` · ${c.org ?? ''} · ${c.scope ?? ''}`),
    c.exp ? el('span', { className: 'muted' }, ` · 有效至 until ${new Date(c.exp * 1000).toLocaleTimeString()}`) : '',
    el('button', { id: 'sign-out', type: 'button', className: 'secondary', onclick: signOut }, '退出 Sign out'),
  );
  loginBox.hidden = true;
  sessionBox.hidden = false;
  searchForm.hidden = false;
  overviewBox.hidden = false;
  await run(() => search(false));
  await run(overview.refresh);
}

function signOut(): void {
  api = null;
  signedInToken = null;
  sessionStorage.removeItem(TOKEN_KEY);
  loginBox.hidden = false;
  sessionBox.hidden = true;
  searchForm.hidden = true;
  overviewBox.hidden = true;
  results.replaceChildren();
  chain.replaceChildren();
  more.hidden = true;
}

// ---- search ----
const input = (id: string, label: string, attrs: Record<string, unknown> = {}) =>
  el('label', { className: 'field' }, el('span', {}, label), el('input', { id, name: id, autocomplete: 'off', ...attrs }));
const outcomeSelect = el('select', { id: 'f-outcome' }, el('option', { value: '' }, '全部 any'), ...Object.entries(OUTCOMES).map(([v, label]) => el('option', { value: v }, label)));
const searchForm = el(
  'form',
  { id: 'search-form', className: 'card', hidden: true, onsubmit: (e: Event) => (e.preventDefault(), void run(() => search(false))) },
  el(
    'div',
    { className: 'grid' },
    input('f-subject', '主体身份证号 Subject ID', { placeholder: '430702198503151239', maxlength: 18 }),
    input('f-actor', '操作人 Actor (sub)'),
    input('f-org', '机构 Organisation'),
    input('f-purpose', '用途 Purpose (contains)'),
    input('f-category', '类别 Category', { placeholder: 'court' }),
    input('f-grant', '审批单 Grant', { placeholder: 'G-…' }),
    el('label', { className: 'field' }, el('span', {}, '结果 Outcome'), outcomeSelect),
    input('f-from', '起始时间 From', { type: 'datetime-local', step: 1 }),
    input('f-to', '截止时间 To (exclusive)', { type: 'datetime-local', step: 1 }),
  ),
  el(
    'div',
    { className: 'buttons' },
    el('button', { id: 'search', type: 'submit' }, '查询 Search'),
    el('button', { id: 'export', type: 'button', className: 'secondary', onclick: () => void run(exportRange) }, '导出 Export (JSON lines)'),
    el('button', { id: 'register-xlsx', type: 'button', className: 'secondary', onclick: () => void run(() => register('xlsx')) }, '查档登记 Register (XLSX)'),
    el('button', { id: 'register-jsonl', type: 'button', className: 'secondary', onclick: () => void run(() => register('jsonl')) }, '查档登记 Register (JSON lines)'),
    el('button', { type: 'reset', className: 'secondary' }, '清空 Clear'),
  ),
);

const value = (id: string) => (document.getElementById(id) as HTMLInputElement | HTMLSelectElement).value.trim();
/** A `datetime-local` value (the auditor's local time) as ISO-8601 UTC. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

function readFilter(): Filter {
  const f: Filter = {
    subject: value('f-subject'),
    actor: value('f-actor'),
    org: value('f-org'),
    purpose: value('f-purpose'),
    category: value('f-category'),
    grant: value('f-grant'),
    outcome: value('f-outcome'),
    from: instant(value('f-from')),
    to: instant(value('f-to')),
  };
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v)) as Filter;
}

const rangeText = (f: Filter) => (f.from || f.to ? `${f.from ?? '…'} – ${f.to ?? '…'}` : '全部日志 whole log');

/**
 * Bumped by every new search. An answer to a search a newer one replaced is dropped, so the results
 * shown are always the last search's. The whole-log search at sign-in can be answered after the
 * auditor's own first search.
 */
let searchGeneration = 0;

async function search(next: boolean): Promise<void> {
  if (!api) return;
  const generation = next ? searchGeneration : ++searchGeneration;
  if (!next) {
    filter = readFilter();
    shown = [];
    cursor = null;
    say('查询中 Searching…');
    // The chain is verified over the time range only: other filters pick records, not a chain segment.
    const status = await api.chainStatus(filter.from, filter.to);
    if (generation !== searchGeneration) return;
    chain.replaceChildren(chainLine(status, rangeText(filter)));
  }
  const page = await api.search(filter, PAGE_SIZE, cursor);
  if (generation !== searchGeneration) return;
  shown = [...shown, ...page.records];
  cursor = page.endCursor;
  results.replaceChildren(resultsTable(shown, (id) => void run(() => open(id))), more);
  more.hidden = !page.hasNextPage;
  say(`${shown.length}${page.hasNextPage ? '+' : ''} 条记录 records (newest first). 本次查询也已记入日志 This search is itself in the log.`);
}

async function open(id: string): Promise<void> {
  const record = await api!.record(id);
  if (!record) throw new Error(`Record ${id} not found.`);
  detail.replaceChildren(recordDetail(record));
  results.querySelectorAll('tr[data-id]').forEach((tr) => tr.classList.toggle('selected', tr.getAttribute('data-id') === id));
}

/** Downloads every record of the current search, oldest first, as JSON lines (built here: the audit API has no export call). */
async function exportRange(): Promise<void> {
  if (!api) return;
  const f = readFilter();
  const status = await api.chainStatus(f.from, f.to);
  const { records, truncated } = await api.all(f, EXPORT_LIMIT, (n) => say(`导出中 Exporting… ${n}`));
  const blob = new Blob([exportLines(f, status, records, truncated)], { type: 'application/x-ndjson' });
  const url = URL.createObjectURL(blob);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const link = el('a', { href: url, download: `audit-${stamp}.jsonl` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  say(`已导出 Exported ${records.length} 条记录 records${truncated ? ` (first ${EXPORT_LIMIT}; narrow the range for the rest)` : ''}.`);
}

/** Downloads the utilisation register of the From–To period (default: the last 30 days), built by the server. */
async function register(format: 'xlsx' | 'jsonl'): Promise<void> {
  if (!signedInToken) return;
  const f = readFilter();
  const to = f.to ?? new Date().toISOString();
  const from = f.from ?? new Date(Date.parse(to) - 30 * 86_400_000).toISOString();
  say('登记簿生成中 Building the register…');
  await downloadRegister(config.registerUrl, signedInToken, format, from, to);
  say(`已下载查档登记 Register downloaded: ${from} – ${to} (one row per released subject). 本次下载也已记入日志 The download is itself in the log.`);
}

// ---- overview and findings ----
const SEARCH_FIELDS = ['f-subject', 'f-actor', 'f-org', 'f-purpose', 'f-category', 'f-grant', 'f-outcome', 'f-from', 'f-to'];
const overview = overviewSection({
  api: () => api,
  run,
  search(fields) {
    for (const id of SEARCH_FIELDS) (document.getElementById(id) as HTMLInputElement).value = fields[id] ?? '';
    void run(() => search(false));
  },
  showFinding(f: Finding) {
    results.replaceChildren(resultsTable(f.records, (id) => void run(() => open(id))));
    more.hidden = true;
    say(`${f.rule} · ${f.requester.sub} · ${f.window}: ${f.records.length}/${f.recordSeqs.length} 条记录 records`);
  },
});
const overviewBox = overview.box;

// ---- page ----
document.getElementById('root')!.replaceChildren(
  el(
    'header',
    { className: 'top' },
    el('h1', {}, '审计日志 Audit log'),
    el('span', { className: 'muted' }, `档案联邦 archive-federation · ${config.apiUrl}`),
    config.explorerUrl ? el('a', { href: config.explorerUrl }, '查询浏览器 Explorer') : null,
  ),
  loginBox,
  sessionBox,
  overviewBox,
  searchForm,
  message,
  chain,
  el('div', { className: 'columns' }, results, detail),
);

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void signIn(saved);
