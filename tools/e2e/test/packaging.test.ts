import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../src/run';

const root = path.resolve(__dirname, '../../..');
const publishable = ['core', 'protocol', 'notifier', 'agent', 'manager'] as const;

// Installs the tarballs `npm pack` makes into an empty project, the way a user gets them,
// so a broken `exports` map, a missing file or an undeclared dependency fails here.
describe('the packed packages', () => {
  let scratch: string;
  const tarballs: Record<string, string> = {};

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'failover-pack-'));
    for (const name of publishable) {
      const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], {
        cwd: path.join(root, 'packages', name),
      });
      expect(packed.code).toBe(0);
      const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
      tarballs[name] = path.join(scratch, info!.filename);
    }
    await writeFile(
      path.join(scratch, 'package.json'),
      JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }),
    );
    const installed = await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...publishable.map((name) => tarballs[name]!),
      ],
      { cwd: scratch, timeoutMs: 240_000 },
    );
    expect(installed.stderr).not.toMatch(/ERR!/);
    expect(installed.code).toBe(0);
  }, 300_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('publishes only the built files, the README and package.json', async () => {
    for (const name of publishable) {
      const listed = await run('tar', ['-tzf', tarballs[name]!]);
      const files = listed.stdout.trim().split('\n');
      expect(files).toContain('package/package.json');
      expect(files).toContain('package/README.md');
      expect(files).toContain('package/dist/index.js');
      expect(files.filter((file) => /\/(src|test)\//.test(file))).toEqual([]);
    }
  });

  it("ships the agent's systemd unit, the host guard's home", async () => {
    const listed = await run('tar', ['-tzf', tarballs.agent!]);
    expect(listed.stdout.trim().split('\n')).toContain('package/systemd/failover-agent.service');
  });

  it('loads @failover/core with require()', async () => {
    const loaded = await run(
      'node',
      [
        '-e',
        "const core = require('@failover/core'); process.stdout.write(core.encodeBase58(Uint8Array.from([0, 0, 1])));",
      ],
      { cwd: scratch },
    );
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout).toBe('112');
  });

  it('loads @failover/core with import', async () => {
    const loaded = await run(
      'node',
      [
        '--input-type=module',
        '-e',
        "import { encodeBase58 } from '@failover/core'; process.stdout.write(encodeBase58(Uint8Array.from([0, 0, 1])));",
      ],
      { cwd: scratch },
    );
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout).toBe('112');
  });

  it('loads @failover/protocol/server with require() and import, and the main entry without fastify', async () => {
    const required = await run(
      'node',
      ['-e', "process.stdout.write(String(require('@failover/protocol/server').SIGNED_JSON_BODY_LIMIT));"],
      { cwd: scratch },
    );
    expect(required.stderr).toBe('');
    expect(required.stdout).toBe('16384');
    const imported = await run(
      'node',
      [
        '--input-type=module',
        '-e',
        "import { SIGNED_JSON_BODY_LIMIT } from '@failover/protocol/server'; process.stdout.write(String(SIGNED_JSON_BODY_LIMIT));",
      ],
      { cwd: scratch },
    );
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toBe('16384');
    const main = await run(
      'node',
      [
        '-e',
        "require('@failover/protocol'); process.stdout.write(String(Object.keys(require.cache).some((file) => file.includes('/node_modules/fastify/'))));",
      ],
      { cwd: scratch },
    );
    expect(main.stderr).toBe('');
    expect(main.stdout).toBe('false');
  });

  it('runs both command-line tools through npx', async () => {
    const agent = await run('npx', ['--no-install', 'failover-agent', '--help'], { cwd: scratch });
    expect(agent.code).toBe(0);
    expect(agent.stdout).toMatch(/failover-agent/);
    const manager = await run('npx', ['--no-install', 'failover-manager', '--generate-config'], { cwd: scratch });
    expect(manager.code).toBe(0);
    expect(() => JSON.parse(manager.stdout)).not.toThrow();
  });
});
