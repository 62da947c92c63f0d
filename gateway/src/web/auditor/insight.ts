/// <reference lib="dom" />
/**
 * The overview and findings on the auditors' page: what the charts (charts.ts) show of the
 * rollups — accesses over time stacked by a grouping, accesses by a grouping with the denied part
 * and the cache hits — the top requesters and subjects, and the rules' findings. Clicking any of
 * them narrows the record search (client.ts).
 */
import type { Bucket, Finding, TimelineBucket, TopEntry } from './api';
import { CACHE_COLOUR, DENIED_COLOUR, PALETTE, type ChartSpec, type Series } from './charts';
import { el, localTime } from './view';

/** Groupings of the bar chart, with their labels; DEPARTMENT has no record filter. */
export const GROUPINGS: Record<string, string> = {
  ORGANISATION: '按机构 By organisation',
  PURPOSE: '按用途 By purpose',
  CATEGORY: '按类别 By category',
  DEPARTMENT: '按部门 By department',
  DAY: '按日 By day',
};

/** Groupings the timeline can stack by. */
export const STACKS: Record<string, string> = {
  ORGANISATION: '机构 Organisation',
  PURPOSE: '用途 Purpose',
  CATEGORY: '类别 Category',
  DEPARTMENT: '部门 Department',
};

/** Keys the timeline stacks one by one; the rest are stacked together as "other". */
const STACKED_KEYS = PALETTE.length - 1;
export const OTHER = '其他 other';
const DENIED_LABEL = '拒绝 denied';
const CACHE_LABEL = '缓存命中 cache hits';

/** Horizontal bars by group key: accesses (less the denied), the denied ones, and the cache hits beside. */
export function groupedChart(buckets: Bucket[]): ChartSpec {
  const bar = (label: string, kind: Series['kind'], colour: string, stack: string, values: number[]): Series => ({ label, series: '', kind, colour, stack, values });
  return {
    id: 'overview-chart',
    categories: buckets.map((b) => b.key),
    labels: buckets.map((b) => (b.key.length > 28 ? `${b.key.slice(0, 27)}…` : b.key)),
    series: [
      bar('准许 allowed', 'count', '#8fb0ee', 'accesses', buckets.map((b) => b.count - b.denied)),
      bar(DENIED_LABEL, 'denied', DENIED_COLOUR, 'accesses', buckets.map((b) => b.denied)),
      bar(CACHE_LABEL, 'cache', '#7cc6a0', 'cache', buckets.map((b) => b.cacheHits)),
    ],
    horizontal: true,
    height: 70 + buckets.length * 34,
    description: '按分组的访问量 Accesses by group',
  };
}

/** Accesses per hour or day stacked by key (the largest keys, the rest as "other"), with the denied requests and cache hits as lines. */
export function timelineChart(rows: TimelineBucket[], times: string[], interval: 'HOUR' | 'DAY'): ChartSpec {
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.key, (totals.get(r.key) ?? 0) + r.count);
  const ranked = [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  const shown = ranked.length > STACKED_KEYS + 1 ? ranked.slice(0, STACKED_KEYS) : ranked;
  const index = new Map(times.map((t, i) => [t, i]));
  const zeros = () => times.map(() => 0);
  const stacks = new Map(shown.map((k) => [k, zeros()]));
  const other = zeros();
  const denied = zeros();
  const cache = zeros();
  for (const r of rows) {
    const i = index.get(r.time);
    if (i === undefined) continue;
    (stacks.get(r.key) ?? other)[i] += r.count;
    denied[i] += r.denied;
    cache[i] += r.cacheHits;
  }
  const series: Series[] = shown.map((key, n) => ({ label: key, series: key, kind: 'count', colour: PALETTE[n], stack: 'accesses', values: stacks.get(key)! }));
  if (other.some((v) => v > 0)) series.push({ label: OTHER, series: OTHER, kind: 'count', colour: PALETTE[PALETTE.length - 1], stack: 'accesses', values: other });
  series.push(
    { label: DENIED_LABEL, series: '', kind: 'denied', colour: DENIED_COLOUR, stack: 'denied', values: denied, line: true },
    { label: CACHE_LABEL, series: '', kind: 'cache', colour: CACHE_COLOUR, stack: 'cache', values: cache, line: true },
  );
  const label = (t: string) => (interval === 'HOUR' ? localTime(t).slice(5, 16) : t);
  return { id: 'overview-timeline', categories: times, labels: times.map(label), series, horizontal: false, height: 300, description: '按时间的访问量 Accesses over time' };
}

/** The UTC hours (ISO, as `auditTimeline` keys them) or days (YYYY-MM-DD) of [from, to). */
export function timeSlots(from: Date, to: Date, interval: 'HOUR' | 'DAY'): string[] {
  const step = interval === 'HOUR' ? 3_600_000 : 86_400_000;
  const slots: string[] = [];
  for (let t = Math.floor(from.getTime() / step) * step; t < to.getTime(); t += step) {
    const iso = new Date(t).toISOString();
    slots.push(interval === 'HOUR' ? `${iso.slice(0, 13)}:00:00Z` : iso.slice(0, 10));
  }
  return slots;
}

/** A top list (requesters or subjects); `onPick` gets the clicked entry's key. */
export function topList(id: string, title: string, entries: TopEntry[], onPick: (key: string) => void): HTMLElement {
  return el(
    'div',
    { className: 'top-list' },
    el('h3', {}, title),
    entries.length === 0
      ? el('p', { className: 'muted' }, '此期间没有记录 No records in this period.')
      : el(
          'table',
          { className: 'results', id },
          el('thead', {}, el('tr', {}, ...['#', '', '次数 Requests', '拒绝 Denied'].map((h) => el('th', {}, h)))),
          el(
            'tbody',
            {},
            ...entries.map((e, i) =>
              el(
                'tr',
                { 'data-key': e.key, tabindex: 0, title: '列出其记录 List the records', onclick: () => onPick(e.key), onkeydown: (ev: KeyboardEvent) => ev.key === 'Enter' && onPick(e.key) },
                el('td', {}, String(i + 1)),
                el('td', { className: 'mono' }, e.key),
                el('td', {}, String(e.count)),
                el('td', { className: e.denied ? 'denied' : '' }, String(e.denied)),
              ),
            ),
          ),
        ),
  );
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
