/**
 * The load generator of the `/status` benchmark, run as its own process so that its work
 * does not share an event loop with what it measures. Sends signed `POST /status` requests to
 * one agent at a fixed rate (open loop: a slow answer does not slow the schedule, so queueing
 * in the agent shows in the latencies), never more than `--max-in-flight` at once, and prints
 * one JSON object with the results on stdout.
 *
 * Usage: node --import tsx src/status-load.ts --url URL --secret-file FILE [--endpoint status|health --rate 200 --seconds 30 --max-in-flight 100]
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createAgentClient } from '@failover/protocol';

/** What the load generator reports. */
export interface LoadResult {
  /** Requests scheduled: rate × seconds. */
  readonly scheduled: number;
  readonly ok: number;
  readonly failed: number;
  /** Not sent because `maxInFlight` requests were already waiting. */
  readonly skipped: number;
  /** Latency of every answered request, ms. */
  readonly latenciesMs: readonly number[];
  /** First few distinct failure messages, for the report. */
  readonly failures: readonly string[];
  readonly elapsedMs: number;
}

async function runLoad(
  url: string,
  secret: Buffer,
  endpoint: 'status' | 'health',
  rate: number,
  seconds: number,
  maxInFlight: number,
): Promise<LoadResult> {
  const client = createAgentClient({ baseUrl: url, secret, timeoutMs: 5_000 });
  const scheduled = Math.round(rate * seconds);
  const latenciesMs: number[] = [];
  const failures = new Set<string>();
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  for (let i = 0; i < scheduled; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight >= maxInFlight) {
      skipped++;
      continue;
    }
    inFlight++;
    const sent = performance.now();
    pending.push(
      (endpoint === 'status' ? client.status() : client.health()).then((result) => {
        inFlight--;
        latenciesMs.push(performance.now() - sent);
        if (result.ok) ok++;
        else {
          failed++;
          if (failures.size < 5) failures.add(result.error.message);
        }
      }),
    );
  }
  await Promise.all(pending);
  return {
    scheduled,
    ok,
    failed,
    skipped,
    latenciesMs,
    failures: [...failures],
    elapsedMs: performance.now() - started,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      'secret-file': { type: 'string' },
      endpoint: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      'max-in-flight': { type: 'string' },
    },
  });
  if (values.url === undefined || values['secret-file'] === undefined)
    throw new Error('--url and --secret-file are required');
  // The agents use the file's trimmed text as the HMAC key; so must we.
  const secret = Buffer.from(readFileSync(values['secret-file'], 'utf8').trim(), 'utf8');
  const endpoint = values.endpoint ?? 'status';
  if (endpoint !== 'status' && endpoint !== 'health')
    throw new Error(`--endpoint: expected status or health, got '${endpoint}'`);
  const result = await runLoad(
    values.url,
    secret,
    endpoint,
    Number(values.rate ?? 200),
    Number(values.seconds ?? 30),
    Number(values['max-in-flight'] ?? 100),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`status-load: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
