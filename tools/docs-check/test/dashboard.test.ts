import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DASHBOARD_PATH, documentedMetrics, layoutProblems, seriesOf, type DashboardPanel } from '../src/dashboard';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const dashboard = JSON.parse(readFileSync(path.join(repoRoot, DASHBOARD_PATH), 'utf8')) as {
  uid: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string }[] };
};
const documented = documentedMetrics(readFileSync(path.join(repoRoot, 'docs/metrics.md'), 'utf8'));

describe('reading PromQL', () => {
  it.each([
    ['a plain series', 'failover_manager_term', ['failover_manager_term']],
    [
      'a histogram quantile, by its base name',
      'histogram_quantile(0.99, sum by (le) (rate(failover_manager_heartbeat_seconds_bucket[5m])))',
      ['failover_manager_heartbeat_seconds'],
    ],
    [
      'two series joined, each once',
      '(time() - failover_agent_tower_backup_timestamp_seconds) and on (instance) failover_agent_holds_identity == 1',
      ['failover_agent_holds_identity', 'failover_agent_tower_backup_timestamp_seconds'],
    ],
    ['no series', 'vector(1)', []],
  ])('%s', (_name, expr, expected) => {
    expect(seriesOf(expr)).toEqual(expected);
  });

  it('finds two panels that overlap and one past the 24 columns', () => {
    const at = (title: string, x: number, y: number, w: number): DashboardPanel => ({
      id: 0,
      type: 'stat',
      title,
      gridPos: { x, y, w, h: 4 },
    });
    expect(layoutProblems([at('a', 0, 0, 12), at('b', 6, 2, 12), at('c', 20, 10, 6)])).toEqual([
      'a: overlaps b',
      'c: spans columns 20 to 26, past 24',
    ]);
  });
});

describe(`the Grafana dashboard (${DASHBOARD_PATH})`, () => {
  const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it('queries only metrics docs/metrics.md documents', () => {
    const undocumented = queries.flatMap(({ panel, expr }) =>
      seriesOf(expr)
        .filter((name) => !documented.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    expect(undocumented).toEqual([]);
    expect(queries.length).toBeGreaterThan(20);
  });

  it('lays its panels out without overlap, with unique ids, on a chosen Prometheus data source', () => {
    expect(layoutProblems(dashboard.panels)).toEqual([]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
  });
});
