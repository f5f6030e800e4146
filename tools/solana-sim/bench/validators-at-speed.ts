import { startCluster } from '../src';

// 20 validators at 50 ms slots on this machine: how far behind the cluster tip does each
// validator's replayed slot get, and how late does the cluster's own slot clock tick?
// Usage: npm run bench -w @failover/solana-sim [-- VALIDATORS SLOT_MS SECONDS]
async function main(): Promise<void> {
  const [count = 20, slotMs = 50, seconds = 20] = process.argv.slice(2).map(Number);
  const started = Date.now();
  const cluster = await startCluster({
    validators: Array.from({ length: count }, (_, i) => ({ name: `v${i + 1}` })),
    slotMs,
  });
  try {
    process.stdout.write(
      `${count} validators up in ${Date.now() - started} ms; sampling for ${seconds} s at ${slotMs} ms/slot\n`,
    );
    const lags: number[] = [];
    let worst = 0;
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const status = await cluster.status();
      for (const v of status.validators) {
        const lag = status.slot - v.replayedSlot;
        lags.push(lag);
        worst = Math.max(worst, lag);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const samples = await Promise.all(cluster.validators.map((v) => v.status()));
    const selfLag = samples.map((s) => s.clusterSlot - s.slot);
    const status = await cluster.status();
    const gaps = await cluster.judge.gaps();
    lags.sort((a, b) => a - b);
    const pct = (p: number): number => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? 0;
    process.stdout.write(
      [
        `cluster tick lateness: mean ${status.ticks.meanLateMs.toFixed(2)} ms, max ${status.ticks.maxLateMs} ms over ${status.ticks.count} ticks`,
        `replay lag behind tip (slots, ${lags.length} samples): p50 ${pct(50)}, p99 ${pct(99)}, max ${worst}`,
        `validators' own view of lag at the end (slots): max ${Math.max(...selfLag)}`,
        `staked identity: ${gaps.votes} votes, ${gaps.gaps.length} gaps, largest ${gaps.largest?.slots ?? 0} slots`,
        `violations: ${(await cluster.judge.violations()).length}`,
      ].join('\n') + '\n',
    );
  } finally {
    await cluster.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
