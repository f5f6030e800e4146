import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdAccessError, loadEtcdAccess, resolveManagerConfigFile } from '@failover/protocol';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n';
const pair = { validator1: { endpoint: 'http://10.0.0.1:8080' }, validator2: { endpoint: 'http://10.0.0.2:8080' } };

describe('loadEtcdAccess', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'failover-etcd-access-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, content: string, mode = 0o600): string => {
    const file = join(dir, name);
    writeFileSync(file, content);
    chmodSync(file, mode);
    return file;
  };

  it('reads the CA, the client certificate and key, and the password without its newline', async () => {
    const security = await loadEtcdAccess({
      caFile: write('ca.crt', CERT, 0o644),
      clientCert: { certFile: write('client.crt', CERT, 0o644), keyFile: write('client.key', KEY) },
      user: { username: 'failover', passwordFile: write('password', 'hunter2-but-longer\n') },
    });
    expect(security.credentials?.rootCertificate.toString()).toBe(CERT);
    expect(security.credentials?.certChain?.toString()).toBe(CERT);
    expect(security.credentials?.privateKey?.toString()).toBe(KEY);
    expect(security.auth).toEqual({ username: 'failover', password: 'hunter2-but-longer' });
  });

  it('needs nothing for a plain connection', async () => {
    await expect(loadEtcdAccess({})).resolves.toEqual({});
  });

  it.each<[string, (dir: string) => Parameters<typeof loadEtcdAccess>[0], string]>([
    ['a missing CA file', (d) => ({ caFile: join(d, 'nope.crt') }), 'etcd_ca_file {dir}/nope.crt does not exist'],
    [
      'a CA file that is no certificate',
      (d) => ({ caFile: writeIn(d, 'ca.crt', 'hello', 0o644) }),
      'etcd_ca_file {dir}/ca.crt holds no PEM certificate (no "-----BEGIN ... CERTIFICATE-----" line)',
    ],
    [
      'a key other users can read',
      (d) => ({
        caFile: writeIn(d, 'ca.crt', CERT, 0o644),
        clientCert: { certFile: writeIn(d, 'c.crt', CERT, 0o644), keyFile: writeIn(d, 'c.key', KEY, 0o644) },
      }),
      'etcd_key_file {dir}/c.key has mode 0644; other users can read it. Run: chmod 600 {dir}/c.key',
    ],
    [
      'an empty password file',
      (d) => ({ user: { username: 'u', passwordFile: writeIn(d, 'pw', '\n', 0o600) } }),
      'etcd_password_file {dir}/pw is empty',
    ],
  ])('refuses %s, naming the key and the path, never the content', async (_name, access, message) => {
    const error = await loadEtcdAccess(access(dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtcdAccessError);
    expect((error as Error).message).toBe(`FAILOVER_ETCD_ACCESS: ${message.replaceAll('{dir}', dir)}`);
    expect((error as Error).message).not.toContain('MIGH');
  });
});

function writeIn(dir: string, name: string, content: string, mode: number): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  chmodSync(file, mode);
  return file;
}

describe('the etcd TLS and user keys', () => {
  const problems = (keys: Record<string, unknown>) => {
    const result = resolveManagerConfigFile({ raw: { ...pair, ...keys } });
    return result.ok ? [] : result.problems.map((p) => `${p.path} ${p.message}`);
  };
  const https = ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'];

  it('map to the election config, pairs together', () => {
    const result = resolveManagerConfigFile({
      raw: {
        ...pair,
        etcd_endpoints: https,
        etcd_ca_file: '/etc/failover/etcd-ca.crt',
        etcd_cert_file: '/etc/failover/etcd.crt',
        etcd_key_file: '/etc/failover/etcd.key',
        etcd_username: 'failover',
        etcd_password_file: '/etc/failover/etcd-password',
      },
    });
    expect(result.ok && result.config.election?.access).toEqual({
      caFile: '/etc/failover/etcd-ca.crt',
      clientCert: { certFile: '/etc/failover/etcd.crt', keyFile: '/etc/failover/etcd.key' },
      user: { username: 'failover', passwordFile: '/etc/failover/etcd-password' },
    });
  });

  it.each([
    ['a key without endpoints', { etcd_ca_file: '/ca' }, '/etcd_ca_file has no effect without etcd_endpoints'],
    [
      'a certificate without its key',
      { etcd_endpoints: https, etcd_ca_file: '/ca', etcd_cert_file: '/c' },
      '/etcd_key_file is required when etcd_cert_file is set',
    ],
    [
      'a certificate without the CA',
      { etcd_endpoints: https, etcd_cert_file: '/c', etcd_key_file: '/k' },
      '/etcd_ca_file is required when etcd_cert_file is set',
    ],
    [
      'a user without a password file',
      { etcd_endpoints: https, etcd_username: 'u' },
      '/etcd_password_file is required when etcd_username is set',
    ],
    [
      'TLS files beside a plain-text endpoint',
      { etcd_endpoints: ['https://10.0.0.1:2379', 'http://10.0.0.2:2379'], etcd_ca_file: '/ca' },
      '/etcd_endpoints/1 is "http://10.0.0.2:2379", plain text, while etcd TLS files are set; use https://',
    ],
    [
      'members mixing http and https',
      { etcd_endpoints: ['https://10.0.0.1:2379', 'http://10.0.0.2:2379'] },
      '/etcd_endpoints mixes http:// and https:// members',
    ],
  ])('refuse %s', (_name, keys, problem) => {
    expect(problems(keys)).toEqual([expect.stringContaining(problem)]);
  });
});
