/**
 * Draws the panels of `docs/grafana/failover-dashboard.json` as one static HTML page from the
 * answers Prometheus gave to each panel's own queries: the dashboard's layout (24 columns,
 * 30 px rows), stat values coloured by their thresholds, state timelines and time series with
 * their legends. It is not Grafana's renderer; it shows what the dashboard's queries return for
 * a run, so that a query naming a series the programs do not export shows as "No data".
 */

/** One panel of the dashboard, as much of it as the page draws. */
export interface RenderPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets?: readonly { readonly expr: string; readonly legendFormat?: string }[];
  readonly fieldConfig?: {
    readonly defaults?: {
      readonly unit?: string;
      readonly thresholds?: { readonly steps: readonly { readonly color: string; readonly value: number | null }[] };
    };
  };
}

/** One series of a range query: its labels and its `[unix seconds, value]` samples. */
export interface RangeSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [number, number])[];
}

/** What each target of a panel returned, in the order of `targets`. */
export type PanelData = readonly (readonly RangeSeries[])[];

/** The time range of the page and the step its queries were made with, in Unix seconds. */
export interface RenderRange {
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

const PAGE_WIDTH = 1600;
const ROW_PX = 30;
const GAP = 6;
const PALETTE = ['#73BF69', '#5794F2', '#FF9830', '#B877D9', '#F2CC0C', '#8AB8FF', '#FF7383', '#96D98D', '#CA95E5'];
const NAMED_COLORS: Readonly<Record<string, string>> = {
  green: '#73BF69',
  red: '#F2495C',
  yellow: '#FADE2A',
  orange: '#FF9830',
  blue: '#5794F2',
};

/** A series' name in a legend: `legendFormat` with `{{label}}` filled in, or its labels. */
export function legendOf(series: RangeSeries, legendFormat: string | undefined): string {
  if (legendFormat !== undefined && legendFormat !== '')
    return legendFormat.replace(
      /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g,
      (_all, name: string) => series.labels[name] ?? '',
    );
  const pairs = Object.entries(series.labels).map(([k, v]) => `${k}="${v}"`);
  return pairs.length === 0 ? 'value' : `{${pairs.join(', ')}}`;
}

/**
 * The stretches of time a series has samples in: samples further apart than 1.5 steps are a
 * gap (the query matched nothing there, or nothing was scraped).
 */
export function segmentsOf(values: RangeSeries['values'], step: number): [number, number][] {
  const segments: [number, number][] = [];
  for (const [t] of values) {
    const last = segments[segments.length - 1];
    if (last !== undefined && t - last[1] <= step * 1.5) last[1] = t;
    else segments.push([t, t]);
  }
  return segments;
}

/** A value as the panel's unit shows it: seconds, bytes, or a plain number. */
export function formatValue(value: number, unit: string | undefined): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 's') {
    if (value !== 0 && Math.abs(value) < 1) return `${round(value * 1000)} ms`;
    return value < 120 ? `${round(value)} s` : `${round(value / 60)} min`;
  }
  if (unit === 'bytes') return `${round(value / 1048576)} MiB`;
  return round(value);
}

function round(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}

/** The threshold colour a stat value takes: the last step at or below it. */
export function thresholdColor(value: number, steps: readonly { color: string; value: number | null }[]): string {
  let color = steps[0]?.color ?? 'green';
  for (const step of steps) if (step.value === null || value >= step.value) color = step.color;
  return NAMED_COLORS[color] ?? color;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function clock(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(11, 19);
}

interface Box {
  readonly width: number;
  readonly height: number;
}

function statBody(panel: RenderPanel, data: PanelData, box: Box): string {
  const series = data[0]?.[0];
  const last = series?.values[series.values.length - 1];
  if (last === undefined) return noData(box);
  const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [];
  const color = thresholdColor(last[1], steps);
  return (
    `<div class="stat" style="background:${color};height:${box.height}px">` +
    `${escape(formatValue(last[1], panel.fieldConfig?.defaults?.unit))}</div>`
  );
}

function noData(box: Box): string {
  return `<div class="nodata" style="height:${box.height}px">No data</div>`;
}

/** Every series of the panel with its legend and colour, in target order. */
function legendEntries(panel: RenderPanel, data: PanelData): { series: RangeSeries; name: string; color: string }[] {
  const entries: { series: RangeSeries; name: string; color: string }[] = [];
  data.forEach((result, i) => {
    for (const series of result) {
      const name = legendOf(series, panel.targets?.[i]?.legendFormat);
      entries.push({ series, name, color: PALETTE[entries.length % PALETTE.length] as string });
    }
  });
  return entries;
}

function timelineBody(panel: RenderPanel, data: PanelData, box: Box, range: RenderRange): string {
  const entries = legendEntries(panel, data);
  if (entries.length === 0) return noData(box);
  const labelWidth = 190;
  const plot = box.width - labelWidth;
  const lane = Math.min(26, Math.floor((box.height - 18) / entries.length));
  const x = (t: number): number => labelWidth + ((t - range.start) / (range.end - range.start)) * plot;
  const rows = entries.map(({ series, name, color }, i) => {
    const y = i * lane;
    const bars = segmentsOf(series.values, range.step)
      .map(([from, to]) => {
        const left = x(from);
        const width = Math.max(2, x(to + range.step) - left);
        return `<rect x="${left.toFixed(1)}" y="${y + 2}" width="${width.toFixed(1)}" height="${lane - 4}" fill="${color}" rx="2"/>`;
      })
      .join('');
    return `<text x="4" y="${y + lane / 2 + 4}" class="lane">${escape(name)}</text>${bars}`;
  });
  const axis = timeAxis(range, labelWidth, box.width, entries.length * lane + 14);
  return `<svg width="${box.width}" height="${box.height}">${rows.join('')}${axis}</svg>`;
}

function timeAxis(range: RenderRange, left: number, right: number, y: number): string {
  return (
    `<text x="${left}" y="${y}" class="axis">${clock(range.start)}</text>` +
    `<text x="${right - 4}" y="${y}" class="axis" text-anchor="end">${clock(range.end)} UTC</text>`
  );
}

function timeseriesBody(panel: RenderPanel, data: PanelData, box: Box, range: RenderRange): string {
  const entries = legendEntries(panel, data).filter((e) => e.series.values.some(([, v]) => Number.isFinite(v)));
  if (entries.length === 0) return noData(box);
  const unit = panel.fieldConfig?.defaults?.unit;
  const legendRows = Math.min(3, Math.ceil(entries.length / 3));
  const plotTop = 6;
  const plotBottom = box.height - 20 - legendRows * 16;
  const left = 64;
  const right = box.width - 8;
  const finite = entries.flatMap((e) => e.series.values.map(([, v]) => v).filter((v) => Number.isFinite(v)));
  const low = Math.min(0, ...finite);
  const high = Math.max(...finite) === low ? low + 1 : Math.max(...finite);
  const x = (t: number): number => left + ((t - range.start) / (range.end - range.start)) * (right - left);
  const y = (v: number): number => plotBottom - ((v - low) / (high - low)) * (plotBottom - plotTop);
  const lines = entries.map(({ series, color }) => {
    const runs: string[] = [];
    for (const [from, to] of segmentsOf(
      series.values.filter(([, v]) => Number.isFinite(v)),
      range.step,
    )) {
      const points = series.values
        .filter(([t, v]) => t >= from && t <= to && Number.isFinite(v))
        .map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      runs.push(
        points.length === 1
          ? `<circle cx="${points[0]!.split(',')[0]}" cy="${points[0]!.split(',')[1]}" r="2" fill="${color}"/>`
          : `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="1.6"/>`,
      );
    }
    return runs.join('');
  });
  const grid =
    `<line x1="${left}" y1="${plotBottom}" x2="${right}" y2="${plotBottom}" class="grid"/>` +
    `<line x1="${left}" y1="${plotTop}" x2="${right}" y2="${plotTop}" class="grid"/>` +
    `<text x="${left - 6}" y="${plotTop + 8}" class="axis" text-anchor="end">${escape(formatValue(high, unit))}</text>` +
    `<text x="${left - 6}" y="${plotBottom}" class="axis" text-anchor="end">${escape(formatValue(low, unit))}</text>`;
  const shown = entries.slice(0, legendRows * 3);
  const legend = shown
    .map(({ name, color }, i) => {
      const lx = left + (i % 3) * ((right - left) / 3);
      const ly = plotBottom + 30 + Math.floor(i / 3) * 16;
      return `<rect x="${lx}" y="${ly - 9}" width="12" height="4" fill="${color}"/><text x="${lx + 16}" y="${ly - 4}" class="legend">${escape(name.length > 48 ? `${name.slice(0, 47)}…` : name)}</text>`;
    })
    .join('');
  const more =
    entries.length > shown.length
      ? `<text x="${right}" y="${plotBottom + 30 + (legendRows - 1) * 16 - 4}" class="legend" text-anchor="end">+${entries.length - shown.length} more</text>`
      : '';
  const axis = timeAxis(range, left, right, plotBottom + 14);
  return `<svg width="${box.width}" height="${box.height}">${grid}${lines.join('')}${axis}${legend}${more}</svg>`;
}

/** One panel at its place in the grid. */
function renderPanel(panel: RenderPanel, data: PanelData, range: RenderRange): string {
  const col = PAGE_WIDTH / 24;
  const { x, y, w, h } = panel.gridPos;
  const style = `left:${x * col + GAP / 2}px;top:${y * ROW_PX + GAP / 2}px;width:${w * col - GAP}px;height:${h * ROW_PX - GAP}px`;
  if (panel.type === 'row') return `<div class="row" style="${style}">${escape(panel.title)}</div>`;
  const box: Box = { width: w * col - GAP - 16, height: h * ROW_PX - GAP - 34 };
  const body =
    panel.type === 'stat'
      ? statBody(panel, data, box)
      : panel.type === 'state-timeline'
        ? timelineBody(panel, data, box, range)
        : timeseriesBody(panel, data, box, range);
  return `<div class="panel" style="${style}"><div class="title">${escape(panel.title)}</div>${body}</div>`;
}

/** The whole page: every panel, its data by panel id, and a caption naming the run. */
export function renderDashboardPage(
  title: string,
  panels: readonly RenderPanel[],
  data: ReadonlyMap<number, PanelData>,
  range: RenderRange,
  caption: string,
): string {
  const bottom = Math.max(...panels.map((p) => (p.gridPos.y + p.gridPos.h) * ROW_PX));
  const body = panels.map((p) => renderPanel(p, data.get(p.id) ?? [], range)).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title><style>
body { margin: 0; background: #111217; color: #ccccdc; font: 13px/1.3 Inter, "Helvetica Neue", Arial, sans-serif; }
header { padding: 12px 16px 4px; font-size: 18px; }
header small { display: block; font-size: 12px; color: #8e8e9e; margin-top: 4px; }
main { position: relative; width: ${PAGE_WIDTH}px; height: ${bottom}px; margin: 0 8px; }
.panel { position: absolute; background: #181b1f; border: 1px solid #2c3235; border-radius: 2px; padding: 6px 8px; box-sizing: border-box; overflow: hidden; }
.title { font-weight: 500; margin-bottom: 6px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.row { position: absolute; font-size: 15px; font-weight: 500; border-bottom: 1px solid #2c3235; }
.stat { display: flex; align-items: center; justify-content: center; font-size: 44px; font-weight: 500; color: #fff; border-radius: 2px; }
.nodata { display: flex; align-items: center; justify-content: center; color: #8e8e9e; }
svg text { fill: #ccccdc; font-size: 11px; }
svg text.axis { fill: #8e8e9e; }
svg .grid { stroke: #2c3235; stroke-width: 1; }
</style></head><body>
<header>${escape(title)}<small>${escape(caption)}</small></header>
<main>
${body}
</main></body></html>
`;
}
