import {OutputComponent, OutputSpec} from './types';
import {formatNumber} from './slider';

export interface PlotSpec extends OutputSpec {
  style: 'line' | 'bar';
  xLabels: string[] | null;
}

const SVG = 'http://www.w3.org/2000/svg';
// The chart's own coordinates (the SVG scales to its box): room on the left for the y ticks, at the
// bottom for the x labels.
export const BOX = {width: 320, height: 180, left: 44, right: 8, top: 8, bottom: 28};

export interface Chart {
  /** The smallest and largest finite value (0 and 1 when there is none). */
  min: number;
  max: number;
  /** Line: the `d` of each run of finite values (a NaN or infinity breaks the line). */
  paths: string[];
  /** Bar: one per finite value. */
  bars: {index: number; x: number; y: number; width: number; height: number}[];
  /** Indices of the values that are NaN or infinite. */
  gaps: number[];
}

/** The chart's geometry in BOX coordinates for `values`. */
export function layout(values: ArrayLike<number>, style: 'line' | 'bar'): Chart {
  const list = Array.from(values);
  const finite = list.filter(Number.isFinite);
  const gaps = list.flatMap((v, i) => (Number.isFinite(v) ? [] : [i]));
  let min = finite.length ? Math.min(...finite) : 0;
  let max = finite.length ? Math.max(...finite) : 1;
  if (style === 'bar') {  // bars start at zero when it is in sight
    min = Math.min(min, 0);
    max = Math.max(max, 0);
  }
  if (min === max) {
    min -= 1;
    max += 1;
  }
  const plotW = BOX.width - BOX.left - BOX.right;
  const plotH = BOX.height - BOX.top - BOX.bottom;
  const y = (v: number) => BOX.top + (max - v) / (max - min) * plotH;
  const n = list.length;
  const paths: string[] = [];
  const bars: Chart['bars'] = [];
  if (style === 'line') {
    const x = (i: number) => BOX.left + (n > 1 ? i / (n - 1) : 0.5) * plotW;
    let run: string[] = [];
    list.forEach((v, i) => {
      if (Number.isFinite(v)) {
        run.push(`${run.length ? 'L' : 'M'}${x(i).toFixed(2)},${y(v).toFixed(2)}`);
      } else if (run.length) {
        paths.push(run.join(''));
        run = [];
      }
    });
    if (run.length) paths.push(run.join(''));
  } else {
    const slot = plotW / n;
    const base = y(Math.min(max, Math.max(min, 0)));
    list.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const top = y(v);
      bars.push({index: i, x: BOX.left + i * slot + slot * 0.1, y: Math.min(top, base), width: slot * 0.8,
        height: Math.abs(base - top)});
    });
  }
  return {min, max, paths, bars, gaps};
}

/** What the note under the chart says about values it cannot draw, or ''. */
export function gapNote(gaps: readonly number[], values: ArrayLike<number>, names: readonly string[] | null): string {
  if (!gaps.length) return '';
  const shown = gaps.slice(0, 5).map((i) => `${names?.[i] ?? i}: ${values[i]}`).join(', ');
  return `${gaps.length} value${gaps.length > 1 ? 's are' : ' is'} NaN or infinite, shown as ${gaps.length > 1 ? 'gaps' : 'a gap'} ` +
    `(${shown}${gaps.length > 5 ? ` and ${gaps.length - 5} more` : ''}).`;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A vector as an inline SVG line or bar chart. */
export class Plot implements OutputComponent {
  readonly element: HTMLElement;
  private readonly chart: SVGSVGElement;
  private readonly note: HTMLElement;

  constructor(private readonly spec: PlotSpec) {
    this.element = document.createElement('div');
    this.element.className = 'app-plot';
    this.element.dataset.testid = 'output';
    this.element.dataset.type = 'plot';
    const heading = document.createElement('h3');
    heading.textContent = spec.label;
    this.chart = svg('svg', {viewBox: `0 0 ${BOX.width} ${BOX.height}`, role: 'img', class: 'app-plot-svg'});
    this.chart.dataset.testid = 'plot';
    this.chart.setAttribute('aria-label', spec.label);
    this.note = document.createElement('p');
    this.note.className = 'meta app-warning';
    this.note.dataset.testid = 'plot-note';
    this.note.hidden = true;
    this.element.append(heading, this.chart, this.note);
  }

  show(values: ArrayLike<number>): void {
    const chart = layout(values, this.spec.style);
    const n = values.length;
    const bottom = BOX.height - BOX.bottom;
    const parts: SVGElement[] = [
      svg('line', {x1: BOX.left, y1: BOX.top, x2: BOX.left, y2: bottom, class: 'axis'}),
      svg('line', {x1: BOX.left, y1: bottom, x2: BOX.width - BOX.right, y2: bottom, class: 'axis'}),
    ];
    for (const [v, y] of [[chart.max, BOX.top], [chart.min, bottom]]) {
      const tick = svg('text', {x: BOX.left - 4, y: y + 4, 'text-anchor': 'end', class: 'tick'});
      tick.textContent = formatNumber(Number(v.toPrecision(4)));
      parts.push(tick);
    }
    // x labels: all when they fit, else the first and the last
    const names = this.spec.xLabels;
    const plotW = BOX.width - BOX.left - BOX.right;
    const xAt = (i: number) => (this.spec.style === 'bar' ? BOX.left + (i + 0.5) * plotW / n
      : BOX.left + (n > 1 ? i / (n - 1) : 0.5) * plotW);
    const shown = n <= 12 ? Array.from({length: n}, (_, i) => i) : [0, n - 1];
    for (const i of shown) {
      const label = svg('text', {x: xAt(i), y: bottom + 16, 'text-anchor': 'middle', class: 'tick'});
      const text = names?.[i] ?? String(i);
      label.textContent = n > 6 && text.length > 6 ? `${text.slice(0, 5)}…` : text;
      parts.push(label);
    }
    for (const d of chart.paths) parts.push(svg('path', {d, class: 'series'}));
    for (const b of chart.bars) {
      const rect = svg('rect', {x: b.x, y: b.y, width: b.width, height: b.height, class: 'bar'});
      const title = svg('title', {});
      title.textContent = `${names?.[b.index] ?? b.index}: ${formatNumber(Number(values[b.index].toPrecision(6)))}`;
      rect.append(title);
      parts.push(rect);
    }
    this.chart.replaceChildren(...parts);
    this.chart.dataset.values = JSON.stringify(Array.from(values, (v) => (Number.isFinite(v) ? v : String(v))));
    const note = gapNote(chart.gaps, values, names);
    this.note.textContent = note;
    this.note.hidden = !note;
  }

  clear(): void {
    this.chart.replaceChildren();
    delete this.chart.dataset.values;
    this.note.textContent = '';
    this.note.hidden = true;
  }
}
