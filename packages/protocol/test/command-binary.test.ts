import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binaryOf, findCommandBinary } from '@failover/protocol';

describe('the binary a command line starts', () => {
  it.each([
    ['agave-validator -l /ledger set-identity /keys/staked.json', 'agave-validator'],
    ['RUST_LOG=warn /opt/solana/bin/agave-validator exit', '/opt/solana/bin/agave-validator'],
    ['$(which solana) gossip', undefined],
    ['  ln -sf a b', 'ln'],
  ])('of %j is %j', (command, binary) => {
    expect(binaryOf(command)).toBe(binary);
  });

  describe('found on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'command-binary-'));
      writeFileSync(path.join(dir, 'ipmi-off'), '#!/bin/sh\n');
      chmodSync(path.join(dir, 'ipmi-off'), 0o755);
      writeFileSync(path.join(dir, 'notes.txt'), 'not a program');
      chmodSync(path.join(dir, 'notes.txt'), 0o644);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('on PATH, or at the path the line names', async () => {
      const env = { PATH: `/nonexistent:${dir}` };
      await expect(findCommandBinary('ipmi-off --host 10.0.0.1', env)).resolves.toEqual({
        ok: true,
        file: path.join(dir, 'ipmi-off'),
      });
      await expect(findCommandBinary(`${dir}/ipmi-off`, {})).resolves.toEqual({
        ok: true,
        file: path.join(dir, 'ipmi-off'),
      });
    });

    it('says what is wrong: not on PATH, not executable, or shell syntax that cannot be checked', async () => {
      await expect(findCommandBinary('page-oncall now', { PATH: dir })).resolves.toEqual({
        ok: false,
        shellSyntax: false,
        why: 'page-oncall is not on PATH',
      });
      await expect(findCommandBinary(`${dir}/notes.txt`, {})).resolves.toMatchObject({
        why: `${dir}/notes.txt is not an executable file`,
      });
      await expect(findCommandBinary(`${dir}/missing`, {})).resolves.toMatchObject({
        why: `${dir}/missing is not an executable file`,
      });
      await expect(findCommandBinary('[ -x /x ] && /x', {})).resolves.toEqual({
        ok: false,
        shellSyntax: true,
        why: 'starts with shell syntax; its binary is not checked',
      });
    });
  });
});
