/**
 * OpenSSH known_hosts checking for the identity push. The staked keypair is written to
 * whatever answers on the validator's address, so a host that cannot prove it is the one
 * the operator recorded must never receive it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';

/** The outcome of checking one host key against known_hosts. */
export type HostKeyVerdict =
  | { readonly status: 'known' }
  | { readonly status: 'unknown'; readonly keyType: string }
  | { readonly status: 'changed'; readonly keyType: string }
  | { readonly status: 'revoked'; readonly keyType: string };

interface KnownHostLine {
  readonly marker: '@revoked' | '@cert-authority' | undefined;
  readonly hosts: string;
  readonly keyType: string;
  readonly key: Buffer;
}

/** The name OpenSSH records for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Reads the key algorithm name that opens an SSH public key blob (RFC 4253 §6.6). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  if (length > 64 || blob.length < 4 + length) return 'unknown';
  return blob.subarray(4, 4 + length).toString('ascii');
}

/**
 * Checks `key` (the raw blob the server presented) for `host`:`port` against the text of a
 * known_hosts file. Hashed entries (`|1|salt|hash`, HashKnownHosts) and comma-separated
 * patterns are understood; wildcard patterns and certificate authorities are not trusted,
 * because a key must match an entry written for this host.
 */
export function checkHostKey(knownHosts: string, host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostName(host, port);
  const keyType = keyTypeOf(key);
  let sawSameType = false;
  let matched = false;
  for (const line of parseKnownHosts(knownHosts)) {
    if (!hostMatches(line.hosts, name)) continue;
    if (line.marker === '@revoked') {
      if (line.key.equals(key)) return { status: 'revoked', keyType };
      continue;
    }
    if (line.marker === '@cert-authority') continue;
    if (line.key.equals(key)) matched = true;
    else if (line.keyType === keyType) sawSameType = true;
  }
  if (matched) return { status: 'known' };
  // Like OpenSSH: a recorded key of the same algorithm that differs means the host changed;
  // a host recorded only with other algorithms is still "unknown" for this one.
  return sawSameType ? { status: 'changed', keyType } : { status: 'unknown', keyType };
}

/** Reads a known_hosts file; a missing file reads as empty (every host unknown). */
export async function readKnownHosts(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Appends a host key for `host`:`port`, as trust-on-first-use records it. */
export async function recordHostKey(path: string, host: string, port: number, key: Buffer): Promise<void> {
  const existing = await readKnownHosts(path);
  const separator = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
  const line = `${knownHostName(host, port)} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
  await appendFile(path, separator + line, { mode: 0o600 });
}

function parseKnownHosts(text: string): KnownHostLine[] {
  const lines: KnownHostLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostLine['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostLine['marker'];
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined) continue;
    lines.push({ marker, hosts, keyType, key: Buffer.from(key, 'base64') });
  }
  return lines;
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (pattern.slice(1) === name) return false;
    } else if (pattern === name) {
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
