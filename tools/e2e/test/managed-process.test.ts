import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from '@failover/testkit';
import { ManagedProcess } from '../src/managed-process';
import { run } from '../src/run';

let dir: string;
let program: string;
const started: ManagedProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'failover-managed-'));
  // A stand-in for an agent: serves until told to stop (SIGTERM ends it cleanly), and says hello
  // once its SIGTERM handler is in place, so a test that waits for the line can rely on it.
  program = path.join(dir, 'program.js');
  writeFileSync(
    program,
    "const t = setInterval(() => {}, 1000); process.on('SIGTERM', () => clearInterval(t)); console.log('hello ' + process.argv[2]);\n",
  );
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.kill()));
  rmSync(dir, { recursive: true, force: true });
});

function managed(onLine?: (line: string) => void): ManagedProcess {
  const p = new ManagedProcess({
    name: 'program',
    script: program,
    args: ['there'],
    env: process.env,
    logPath: path.join(dir, 'program.log'),
    ...(onLine ? { onLine } : {}),
  });
  started.push(p);
  return p;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a managed program', () => {
  it('hands each stdout line to the listener and keeps every run in one log file', async () => {
    const lines: string[] = [];
    const p = managed((line) => lines.push(line));
    p.start();
    await waitFor(() => lines.length > 0, { description: 'the first line' });
    await p.kill();
    expect(p.lastExit).toEqual({ code: null, signal: 'SIGKILL' });
    p.start();
    await waitFor(() => lines.length > 1, { description: 'the line of the second run' });
    expect(lines).toEqual(['hello there', 'hello there']);
    expect(readFileSync(p.logPath, 'utf8')).toBe('hello there\nhello there\n');
  });

  it('stops with SIGTERM when the program ends by itself', async () => {
    const lines: string[] = [];
    const p = managed((line) => lines.push(line));
    p.start();
    // Its SIGTERM handler is in place once it has spoken.
    await waitFor(() => lines.length > 0, { description: 'the first line' });
    await p.stop();
    expect(p.lastExit).toEqual({ code: 0, signal: null });
  });

  it('stops a frozen program too', async () => {
    const p = managed();
    p.start();
    p.signal('SIGSTOP');
    await p.stop();
    expect(p.isRunning()).toBe(false);
  });

  it('dies with the process that started it, even when that one is killed with SIGKILL', async () => {
    const parent = path.join(dir, 'parent.ts');
    const orphan = path.join(dir, 'orphan.js');
    const pidFile = path.join(dir, 'orphan.pid');
    const source = path.resolve(__dirname, '../src/managed-process.ts');
    // The child writes its own pid, so the test knows which process to watch from the child
    // itself and can check the pid the parent reports against it. Written then renamed, so the
    // parent never sees a half-written file.
    writeFileSync(
      orphan,
      `const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(pidFile + '.new')}, String(process.pid)); ` +
        `fs.renameSync(${JSON.stringify(pidFile + '.new')}, ${JSON.stringify(pidFile)}); setInterval(() => {}, 1000);\n`,
    );
    // The parent prints a tagged line with process.stdout.write: console.log colours numbers
    // when FORCE_COLOR is set (Nx sets it), and a colour code once passed for the pid.
    writeFileSync(
      parent,
      `import { statSync } from 'node:fs';\n` +
        `import { ManagedProcess } from ${JSON.stringify(source)};\n` +
        `const p = new ManagedProcess({ name: 'program', script: ${JSON.stringify(orphan)}, args: [], env: process.env, logPath: ${JSON.stringify(path.join(dir, 'orphan.log'))} });\n` +
        `p.start(); process.stdout.write('child-pid=' + String(p.pid) + '\\n');\n` +
        `const ready = setInterval(() => { try { statSync(${JSON.stringify(pidFile)}); clearInterval(ready); process.kill(process.pid, 'SIGKILL'); } catch { /* not yet */ } }, 20);\n`,
    );
    const result = await run(process.execPath, ['--import', 'tsx', parent], {
      cwd: path.resolve(__dirname, '../../..'),
    });
    const printed = /^child-pid=(\d+)$/m.exec(result.stdout)?.[1];
    const written = readFileSync(pidFile, 'utf8');
    // On failure, show everything the parent said rather than a bare mismatch.
    expect({
      killed: result.code === null,
      printed,
      stdout: JSON.stringify(result.stdout),
      stderr: result.stderr,
    }).toMatchObject({ killed: true, printed: written });
    const pid = Number(written);
    await waitFor(() => !alive(pid), { description: `program ${pid} to die with its parent`, timeoutMs: 5_000 });
    expect(() => execFileSync('kill', ['-0', String(pid)], { stdio: 'ignore' })).toThrow();
  });

  it('runs a script with the Node.js options of its #!/usr/bin/env -S node line, as its bin would', async () => {
    writeFileSync(
      program,
      "#!/usr/bin/env -S node --max-semi-space-size=1\nconsole.log(process.execArgv.filter((a) => !a.endsWith('.cjs') && a !== '--require').join(' '));\n",
    );
    const lines: string[] = [];
    managed((line) => lines.push(line)).start();
    await waitFor(() => lines.length > 0, { description: 'the program’s options' });
    expect(lines[0]).toBe('--max-semi-space-size=1');
  });
});
