import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { heapGrowth, parseHeapArgs, summarizeHeapSnapshot, type HeapSnapshotJson } from '../src/agent-heap';

/** A real V8 snapshot of a Node.js process holding `held` objects of class `Held`, each with a 1 kB string. */
function snapshotHolding(held: number, dir: string): HeapSnapshotJson {
  const file = path.join(dir, `held-${held}.heapsnapshot`);
  const script = `
    class Held { constructor() { this.text = require('node:crypto').randomBytes(500).toString('hex'); } }
    globalThis.kept = Array.from({ length: ${held} }, () => new Held());
    require('node:v8').writeHeapSnapshot(${JSON.stringify(file)});`;
  execFileSync(process.execPath, ['-e', script]);
  return JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshotJson;
}

describe('summarizeHeapSnapshot and heapGrowth', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'heap-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts live objects by constructor and names the kinds that grew first', () => {
    const before = summarizeHeapSnapshot(snapshotHolding(100, dir));
    const after = summarizeHeapSnapshot(snapshotHolding(2100, dir));
    expect(before.groups.get('Held')?.count).toBe(100);
    expect(after.groups.get('Held')?.count).toBe(2100);
    expect(after.bytes - before.bytes).toBeGreaterThan(2000 * 1000);

    const growth = heapGrowth(before, after, 3);
    expect(growth).toHaveLength(3);
    // The 2000 strings of 1 kB each outweigh the 2000 small objects that hold them.
    expect(growth[0]).toMatchObject({ kind: '(string)' });
    expect(growth[0]!.bytesAfter - growth[0]!.bytesBefore).toBeGreaterThan(2000 * 1000);
    expect(growth.map((g) => g.kind)).toContain('Held');
  });

  it('refuses a file that is not a heap snapshot, saying what is missing', () => {
    expect(() => summarizeHeapSnapshot({ nodes: [] } as unknown as HeapSnapshotJson)).toThrow(
      'not a V8 heap snapshot: no snapshot.meta.node_fields',
    );
  });
});

describe('parseHeapArgs', () => {
  it('defaults to the etcd store, 20 minutes apart after a minute of warm-up', () => {
    expect(parseHeapArgs([])).toEqual({ minutes: 20, store: 'etcd', warmupSeconds: 60, slotMs: 400 });
  });

  it('names the option that is wrong', () => {
    expect(() => parseHeapArgs(['--store', 'redis'])).toThrow(
      "--store: 'redis' is not one of directory, etcd, command",
    );
    expect(() => parseHeapArgs(['--minutes', '0'])).toThrow('--minutes');
  });
});
