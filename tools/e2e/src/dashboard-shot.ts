/**
 * `npm run dashboard-shot -w @failover/e2e`: the picture of the Grafana dashboard in the README,
 * from a real run. Starts the stack (simulated cluster, both agents, the manager, a fake
 * Telegram) and a real Prometheus scraping the agents' and the manager's `/metrics` every
 * second; runs a crash failover, a passive agent frozen for 5 s, a maintenance pause and a
 * planned switchover back; then asks Prometheus each panel's own queries of
 * `docs/grafana/failover-dashboard.json` and draws them (`dashboard-render`) into a page that
 * headless Chromium photographs.
 *
 * Needs `prometheus` and `chromium` (Debian: `apt-get install -y prometheus chromium`). Writes
 * `docs/grafana/dashboard.png` unless `--out FILE` says otherwise; exit code 0 when every
 * panel has data, 1 when one has none or the run failed, 2 when a program is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestPause, requestResume, requestSwitchover } from '@failover/manager';
import { freePort } from '@failover/testkit';
import { renderDashboardPage, type PanelData, type RangeSeries, type RenderPanel } from './dashboard-render';
import { startStack, type Stack } from './stack';

const PROMETHEUS = '/usr/bin/prometheus';
const CHROMIUM = '/usr/bin/chromium';
const DASHBOARD = 'docs/grafana/failover-dashboard.json';
const STEP_SECONDS = 2;

function say(text: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${text}\n`);
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Starts Prometheus on a free loopback port, scraping the stack every second. */
async function startPrometheus(stack: Stack, dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const agents = stack.agents.map((agent) => new URL(agent.url).host);
  const config = [
    'global:',
    '  scrape_interval: 1s',
    'scrape_configs:',
    '  - job_name: failover-agent',
    '    static_configs:',
    `      - targets: [${agents.map((a) => `'${a}'`).join(', ')}]`,
    '  - job_name: failover-manager',
    '    static_configs:',
    `      - targets: ['${stack.manager.control.host}:${stack.manager.control.port}']`,
    '',
  ].join('\n');
  const configPath = path.join(dir, 'prometheus.yml');
  writeFileSync(configPath, config);
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('Prometheus to be ready', async () => (await fetch(`${url}/-/ready`)).ok, 20_000).catch((error) => {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}; Prometheus said:\n${log}`);
  });
  return { url, child };
}

interface PromRange {
  readonly status: string;
  readonly error?: string;
  readonly data?: { readonly result: { metric: Record<string, string>; values: [number, string][] }[] };
}

async function queryRange(url: string, expr: string, start: number, end: number): Promise<RangeSeries[]> {
  const query = new URLSearchParams({
    query: expr,
    start: String(start),
    end: String(end),
    step: String(STEP_SECONDS),
  });
  const answer = (await (await fetch(`${url}/api/v1/query_range?${query}`)).json()) as PromRange;
  if (answer.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${answer.error ?? answer.status}`);
  return (answer.data?.result ?? []).map((r) => ({
    labels: r.metric,
    values: r.values.map(([t, v]) => [t, Number(v)] as const),
  }));
}

/** The scenario the picture shows: steady voting, a crash failover, a pause, a switchover back. */
async function runScenario(stack: Stack): Promise<void> {
  const { manager, cluster } = stack;
  const [v1] = cluster.validators;
  await waitUntil(
    'v1 active with a tower backup',
    async () => {
      const status = await manager.status();
      return status.active === 'validator1' && status.nodes[0]?.last_tower_backup != null;
    },
    30_000,
  );
  say('v1 votes; steady for 40 s');
  await sleep(40_000);
  say('kill -9 of v1’s validator');
  await v1!.crash();
  await manager.log.waitFor((line) => line.event === 'failover-complete', 60_000);
  say('failed over to v2; v1 restarts (unstaked) in 15 s');
  await sleep(15_000);
  await v1!.restart();
  await waitUntil(
    'v1 back as a healthy passive',
    async () => (await manager.status()).nodes[0]?.healthy === true,
    60_000,
  );
  await sleep(10_000);
  say('v1’s agent frozen for 5 s (SIGSTOP): unreachable, then back');
  stack.agents[0].process.signal('SIGSTOP');
  await sleep(5_000);
  stack.agents[0].process.signal('SIGCONT');
  await sleep(10_000);
  say('maintenance pause for 25 s');
  const paused = await requestPause(manager.control, { reason: 'kernel upgrade on v1' });
  if (paused.outcome !== 'paused') throw new Error(`pause refused: ${JSON.stringify(paused)}`);
  await sleep(25_000);
  await requestResume(manager.control, {});
  say('planned switchover back to v1');
  for await (const line of requestSwitchover(manager.control, {
    reason: 'back to the primary',
    to: 'validator1',
    wait_for_leader_gap_slots: 0,
  })) {
    if (line.type === 'done') say(`switchover ${line.outcome}`);
  }
  say('steady for 40 s');
  await sleep(40_000);
}

/** Runs the whole thing; resolves with the exit code. */
export async function runDashboardShot(argv: readonly string[]): Promise<number> {
  const outIndex = argv.indexOf('--out');
  const out = path.resolve(outIndex >= 0 ? (argv[outIndex + 1] ?? '') : 'docs/grafana/dashboard.png');
  for (const [binary, pkg] of [
    [PROMETHEUS, 'prometheus'],
    [CHROMIUM, 'chromium'],
  ] as const) {
    if (!existsSync(binary)) {
      process.stderr.write(`dashboard-shot: ${binary} is not installed; install it with: apt-get install -y ${pkg}\n`);
      return 2;
    }
  }
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { title: string; panels: RenderPanel[] };
  const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-shot-'));
  let stack: Stack | undefined;
  let prometheus: ChildProcess | undefined;
  try {
    say('starting the stack (400 ms slots) and Prometheus (1 s scrapes)');
    stack = await startStack({ slotMs: 400, telegram: true, cooldownMs: 20_000, graceMs: 5_000 });
    const started = await startPrometheus(stack, dir);
    prometheus = started.child;
    const start = Math.floor(Date.now() / 1000);
    await runScenario(stack);
    const end = Math.floor(Date.now() / 1000);

    const data = new Map<number, PanelData>();
    const empty: string[] = [];
    for (const panel of dashboard.panels) {
      if (panel.type === 'row') continue;
      const results = await Promise.all((panel.targets ?? []).map((t) => queryRange(started.url, t.expr, start, end)));
      data.set(panel.id, results);
      if (results.every((r) => r.length === 0)) empty.push(panel.title);
    }
    const caption =
      `${DASHBOARD}, each panel's own PromQL answered by Prometheus ${clockOf(start)}–${clockOf(end)} UTC: ` +
      'simulated cluster, v1 killed at about 40 s, v2 promoted, v1 restarted, v1’s agent frozen 5 s, a 25 s maintenance pause, a planned switchover back to v1.';
    const page = path.join(dir, 'dashboard.html');
    writeFileSync(
      page,
      renderDashboardPage(dashboard.title, dashboard.panels, data, { start, end, step: STEP_SECONDS }, caption),
    );
    await screenshot(page, out);
    say(`wrote ${out}`);
    if (empty.length > 0) {
      process.stderr.write(`dashboard-shot: no data in ${empty.length} panel(s): ${empty.join('; ')}\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    process.stderr.write(`dashboard-shot: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    prometheus?.kill('SIGTERM');
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function clockOf(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(11, 19);
}

/** Headless Chromium, flags as this network needs them (no background connections). */
async function screenshot(page: string, out: string): Promise<void> {
  const profile = mkdtempSync(path.join(tmpdir(), 'dashboard-chromium-'));
  try {
    const child = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        '--window-size=1616,2460',
        `--screenshot=${out}`,
        `file://${page}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let said = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      said = (said + chunk.toString()).slice(-2000);
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (code !== 0 || !existsSync(out)) throw new Error(`chromium exited with ${code}: ${said}`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void runDashboardShot(process.argv.slice(2)).then((code) => process.exit(code));
}
