/// <reference lib="dom" />
/**
 * DOM building for the auditors' page. Record contents (purposes, documents, variables) are the
 * callers' text, so everything goes in through `textContent`, never `innerHTML`.
 */
import type { ChainStatus, FullRecord, RecordSummary } from './api';

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (`on*` functions become listeners) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value as EventListener);
    else if (key === 'className') node.className = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Chinese and English names of the outcomes. */
export const OUTCOMES: Record<string, string> = {
  OK: '成功 OK',
  PARTIAL: '部分拒绝 PARTIAL',
  DENIED: '拒绝 DENIED',
  ERROR: '错误 ERROR',
  UNAUTHENTICATED: '未认证 UNAUTHENTICATED',
};

/** Chinese and English names of the endpoints a record can come from. */
const ENDPOINTS: Record<string, string> = {
  graphql: '查询接口 /graphql',
  audit: '审计接口 /audit/graphql',
  me: '公民查询记录 /me/graphql',
  extracts: '档案证明 /extracts',
  verify: '证明核验 /verify',
};

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO time in the auditor's local time zone, `YYYY-MM-DD HH:mm:ss`. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const list = (items: string[]) => (items.length ? items.join(', ') : '—');

/** The results table; `onOpen` is called with the id of the clicked row. */
export function resultsTable(records: RecordSummary[], onOpen: (id: string) => void): HTMLTableElement {
  const head = ['时间 Time', '操作人 Actor', '机构 Org', '用途 Purpose', '操作 Operation', '主体 Subjects', '结果 Outcome'];
  return el(
    'table',
    { className: 'results' },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el(
      'tbody',
      {},
      ...records.map((r) =>
        el(
          'tr',
          { 'data-id': r.id, tabindex: 0, title: 'Open the record 查看记录', onclick: () => onOpen(r.id), onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && onOpen(r.id) },
          el('td', { className: 'nowrap' }, localTime(r.time)),
          el('td', {}, r.principal.sub, r.principal.name ? el('div', { className: 'muted' }, r.principal.name) : null),
          el('td', {}, r.principal.org ?? '—'),
          el('td', {}, r.purpose ?? '—', r.caseNumber ? el('div', { className: 'muted' }, r.caseNumber) : null),
          el('td', {}, r.endpoint !== 'graphql' ? el('span', { className: 'tag' }, r.endpoint) : null, r.operationName ?? '(anonymous)'),
          el('td', { className: 'mono ids' }, ...(r.subjects.length ? r.subjects.map((id) => el('div', {}, id)) : ['—'])),
          el('td', {}, el('span', { className: `outcome outcome-${r.outcome}` }, OUTCOMES[r.outcome] ?? r.outcome), r.errorCodes.length ? el('div', { className: 'muted' }, r.errorCodes.join(' ')) : null),
        ),
      ),
    ),
  );
}

function prettyVariables(text: string | null): string {
  if (!text) return '—';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const row = (label: string, value: Child, className = '') => el('tr', {}, el('th', {}, label), el('td', { className }, value ?? '—'));
const codes = (items: string[]) => (items.length ? el('ul', { className: 'codes' }, ...items.map((i) => el('li', {}, i))) : '—');

/** The detail view of one record. */
export function recordDetail(r: FullRecord): HTMLElement {
  return el(
    'section',
    { className: 'detail', id: 'detail', 'data-id': r.id },
    el('h2', {}, `记录 Record #${r.seq}`, el('span', { className: `outcome outcome-${r.outcome}` }, OUTCOMES[r.outcome] ?? r.outcome)),
    el(
      'table',
      { className: 'fields' },
      row('记录编号 Record ID', r.id, 'mono'),
      row('时间 Time', `${localTime(r.time)} (${r.time})`),
      row('请求编号 Request ID', r.requestId, 'mono'),
      row('接口 Endpoint', ENDPOINTS[r.endpoint] ?? r.endpoint),
      row('操作人 Actor', `${r.principal.sub}${r.principal.name ? ` (${r.principal.name})` : ''}${r.principal.authenticated ? '' : ' — 匿名 anonymous'}`),
      row('机构 Org', r.principal.org),
      row('权限 Scopes', list(r.principal.scopes), 'mono'),
      row('客户端地址 Client address', r.clientAddress, 'mono'),
      row('类别 Category', r.basis?.category ?? r.principal.category),
      row('用途 Purpose', r.purpose),
      row('案号 Case number', r.caseNumber),
      row('凭证 Evidence', list((r.basis?.evidence ?? []).map((e) => `${e.kind}=${e.reference}`)), 'mono'),
      row('审批单 Grant', r.basis?.grant ? `${r.basis.grant.id} (审批人 approved by ${r.basis.grant.approvedBy})` : null, 'mono'),
      row('操作 Operation', `${r.operationType ?? '?'} ${r.operationName ?? '(anonymous)'}`),
      row('主体身份证号 Subjects', codes(r.subjects), 'mono'),
      row('返回字段 Fields returned', codes(r.fieldsReturned), 'mono'),
      row('拒绝字段 Fields denied', codes(r.fieldsDenied), 'mono denied'),
      row('错误码 Error codes', list(r.errorCodes), 'mono'),
      row('缓存命中 Cache hit', r.cacheHit ? '是 yes' : '否 no'),
      row('耗时 Duration', `${r.durationMs.toFixed(1)} ms · HTTP ${r.httpStatus}`),
      row('字符已替换 Characters replaced in', list(r.normalised), 'mono'),
      row('已截短 Stored shortened', list(r.truncated), 'mono'),
      row('前一哈希 Previous hash', r.prevHash, 'mono small'),
      row('哈希 Hash', r.hash, 'mono small'),
    ),
    el('h3', {}, '查询文本 Operation'),
    el('pre', { className: 'code' }, r.document ?? '—'),
    el('h3', {}, '变量 Variables'),
    el('pre', { className: 'code' }, prettyVariables(r.variables)),
  );
}

/** The chain verification line for the shown range. */
export function chainLine(status: ChainStatus, range: string): HTMLElement {
  const seqs = status.records ? `seq ${status.firstSeq}–${status.lastSeq}` : '';
  const anchored = status.anchored ? '起点已锚定 anchored' : '起点未锚定 not anchored (compare with the previous range)';
  const detail = `${range}: ${status.records} 条记录 records ${seqs} · ${status.checkpoints} 个签名检查点 signed checkpoints · ${anchored}`;
  return el(
    'div',
    { id: 'chain-status', className: `chain ${status.ok ? 'chain-ok' : 'chain-bad'}`, 'data-ok': String(status.ok) },
    el('strong', {}, status.ok ? '✔ 哈希链完整 Chain intact' : `✘ 哈希链异常 Chain broken at seq ${status.problem?.seq}: ${status.problem?.reason}`),
    el('span', {}, ` — ${detail}`),
  );
}
