/**
 * The Grafana dashboard in docs/grafana: every series it queries is one docs/metrics.md
 * documents, so a renamed metric breaks a test here instead of a panel in production.
 */

/** Where the dashboard lives, from the repository root. */
export const DASHBOARD_PATH = 'docs/grafana/failover-dashboard.json';

/** One panel as far as the checks read it. */
export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets?: readonly { readonly expr: string }[];
}

// A PromQL word that names a series: not a function, keyword or label, but anything the exporters emit.
const SERIES = /\b((?:failover|process|nodejs)_[a-z0-9_]+)\b/g;
// Histogram and summary series are documented by their base name.
const SUFFIX = /_(bucket|sum|count)$/;

/** The metric names a PromQL expression reads, suffixes of histograms removed, sorted, once. */
export function seriesOf(expr: string): string[] {
  const names = [...expr.matchAll(SERIES)].map((m) => (m[1] as string).replace(SUFFIX, ''));
  return [...new Set(names)].sort();
}

/** The metric names docs/metrics.md documents: the first column of its tables, and the process metrics it names in prose. */
export function documentedMetrics(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/`((?:failover|process|nodejs)_[a-z0-9_]+)`/g)].map((m) => m[1] as string));
}

/** Panels whose grid positions overlap, or reach past Grafana's 24 columns, as `title: problem` lines. */
export function layoutProblems(panels: readonly DashboardPanel[]): string[] {
  const problems: string[] = [];
  panels.forEach((panel, index) => {
    const { x, y, w, h } = panel.gridPos;
    if (x < 0 || w < 1 || x + w > 24) problems.push(`${panel.title}: spans columns ${x} to ${x + w}, past 24`);
    for (const other of panels.slice(index + 1)) {
      const o = other.gridPos;
      if (x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h)
        problems.push(`${panel.title}: overlaps ${other.title}`);
    }
  });
  return problems;
}
