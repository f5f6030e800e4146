import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as errors from '../src/errors';

describe('manager error codes', () => {
  const docs = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'manager.md'), 'utf8');
  const source = readFileSync(join(__dirname, '..', 'src', 'errors.ts'), 'utf8');
  const codes = [...source.matchAll(/'(FAILOVER_MANAGER_[A-Z_]+)'/g)].map((m) => m[1]!);

  it('are all documented in docs/manager.md', () => {
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(docs).toContain(`\`${code}\``);
  });

  it('are never reused by two errors', () => {
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('open the message of every error, which is a ManagerError', () => {
    const samples = [
      new errors.UsageError('x'),
      new errors.ManagerConfigError(['a: b']),
      new errors.NoAuthSecretError(),
      new errors.IdentityMismatchError('/k.json', 'A', 'B'),
      new errors.KeypairPermissionsError('/k.json', 0o644),
      new errors.SecureModeCheckError('validator1', 'x'),
      new errors.ControlApiError('x'),
      new errors.ManagerListenError(
        'metrics_listen',
        '0.0.0.0:9100',
        Object.assign(new Error('x'), { code: 'EADDRINUSE' }),
      ),
    ];
    for (const error of samples) {
      expect(error).toBeInstanceOf(errors.ManagerError);
      expect(error.message.startsWith(`${error.code}: `)).toBe(true);
      expect(codes).toContain(error.code);
    }
    expect(samples).toHaveLength(codes.length);
  });
});
