/**
 * Reading the files the etcd TLS and user keys name, once at start, into what the etcd3 client
 * takes. The private key and the password file are refused when other users may read them, as
 * the shared secret is; certificates are public and only have to be there.
 */
import { readFile, stat } from 'node:fs/promises';
import { EtcdAccessError } from '../errors';
import type { EtcdAccess } from './domain-config';

/** What the etcd3 client's `credentials` and `auth` options take; absent parts stay absent. */
export interface EtcdClientSecurity {
  readonly credentials?: {
    readonly rootCertificate: Buffer;
    readonly privateKey?: Buffer;
    readonly certChain?: Buffer;
  };
  readonly auth?: { readonly username: string; readonly password: string };
}

/**
 * Loads the files of `access`. An `https://` endpoint without `etcd_ca_file` needs nothing here:
 * the client then checks the members against the system's CAs.
 * @throws EtcdAccessError when a file is missing, unreadable, empty, or a secret one too open.
 */
export async function loadEtcdAccess(access: EtcdAccess): Promise<EtcdClientSecurity> {
  const ca = access.caFile === undefined ? undefined : await readPem('etcd_ca_file', access.caFile, 'CERTIFICATE');
  const cert =
    access.clientCert === undefined
      ? undefined
      : {
          certChain: await readPem('etcd_cert_file', access.clientCert.certFile, 'CERTIFICATE'),
          privateKey: await readSecret('etcd_key_file', access.clientCert.keyFile, 'PRIVATE KEY'),
        };
  const password =
    access.user === undefined ? undefined : await readSecret('etcd_password_file', access.user.passwordFile, null);
  return {
    // The rules allow a client certificate only with etcd_ca_file: etcd checks it against its own CA.
    ...(ca === undefined ? {} : { credentials: { rootCertificate: ca, ...cert } }),
    ...(access.user === undefined || password === undefined
      ? {}
      : { auth: { username: access.user.username, password: password.toString('utf8').trim() } }),
  };
}

async function readPem(key: string, path: string, label: string): Promise<Buffer> {
  const content = await readChecked(key, path);
  if (!content.toString('utf8').includes(`-----BEGIN ${label}`) && !content.toString('utf8').includes(`${label}-----`))
    throw new EtcdAccessError(
      key,
      path,
      `holds no PEM ${label.toLowerCase()} (no "-----BEGIN ... ${label}-----" line)`,
    );
  return content;
}

async function readSecret(key: string, path: string, label: string | null): Promise<Buffer> {
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (error) {
    throw fileError(key, path, error);
  }
  if ((mode & 0o007) !== 0)
    throw new EtcdAccessError(
      key,
      path,
      `has mode ${mode.toString(8).padStart(4, '0')}; other users can read it. Run: chmod 600 ${path}`,
    );
  return label === null ? readChecked(key, path) : readPem(key, path, label);
}

async function readChecked(key: string, path: string): Promise<Buffer> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    throw fileError(key, path, error);
  }
  if (content.toString('utf8').trim() === '') throw new EtcdAccessError(key, path, 'is empty');
  return content;
}

function fileError(key: string, path: string, error: unknown): EtcdAccessError {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? new EtcdAccessError(key, path, 'does not exist', { cause: error })
    : new EtcdAccessError(key, path, `cannot be read (${code ?? 'unknown error'})`, { cause: error });
}
