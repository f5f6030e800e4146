import { parseSoakArgs, summarizeSoak } from '../src/agent-soak';
import { commandTowerStoreConfig } from '../src/bench-stack';
import type { ProcSample } from '../src/proc-stats';

const sample = (rssMb: number, peakMb = rssMb): ProcSample => ({
  at: 0,
  rssBytes: rssMb * 1e6,
  peakRssBytes: peakMb * 1e6,
  cpuSeconds: 0,
  childCpuSeconds: 0,
});

describe('summarizeSoak', () => {
  it('reports the median, the maximum, the last peak and the samples over the limit', () => {
    const samples = [90, 95, 101, 92, 99].map((mb) => sample(mb));
    samples.push(sample(93, 104));
    expect(summarizeSoak(samples, 100e6)).toMatchObject({
      samples: 6,
      medianBytes: 93e6,
      maxBytes: 101e6,
      peakBytes: 104e6,
      over: 1,
    });
  });

  it('compares the first and the last tenth of the samples, where a leak shows', () => {
    const samples = Array.from({ length: 20 }, (_, i) => sample(80 + i));
    expect(summarizeSoak(samples)).toMatchObject({ firstTenthMedianBytes: 80e6, lastTenthMedianBytes: 98e6 });
  });

  it('counts a sample of exactly 100 MB as within the target', () => {
    expect(summarizeSoak([sample(100)]).over).toBe(0);
  });
});

describe('parseSoakArgs', () => {
  it('defaults to 10 minutes of every tower store, sampled every 2 s', () => {
    expect(parseSoakArgs([])).toEqual({
      minutes: 10,
      stores: ['directory', 'etcd', 'command'],
      sampleSeconds: 2,
      slotMs: 400,
    });
  });

  it('takes a list of stores and refuses an unknown one by name', () => {
    expect(parseSoakArgs(['--stores', 'etcd,command', '--minutes', '1.5']).stores).toEqual(['etcd', 'command']);
    expect(() => parseSoakArgs(['--stores', 'directory,s3'])).toThrow("--stores: 's3' is not one of");
  });
});

describe('commandTowerStoreConfig', () => {
  it('replaces the directory store with backup and restore commands over the same directory', () => {
    const config = commandTowerStoreConfig({ tower_store: 'directory', tower_store_dir: '/tmp/a b', listen_addr: 'x' });
    expect(config).toEqual({
      listen_addr: 'x',
      tower_store: 'command',
      tower_backup_command:
        "mkdir -p '/tmp/a b' && cp {tower_file} '/tmp/a b/tower.bin.partial' && mv '/tmp/a b/tower.bin.partial' '/tmp/a b/tower.bin'",
      tower_restore_command: "cp '/tmp/a b/tower.bin' {tower_file}",
    });
  });
});
