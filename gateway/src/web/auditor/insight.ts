/// <reference lib="dom" />
/**
 * The overview and findings on the auditors' page: accesses grouped from the rollups as plain SVG
 * bars (nothing loaded from outside; geometry in attributes, so the page keeps its CSP), and the
 * rules' findings. Clicking a bar narrows the record search to it.
 */
import type { Bucket, Finding } from './api';
import { el } from './view';

/** Groupings the page offers, with their labels; DEPARTMENT and CATEGORY have no record filter. */
export const GROUPINGS: Record<string, string> = {
  DAY: '按日 By day',
  ORGANISATION: '按机构 By organisation',
  PURPOSE: '按用途 By purpose',
  DEPARTMENT: '按部门 By department',
  CATEGORY: '按类别 By category',
};

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag: string, attrs: Record<string, string | number>, text?: string) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
};

/** Horizontal bars, one per bucket (denied part darker); `onPick` gets the clicked bucket's key. */
export function barChart(buckets: Bucket[], onPick: ((key: string) => void) | null): Element {
  if (buckets.length === 0) return el('p', { className: 'muted', id: 'overview-empty' }, '此期间没有记录 No records in this period.');
  const max = Math.max(...buckets.map((b) => b.count));
  const rowH = 22;
  const labelW = 210;
  const barW = 420;
  const chart = svg('svg', { id: 'overview-chart', width: labelW + barW + 90, height: buckets.length * rowH + 4, role: 'img' });
  buckets.forEach((b, i) => {
    const y = i * rowH + 2;
    const w = Math.max(1, Math.round((b.count / max) * barW));
    const g = svg('g', { class: onPick ? 'bar pickable' : 'bar', 'data-key': b.key, tabindex: 0 });
    g.append(
      svg('title', {}, `${b.key}: ${b.count} 次访问 accesses, ${b.denied} 次拒绝 denied`),
      svg('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'bar-label' }, b.key.length > 28 ? `${b.key.slice(0, 27)}…` : b.key),
      svg('rect', { x: labelW, y, width: w, height: rowH - 6, class: 'bar-all' }),
      svg('rect', { x: labelW, y, width: Math.round((b.denied / max) * barW), height: rowH - 6, class: 'bar-denied' }),
      svg('text', { x: labelW + w + 6, y: y + 14, class: 'bar-count' }, String(b.count)),
    );
    if (onPick) {
      g.addEventListener('click', () => onPick(b.key));
      g.addEventListener('keydown', (e) => (e as KeyboardEvent).key === 'Enter' && onPick(b.key));
    }
    chart.append(g);
  });
  return chart;
}

const SEVERITY: Record<string, string> = { HIGH: '高 HIGH', MEDIUM: '中 MEDIUM', LOW: '低 LOW' };

/** The findings list; `onShow` gets a finding whose records should be listed. */
export function findingsList(findings: Finding[], onShow: (f: Finding) => void): Element {
  if (findings.length === 0) return el('p', { className: 'muted' }, '没有未处理的发现 No open findings.');
  return el(
    'table',
    { className: 'results', id: 'findings' },
    el('thead', {}, el('tr', {}, ...['严重性 Severity', '规则 Rule', '操作人 Requester', '范围 Window', '说明 Detail', ''].map((h) => el('th', {}, h)))),
    el(
      'tbody',
      {},
      ...findings.map((f) =>
        el(
          'tr',
          { 'data-rule': f.rule },
          el('td', {}, el('span', { className: `severity severity-${f.severity}` }, SEVERITY[f.severity] ?? f.severity)),
          el('td', { className: 'mono' }, f.rule),
          el('td', {}, f.requester.sub, el('div', { className: 'muted' }, f.requester.org ?? '')),
          el('td', { className: 'mono' }, f.window),
          el('td', {}, f.detail),
          el('td', {}, el('button', { type: 'button', className: 'secondary', onclick: () => onShow(f) }, `记录 Records (${f.recordSeqs.length})`)),
        ),
      ),
    ),
  );
}
