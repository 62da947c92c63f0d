/// <reference lib="dom" />
/**
 * The 概览 Overview section of the auditors' page: for a period, accesses over time stacked by the
 * grouping the auditor picks, accesses by a grouping (denied part and cache hits beside), the top
 * requesters and subjects, and the open findings. Every chart segment and list row narrows the
 * record search below it (`OverviewHooks.search`).
 */
import type { AuditApi, Finding } from './api';
import { destroyCharts, drawChart, type Segment } from './charts';
import { findingsList, groupedChart, GROUPINGS, OTHER, STACKS, timelineChart, timeSlots, topList } from './insight';
import { el } from './view';

export interface OverviewHooks {
  api(): AuditApi | null;
  /** Runs a task with the page's status line (errors shown there). */
  run(task: () => Promise<void>): Promise<void>;
  /** Searches the records with these search fields (input id → value), the others cleared. */
  search(fields: Record<string, string>): void;
  /** Lists a finding's records in place of the search results. */
  showFinding(finding: Finding): void;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The periods offered, in days; up to a week the timeline is hourly, beyond it daily. */
const PERIODS: Record<string, string> = { 1: '最近 1 天 Last day', 7: '最近 7 天 Last 7 days', 30: '最近 30 天 Last 30 days' };
/** The search field each grouping's key fills; DEPARTMENT has none (a category key `unknown` neither). */
const FIELD_OF: Record<string, string> = { ORGANISATION: 'f-org', PURPOSE: 'f-purpose', CATEGORY: 'f-category' };

const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
const select = (id: string, options: Record<string, string>, selected: string, onchange: () => void) =>
  el('select', { id, onchange }, ...Object.entries(options).map(([v, label]) => el('option', { value: v, selected: v === selected }, label)));

/** Search fields for records of one key of a grouping, and of one hour or day (ISO hour or YYYY-MM-DD, UTC). */
function fieldsFor(groupBy: string, key: string | null, time: string | null, denied: boolean): Record<string, string> {
  const fields: Record<string, string> = {};
  const field = FIELD_OF[groupBy];
  if (key !== null && field && key !== OTHER && !(groupBy === 'CATEGORY' && key === 'unknown')) fields[field] = key;
  if (time !== null) {
    const start = new Date(time.length === 10 ? `${time}T00:00:00Z` : time);
    fields['f-from'] = localInput(start);
    fields['f-to'] = localInput(new Date(start.getTime() + (time.length === 10 ? DAY_MS : HOUR_MS)));
  }
  if (denied) fields['f-outcome'] = 'DENIED';
  return fields;
}

/** Builds the section; `refresh()` (re)loads it for the current choices. */
export function overviewSection(hooks: OverviewHooks): { box: HTMLElement; refresh(): Promise<void> } {
  const refresh = async (): Promise<void> => {
    const api = hooks.api();
    if (!api) return;
    const days = Number(periodSelect.value);
    const interval = days > 7 ? 'DAY' : 'HOUR';
    const to = new Date(Math.ceil(Date.now() / HOUR_MS) * HOUR_MS);
    const from = new Date(to.getTime() - days * DAY_MS);
    const [f, t] = [from.toISOString(), to.toISOString()];
    const groupBy = groupSelect.value;
    const stackBy = stackSelect.value;
    const [timeline, buckets, requesters, subjects, findings] = await Promise.all([
      api.timeline(stackBy, interval, f, t),
      api.overview(groupBy, f, t),
      api.top('REQUESTER', f, t),
      api.top('SUBJECT', f, t),
      api.findings(),
    ]);
    destroyCharts(charts);
    const pickTime = (s: Segment) => hooks.search(fieldsFor(stackBy, s.kind === 'count' ? s.series : null, s.category, s.kind === 'denied'));
    // The DAY grouping's key is a time; the others are keys of their grouping.
    const pickGroup = (s: Segment) => hooks.search(groupBy === 'DAY' ? fieldsFor(groupBy, null, s.category, s.kind === 'denied') : fieldsFor(groupBy, s.category, null, s.kind === 'denied'));
    charts.replaceChildren(
      el('h3', {}, '按时间的访问量 Accesses over time'),
      drawChart(timelineChart(timeline, timeSlots(from, to, interval), interval), pickTime),
      el('h3', {}, '按分组的访问量 Accesses by group'),
      buckets.length ? drawChart(groupedChart(buckets), pickGroup) : el('p', { className: 'muted', id: 'overview-empty' }, '此期间没有记录 No records in this period.'),
    );
    tops.replaceChildren(
      topList('top-requesters', '最多查询的操作人 Top requesters', requesters, (key) => hooks.search({ 'f-actor': key })),
      topList('top-subjects', '被查询最多的主体 Top subjects', subjects, (key) => hooks.search({ 'f-subject': key })),
    );
    findingsBox.replaceChildren(findingsList(findings, hooks.showFinding));
  };
  const reload = () => void hooks.run(refresh);
  const periodSelect = select('overview-days', PERIODS, '7', reload);
  const stackSelect = select('overview-stack', STACKS, 'ORGANISATION', reload);
  const groupSelect = select('overview-group', GROUPINGS, 'ORGANISATION', reload);
  const charts = el('div', { id: 'overview' });
  const tops = el('div', { id: 'top-lists', className: 'top-lists' });
  const findingsBox = el('div', { id: 'findings-box' });
  const field = (label: string, control: HTMLElement) => el('label', { className: 'field' }, el('span', {}, label), control);
  const box = el(
    'section',
    { id: 'overview-section', className: 'card', hidden: true },
    el('h2', {}, '概览 Overview', el('span', { className: 'muted' }, ' — 点击图表或列表筛选下方记录 click a chart segment or a row to list its records below')),
    el('div', { className: 'grid' }, field('期间 Period', periodSelect), field('时间图堆叠 Stack over time by', stackSelect), field('分组 Group by', groupSelect)),
    charts,
    tops,
    el('h2', {}, '待处理发现 Open findings'),
    findingsBox,
  );
  return { box, refresh };
}
