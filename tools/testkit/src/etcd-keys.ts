/**
 * The keys under one prefix of a test etcd, through its JSON gateway (`/v3/kv/…`), as anyone
 * who reaches etcd can read and write them: for tests and fault scripts that tamper with what
 * a program stored, without a client library of their own.
 */

/** One key and its value, both base64 as the gateway has them. */
export interface EtcdKv {
  readonly key: string;
  readonly value: string;
}

/** Reads, writes and deletes the keys under one prefix. */
export interface EtcdKeys {
  /** Every key under the prefix, in key order. */
  read(): Promise<EtcdKv[]>;
  /** Puts `kvs` in one transaction, so no reader sees half of them. */
  write(kvs: readonly EtcdKv[]): Promise<void>;
  /** Deletes every key under the prefix. */
  remove(): Promise<void>;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** The keys under `prefix` on the member at `endpoint` (`http://host:port`). */
export function etcdKeys(endpoint: string, prefix: string): EtcdKeys {
  const range = { key: b64(prefix), range_end: b64(prefixEnd(prefix)) };
  const call = async (what: 'range' | 'txn' | 'deleterange', body: unknown): Promise<unknown> => {
    const response = await fetch(`${endpoint}/v3/kv/${what}`, { method: 'POST', body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`etcd ${what} under ${prefix} on ${endpoint}: HTTP ${response.status}`);
    return response.json();
  };
  return {
    async read() {
      const body = (await call('range', range)) as { kvs?: EtcdKv[] };
      return (body.kvs ?? []).map(({ key, value }) => ({ key, value }));
    },
    async write(kvs) {
      await call('txn', { success: kvs.map((kv) => ({ request_put: { key: kv.key, value: kv.value } })) });
    },
    async remove() {
      await call('deleterange', range);
    },
  };
}

/** The first key after every key that starts with `prefix`: its last character raised by one. */
function prefixEnd(prefix: string): string {
  return `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
}
