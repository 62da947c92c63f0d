/// <reference lib="dom" />
/**
 * The overview's charts, drawn by Chart.js (bundled with the page, nothing loaded from outside; it
 * draws on a canvas and sets styles through the DOM, which the page's CSP allows). Only the parts
 * the page uses are registered, so the bundle carries bar and line charts and nothing else.
 *
 * A canvas is one picture to the keyboard and to screen readers, so each chart also lists its
 * segments as buttons inside the canvas (fallback content: focusable and read out, never drawn);
 * a button does what clicking its segment does, and carries where the segment is drawn
 * (`data-x`, `data-y`, canvas pixels).
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartDataset } from 'chart.js';
import { el } from './view';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
// The page's fonts (auditor.css), so Chinese labels are drawn with a CJK font where one is installed.
Chart.defaults.font.family = "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";

/** What a segment counts: the accesses of its key (less the denied, in the grouped bars), the denied ones, the cache hits. */
export type SegmentKind = 'count' | 'denied' | 'cache';

/** The segment clicked: its category (a group key or a time) and its series (a stack key in the timeline; empty otherwise). */
export interface Segment {
  category: string;
  series: string;
  kind: SegmentKind;
}

/** One data series of a chart. */
export interface Series {
  label: string;
  series: string;
  kind: SegmentKind;
  values: number[];
  colour: string;
  /** Series with the same stack are stacked; a line is drawn over the bars. */
  stack: string;
  line?: boolean;
}

export interface ChartSpec {
  /** The chart box's id. */
  id: string;
  /** The categories as picked (group keys, ISO times) and as shown. */
  categories: string[];
  labels: string[];
  series: Series[];
  /** Categories down the side (grouped bars) rather than along the bottom (time). */
  horizontal: boolean;
  /** CSS pixels. */
  height: number;
  /** What the chart shows, for screen readers. */
  description: string;
}

/** Chart colours of the stacked keys, in order; the rest share the last (grey, "other"). */
export const PALETTE = ['#1a56db', '#e3a008', '#0e9f6e', '#9061f9', '#ff5a1f', '#0694a2', '#e74694', '#633112', '#6b7280'];
export const DENIED_COLOUR = '#b42318';
export const CACHE_COLOUR = '#0f7b3f';

function dataset(s: Series): ChartDataset<'bar' | 'line', number[]> {
  // A line leaves out its zeros (gaps), so a few denied requests in a quiet week show as points, not a line along the axis.
  if (s.line) return { type: 'line', label: s.label, data: s.values.map((v) => v || null) as number[], borderColor: s.colour, backgroundColor: s.colour, stack: s.stack, pointRadius: 3, borderWidth: 2 };
  return { type: 'bar', label: s.label, data: s.values, backgroundColor: s.colour, stack: s.stack };
}

/** The segments as buttons inside the canvas, at where Chart.js has just laid them out. */
function listSegments(chart: Chart, spec: ChartSpec, onPick: (s: Segment) => void): void {
  const buttons: HTMLButtonElement[] = [];
  spec.series.forEach((s, d) =>
    chart.getDatasetMeta(d).data.forEach((element, i) => {
      if (!s.values[i]) return;
      // Bars and points both have a centre; the generic element type does not say so.
      const { x, y } = (element as unknown as BarElement | PointElement).getCenterPoint(true);
      const segment = { category: spec.categories[i], series: s.series, kind: s.kind };
      const attrs = { type: 'button', 'data-category': segment.category, 'data-series': s.series, 'data-kind': s.kind, 'data-x': Math.round(x ?? 0), 'data-y': Math.round(y ?? 0), onclick: () => onPick(segment) };
      buttons.push(el('button', attrs, `${spec.labels[i]} · ${s.label}: ${s.values[i]}`));
    }),
  );
  chart.canvas.replaceChildren(...buttons);
}

/** A bar chart (stacked where series share a stack) with any lines over it; `onPick` gets the clicked segment. */
export function drawChart(spec: ChartSpec, onPick: (s: Segment) => void): HTMLElement {
  const canvas = el('canvas', { role: 'img', 'aria-label': spec.description });
  const box = el('div', { id: spec.id, className: 'chart' }, canvas);
  box.style.height = `${spec.height}px`;
  // Built once the box is in the page, so Chart.js can size it.
  queueMicrotask(() => {
    new Chart(canvas, {
      type: 'bar',
      data: { labels: spec.labels, datasets: spec.series.map(dataset) },
      options: {
        indexAxis: spec.horizontal ? 'y' : 'x',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: true },
        scales: { x: { stacked: true }, y: { stacked: true, ...(spec.horizontal ? {} : { beginAtZero: true }) } },
        plugins: { legend: { position: 'bottom' } },
        onClick: (_event, elements) => {
          const hit = elements[0];
          if (hit) onPick({ category: spec.categories[hit.index], series: spec.series[hit.datasetIndex].series, kind: spec.series[hit.datasetIndex].kind });
        },
        onHover: (_event, elements) => {
          canvas.style.cursor = elements.length ? 'pointer' : 'default';
        },
      },
      plugins: [{ id: 'segments', afterUpdate: (c: Chart) => listSegments(c, spec, onPick) }],
    });
    box.dataset.drawn = 'true';
  });
  return box;
}

/** Destroys the charts inside `box` (before it is emptied), so their canvases and listeners are freed. */
export function destroyCharts(box: Element): void {
  box.querySelectorAll('canvas').forEach((canvas) => Chart.getChart(canvas)?.destroy());
}
