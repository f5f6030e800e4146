import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { SimulatedClock } from '@failover/core/testing';
import { tempDir } from '@failover/testkit';
import { createLogger, LoggerOptionError } from '@failover/notifier';
import { captureLogger } from './support/capture';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const clock = new SimulatedClock(NOW);

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, message, bindings and fields', () => {
    const { logger, records } = captureLogger({ clock });
    logger.child({ component: 'monitor' }).info({ node: 'validator1', slot: 42 }, 'node answered');
    expect(records()).toEqual([
      {
        time: '2026-01-02T03:04:05.678Z',
        level: 'info',
        msg: 'node answered',
        component: 'monitor',
        node: 'validator1',
        slot: 42,
      },
    ]);
  });

  it('writes text lines with quoted values where needed', () => {
    const { logger, lines } = captureLogger({ clock, format: 'text' });
    logger.warn({ node: 'validator1', detail: 'no answer in 5s', ok: false }, 'node unreachable');
    expect(lines()).toEqual([
      '2026-01-02T03:04:05.678Z WARN  node unreachable node=validator1 detail="no answer in 5s" ok=false',
    ]);
  });

  it('keeps a multi-line message and multi-line fields on one line', () => {
    for (const format of ['text', 'json'] as const) {
      const { logger, lines } = captureLogger({ clock, format });
      logger.error({ stderr: 'line one\nline two' }, 'command failed:\nexit 1');
      expect(lines()).toHaveLength(1);
    }
  });

  it('logs an Error argument under err, with its code and cause', () => {
    const { logger, records } = captureLogger({ clock });
    const error = Object.assign(new Error('boom', { cause: new Error('root cause') }), { code: 'FAILOVER_X' });
    logger.error(error, 'step failed');
    const [record] = records();
    expect(record?.msg).toBe('step failed');
    expect(record?.err).toMatchObject({
      type: 'Error',
      message: 'boom',
      code: 'FAILOVER_X',
      cause: { message: 'root cause' },
    });
  });

  it('drops lines below the threshold and honours a child’s own level and silent', () => {
    const { logger, records } = captureLogger({ clock, level: 'warn' });
    logger.info('hidden');
    logger.warn('shown');
    logger.child({}, { level: 'debug' }).debug('child debug');
    logger.child({}, { level: 'silent' }).fatal('silenced');
    logger.level = 'error';
    logger.warn('hidden after raising the level');
    expect(records().map((r) => r.msg)).toEqual(['shown', 'child debug']);
  });

  it('masks every configured secret, wherever it appears in the line', () => {
    const token = '123456:AAsecretTOKEN_value';
    const { logger, lines } = captureLogger({ clock, redact: [token] });
    logger.error(
      { url: `https://api.telegram.org/bot${token}/sendMessage`, nested: { encoded: encodeURIComponent(token) } },
      `request with ${token} failed`,
    );
    logger.error(new Error(`fetch https://x/bot${token}/getMe failed`), 'network');
    expect(lines().join('\n')).not.toContain(token);
    expect(lines().join('\n')).not.toContain(encodeURIComponent(token));
    expect(lines()[0]).toContain('[REDACTED]');
  });

  it('rejects an unknown level with the option named', () => {
    expect(() => createLogger({ level: 'verbose' as never })).toThrow(LoggerOptionError);
    expect(() => createLogger({ level: 'verbose' as never })).toThrow(
      'FAILOVER_LOGGER_OPTION: level must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"',
    );
  });

  it('writes to a file and, with daily rotation, keeps a symlink at the configured path', async () => {
    const dir = tempDir('logger');
    try {
      const plain = createLogger({ file: join(dir.path, 'plain.log'), console: false, format: 'json' });
      plain.info({ n: 1 }, 'to a file');
      await plain.close();
      expect(JSON.parse(readFileSync(join(dir.path, 'plain.log'), 'utf8').trim())).toMatchObject({
        msg: 'to a file',
        n: 1,
      });

      const rotating = createLogger({ file: join(dir.path, 'agent.log'), rotate: 'daily', console: false });
      rotating.info('rotated');
      await rotating.close();
      const dated = readdirSync(dir.path).find((f) => /^agent-\d{4}-\d{2}-\d{2}\.log$/.test(f));
      expect(dated).toBeDefined();
      expect(readFileSync(join(dir.path, dated!), 'utf8')).toContain('rotated');
      expect(existsSync(join(dir.path, 'agent.log')) && readlinkSync(join(dir.path, 'agent.log'))).toBe(dated);
    } finally {
      dir.remove();
    }
  });
});

// A real listening server rather than inject(): light-my-request's ESM-only cookie dependency
// cannot be loaded by jest's CommonJS runtime on Node 20.
async function request(app: Pick<FastifyInstance, 'listen'>, path: string): Promise<number> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const response = await fetch(`${address}${path}`);
  await response.text();
  return response.status;
}

describe('the logger as fastify’s loggerInstance', () => {
  it('receives fastify’s request lines with serialized request and response and a request id', async () => {
    const { logger, records } = captureLogger({ clock });
    // Compile-time half of the test: the type fastify expects of a logger.
    const asFastifyLogger: FastifyBaseLogger = logger;
    const app = Fastify({ loggerInstance: asFastifyLogger });
    app.get('/status', async (request) => {
      request.log.info({ probe: 'rpc' }, 'handling status');
      return { ok: true };
    });
    try {
      expect(await request(app, '/status')).toBe(200);
    } finally {
      await app.close();
    }
    const byMessage = new Map(records().map((r) => [r.msg, r]));
    expect(byMessage.get('incoming request')).toMatchObject({ level: 'info', req: { method: 'GET', url: '/status' } });
    expect(byMessage.get('handling status')).toMatchObject({ probe: 'rpc', reqId: expect.any(String) });
    expect(byMessage.get('request completed')).toMatchObject({
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
  });

  it('logs a route error with fastify’s err serializer', async () => {
    const { logger, records } = captureLogger({ clock });
    const app = Fastify({ loggerInstance: logger });
    app.get('/boom', async () => {
      throw new Error('handler exploded');
    });
    try {
      expect(await request(app, '/boom')).toBe(500);
    } finally {
      await app.close();
    }
    const errorLine = records().find((r) => r.level === 'error');
    expect(errorLine).toMatchObject({ err: { message: 'handler exploded' } });
  });
});
