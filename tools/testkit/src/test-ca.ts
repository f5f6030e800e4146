import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ComponentStartError } from './errors';

const run = promisify(execFile);

/** PEM files of a throwaway CA, a server certificate for 127.0.0.1 and a client certificate it signed. */
export interface TestCertificates {
  /** The CA's certificate: what clients and servers trust. */
  readonly caFile: string;
  /** Server certificate (SAN IP 127.0.0.1, server and client auth: etcd's peers use both). */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Client certificate (CN `failover-test-client`, client auth). */
  readonly clientCertFile: string;
  /** Its key, mode 0600. */
  readonly clientKeyFile: string;
}

/**
 * Makes a CA and two certificates in `dir` with the system's `openssl` (P-256 keys, one day):
 * enough for a real TLS server with client-certificate checks, and nothing shared between runs.
 */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const path = (name: string): string => join(dir, name);
  const openssl = async (args: string[]): Promise<void> => {
    try {
      await run('openssl', args, { cwd: dir });
    } catch (error) {
      throw new ComponentStartError('openssl', 'could not make test certificates', String((error as Error).message));
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=failover-test-ca',
  ]);
  const sign = async (name: string, subject: string, extensions: string): Promise<void> => {
    writeFileSync(path(`${name}.ext`), extensions);
    await openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    await openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ]);
  };
  await sign('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  await sign('client', '/CN=failover-test-client', 'extendedKeyUsage=clientAuth\n');
  // As an operator keeps it: the programs refuse a key other users can read.
  chmodSync(path('client.key'), 0o600);
  return {
    caFile: path('ca.crt'),
    serverCertFile: path('server.crt'),
    serverKeyFile: path('server.key'),
    clientCertFile: path('client.crt'),
    clientKeyFile: path('client.key'),
  };
}
