import { formatValue, legendOf, renderDashboardPage, segmentsOf, thresholdColor } from '../src/dashboard-render';

describe('drawing the dashboard from query answers', () => {
  it("names a series by the target's legendFormat, or by its labels without one", () => {
    const series = { labels: { node: 'validator1', le: '0.5' }, values: [] };
    expect(legendOf(series, 'p99 {{node}}')).toBe('p99 validator1');
    expect(legendOf(series, '{{ missing }} x')).toBe(' x');
    expect(legendOf(series, undefined)).toBe('{node="validator1", le="0.5"}');
    expect(legendOf({ labels: {}, values: [] }, '')).toBe('value');
  });

  it('splits a series where samples are more than one and a half steps apart', () => {
    const values = [10, 12, 14, 20, 22, 30].map((t) => [t, 1] as const);
    expect(segmentsOf(values, 2)).toEqual([
      [10, 14],
      [20, 22],
      [30, 30],
    ]);
  });

  it("formats values in the panel's unit", () => {
    expect(formatValue(0.0229, 's')).toBe('22.9 ms');
    expect(formatValue(63.4, 's')).toBe('63.4 s');
    expect(formatValue(600, 's')).toBe('10 min');
    expect(formatValue(139_460_608, 'bytes')).toBe('133 MiB');
    expect(formatValue(819_309, undefined)).toBe('819309');
  });

  it('colours a stat by the last threshold step at or below its value', () => {
    const steps = [
      { color: 'red', value: null },
      { color: 'green', value: 1 },
      { color: 'red', value: 2 },
    ];
    expect([0, 1, 2].map((v) => thresholdColor(v, steps))).toEqual(['#F2495C', '#73BF69', '#F2495C']);
  });

  it('places each panel on the 24-column grid and says "No data" where a query matched nothing', () => {
    const page = renderDashboardPage(
      'pair',
      [
        { id: 1, type: 'row', title: 'Who votes', gridPos: { x: 0, y: 0, w: 24, h: 1 } },
        {
          id: 2,
          type: 'stat',
          title: 'Holders',
          gridPos: { x: 0, y: 1, w: 6, h: 5 },
          targets: [{ expr: 'sum(failover_agent_holds_identity)' }],
        },
        {
          id: 3,
          type: 'timeseries',
          title: 'Unreachable agents',
          gridPos: { x: 12, y: 1, w: 12, h: 8 },
          targets: [{ expr: 'x' }],
        },
      ],
      new Map([
        [2, [[{ labels: {}, values: [[100, 1]] as const }]]],
        [3, [[]]],
      ]),
      { start: 100, end: 200, step: 2 },
      'a run',
    );
    expect(page).toContain('<div class="row" style="left:3px;top:3px;width:1594px;height:24px">Who votes</div>');
    expect(page).toMatch(
      /<div class="title">Holders<\/div><div class="stat" style="background:#73BF69;[^"]*">1<\/div>/,
    );
    expect(page).toMatch(/left:803px;top:33px;[^"]*"><div class="title">Unreachable agents<\/div><div class="nodata"/);
  });
});
