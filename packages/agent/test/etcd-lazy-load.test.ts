import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Run in a fresh Node process: jest's own module registry does not show what Node loaded.
// The script loads the whole package entry, as the agent's bin does, and reports whether
// etcd3 is in Node's module cache before and after an etcd store is created and used.
const SCRIPT = `
const agent = require(${JSON.stringify(path.join(__dirname, '../src/index.ts'))});
const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/etcd3/'));
const atLoad = loaded();
agent.createDirectoryTowerStore({ directory: '/nonexistent', identity: 'x' });
const store = agent.createEtcdTowerStore({ endpoints: ['http://127.0.0.1:1'], identity: 'x', callTimeoutMs: 100, dialTimeoutMs: 100 });
const atCreate = loaded();
store.latest().then(async (outcome) => {
  console.log(JSON.stringify({ atLoad, atCreate, afterUse: loaded(), ok: outcome.ok }));
  await store.close();
});
`;

describe('etcd3 loading', () => {
  it('is loaded only once an etcd tower store is first used, so other stores never pay its memory', async () => {
    const { stdout } = await run(process.execPath, [require.resolve('tsx/cli'), '-e', SCRIPT], { timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ atLoad: false, atCreate: false, afterUse: true, ok: false });
  }, 40_000);
});
