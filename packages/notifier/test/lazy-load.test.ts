import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir, type TempDir } from '@failover/testkit';

const run = promisify(execFile);

// Run in a fresh Node process: jest's own module registry does not show what Node loaded.
// `loaded(name)` tells whether a package is in Node's module cache.
const PRELUDE = `
const notifier = require(${JSON.stringify(path.join(__dirname, '../src/index.ts'))});
const loaded = (name) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/'));
`;

async function runScript(body: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, [require.resolve('tsx/cli'), '-e', PRELUDE + body], {
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim());
}

let dir: TempDir;
beforeEach(() => {
  dir = tempDir('notifier-lazy');
});
afterEach(() => dir.remove());

describe('modules loaded on demand', () => {
  it('loads winston-daily-rotate-file only for a logger that rotates its file', async () => {
    const plain = path.join(dir.path, 'plain.log');
    const daily = path.join(dir.path, 'agent.log');
    const outcome = await runScript(`
const atLoad = loaded('winston-daily-rotate-file');
const loggers = [notifier.createLogger({ console: false, file: ${JSON.stringify(plain)} })];
const withPlainFile = loaded('winston-daily-rotate-file');
loggers.push(notifier.createLogger({ console: false, file: ${JSON.stringify(daily)}, rotate: 'daily' }));
const withDailyFile = loaded('winston-daily-rotate-file');
Promise.all(loggers.map((l) => l.close())).then(() => console.log(JSON.stringify({ atLoad, withPlainFile, withDailyFile })));
`);
    expect(outcome).toEqual({ atLoad: false, withPlainFile: false, withDailyFile: true });
  }, 40_000);

  it('loads grammy only once a Telegram sink sends its first message', async () => {
    const outcome = await runScript(`
const logger = notifier.createLogger({ console: false, level: 'silent' });
const sink = notifier.createTelegramSink({ token: '123:abc', chatId: 1, apiRoot: 'http://127.0.0.1:1', maxAttempts: 1, logger });
const atCreate = loaded('grammy');
sink.deliver({ type: 'started', at: 0, dryRun: false });
sink.flush(20_000).then(async () => {
  const afterSend = loaded('grammy');
  await sink.close();
  console.log(JSON.stringify({ atCreate, afterSend }));
});
`);
    expect(outcome).toEqual({ atCreate: false, afterSend: true });
  }, 40_000);
});
