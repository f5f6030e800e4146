import type { Etcd3, IOptions } from 'etcd3';
import {
  parseMeta,
  serializeMeta,
  type BackupOutcome,
  type KeptFileKind,
  type LatestOutcome,
  type RevisionOutcome,
  type TowerBackupMeta,
  type TowerStore,
} from './tower-store';

/** Options of {@link createEtcdTowerStore}. */
export interface EtcdTowerStoreOptions {
  /** Client URLs of the etcd members, `http://10.0.0.1:2379`. */
  readonly endpoints: readonly string[];
  /**
   * Key prefix (`etcd_prefix`). One etcd serving several clusters needs one prefix per
   * cluster; the identity under it already keeps two validators apart. @default '/failover/tower'
   */
  readonly prefix?: string;
  /** Staked identity pubkey; one key set per identity. */
  readonly identity: string;
  /**
   * The file carried: the tower under `<prefix>/<identity>/`, the vote history under
   * `<prefix>/vote-history/<identity>/` (never under the tower's keys' prefix). @default 'tower'
   */
  readonly file?: KeptFileKind;
  /**
   * Deadline of every unary call. etcd3 sets none by default, and a `get()` during a partition
   * was measured to hang for 20 s+. @default 2_000
   */
  readonly callTimeoutMs?: number;
  /** @default 2_000 */
  readonly dialTimeoutMs?: number;
  /** Extra etcd3 options (TLS credentials, auth); endpoints and deadlines above win. */
  readonly clientOptions?: Omit<IOptions, 'hosts'>;
}

// Zero-padded so that etcd's byte-wise Value comparison orders slots numerically: a backup
// is written only when the stored slot is below ours + 1, in the same transaction.
const SLOT_DIGITS = 20;
const padSlot = (slot: number | null): string => String((slot ?? -1) + 1).padStart(SLOT_DIGITS, '0');

/**
 * Tower backups in etcd: three keys under `<prefix>/<identity>/` (`bytes`,
 * `meta` with sha256 / slot / source / time, `slot`) always written in one transaction.
 *
 * Two fences guard the write, both checked by etcd in the same transaction, never read then
 * written. A backup never replaces one with a higher last voted slot. And an agent writes only
 * if nobody has written since it last read or wrote the keys (the `slot` key's mod revision):
 * it reads them at its start (`readRevision`), before a restore, and before its first write
 * when neither read could be made or the restore's failed, so no write of an agent is ever blind. When a write is
 * refused, the stored `source` (the writer's node name) says why: another agent's tower,
 * written since or newer than ours, is another holder's, so the write is `fenced` and the
 * agent steps down; only a newer tower of our own makes it `stale`.
 */
export function createEtcdTowerStore(options: EtcdTowerStoreOptions): TowerStore {
  const callTimeoutMs = options.callTimeoutMs ?? 2_000;
  // etcd3 brings gRPC and protobuf, 22 MiB of an agent's RSS; loaded on first use so that an
  // agent whose towers live elsewhere never pays for it.
  let connecting: Promise<Etcd3> | undefined;
  const connect = (): Promise<Etcd3> =>
    (connecting ??= import('etcd3').then(
      ({ Etcd3 }) =>
        new Etcd3({
          ...options.clientOptions,
          hosts: [...options.endpoints],
          dialTimeout: options.dialTimeoutMs ?? 2_000,
          // grpc-js backs reconnects off up to 120 s; a store that was down for a minute would then
          // leave backups stale for another two. Capped so backups resume within seconds.
          grpcOptions: {
            'grpc.initial_reconnect_backoff_ms': 250,
            'grpc.max_reconnect_backoff_ms': 2_000,
            ...options.clientOptions?.grpcOptions,
          },
          defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
        }),
    ));
  const prefix = (options.prefix ?? '/failover/tower').replace(/\/+$/, '');
  const base =
    options.file === 'vote-history' ? `${prefix}/vote-history/${options.identity}/` : `${prefix}/${options.identity}/`;
  const keys = { bytes: `${base}bytes`, meta: `${base}meta`, slot: `${base}slot` };
  let knownRevision: string | undefined;

  const unavailable = (error: unknown): BackupOutcome => ({
    ok: false,
    reason: 'unavailable',
    error: `etcd ${options.endpoints.join(',')}: ${(error as Error).message}`,
  });

  const puts = (client: Etcd3, bytes: Buffer, meta: TowerBackupMeta) => [
    client.put(keys.bytes).value(bytes),
    client.put(keys.meta).value(JSON.stringify(serializeMeta(meta))),
    client.put(keys.slot).value(padSlot(meta.lastVotedSlot)),
  ];

  return {
    kind: 'etcd',
    describe: () => `etcd ${options.endpoints.join(',')} key ${base}`,

    async latest(): Promise<LatestOutcome> {
      try {
        const client = await connect();
        const range = await client.getAll().prefix(base).exec();
        const byKey = new Map(range.kvs.map((kv) => [kv.key.toString(), kv]));
        const slotKv = byKey.get(keys.slot);
        const bytesKv = byKey.get(keys.bytes);
        const metaKv = byKey.get(keys.meta);
        knownRevision = slotKv?.mod_revision ?? '0';
        if (!slotKv || !bytesKv || !metaKv) return { ok: true, tower: null };
        const meta = parseMeta(JSON.parse(metaKv.value.toString()) as unknown);
        if (!meta) return { ok: false, error: `${keys.meta} does not hold tower metadata` };
        return { ok: true, tower: { bytes: Buffer.from(bytesKv.value), meta } };
      } catch (error) {
        // What was read before this restore says nothing of the keys now: a promotion that
        // restored without the store (the carried tower, the file on disk) would otherwise take
        // the old holder's final backup, written since, for another holder's and step down.
        // Unknown, the first write reads the keys again.
        knownRevision = undefined;
        return { ok: false, error: `etcd ${options.endpoints.join(',')}: ${(error as Error).message}` };
      }
    },

    async readRevision(): Promise<RevisionOutcome> {
      try {
        await readSlotRevision(await connect());
        return { ok: true };
      } catch (error) {
        return { ok: false, error: `etcd ${options.endpoints.join(',')}: ${(error as Error).message}` };
      }
    },

    async backup(bytes: Buffer, meta: TowerBackupMeta): Promise<BackupOutcome> {
      return write(bytes, meta, true);
    },

    close: async () => {
      if (connecting === undefined) return;
      const client = await connecting.catch(() => undefined);
      client?.close();
    },
  };

  /** Notes the `slot` key's mod revision ('0' when there is none) as the last one this agent saw. */
  async function readSlotRevision(client: Etcd3): Promise<void> {
    const range = await client.get(keys.slot).exec();
    knownRevision = range.kvs[0]?.mod_revision ?? '0';
  }

  async function write(bytes: Buffer, meta: TowerBackupMeta, mayAdopt: boolean): Promise<BackupOutcome> {
    try {
      const client = await connect();
      // Neither the start nor a restore could read the keys: read them now, so that this write
      // too is refused when another agent writes in between.
      if (knownRevision === undefined) await readSlotRevision(client);
      if (knownRevision === '0') {
        const created = await client
          .if(keys.slot, 'Version', '==', 0)
          .then(...puts(client, bytes, meta))
          .commit();
        if (created.succeeded) {
          knownRevision = created.header.revision;
          return { ok: true, meta };
        }
        return fenced('another agent created the tower keys since this agent found none');
      }
      const updated = await client
        .if(keys.slot, 'Value', '<', padSlot((meta.lastVotedSlot ?? -1) + 1))
        .and(keys.slot, 'Mod', '==', Number(knownRevision))
        .then(...puts(client, bytes, meta))
        .else(client.get(keys.slot), client.get(keys.meta))
        .commit();
      if (updated.succeeded) {
        knownRevision = updated.header.revision;
        return { ok: true, meta };
      }
      const current = updated.responses[0]?.response_range?.kvs[0];
      if (!current) return fenced('the tower keys were deleted since this agent last read them');
      const storedMeta = updated.responses[1]?.response_range?.kvs[0];
      const writer = storedMeta ? parseStoredMeta(storedMeta.value)?.source : undefined;
      const storedSlot = Number(current.value.toString()) - 1;
      if (current.mod_revision !== knownRevision) {
        // A write of ours whose answer was lost (a deadline, a cut link) still moved the
        // revision; it is no other holder, so it is adopted rather than taken for a fence.
        if (mayAdopt && writer === meta.source) {
          knownRevision = current.mod_revision;
          return write(bytes, meta, false);
        }
        return fenced(
          `${writer ?? 'another agent'} wrote a tower with last voted slot ${storedSlot} since this agent last read or wrote one`,
        );
      }
      // Nobody wrote since; the slot comparison refused it. A newer tower of another agent's
      // means that agent voted with the identity after the votes we would store: it holds it.
      if (writer !== meta.source) {
        return fenced(
          `${writer ?? 'another agent'} holds a newer tower (last voted slot ${storedSlot}) than this agent's (${meta.lastVotedSlot ?? 'none'})`,
        );
      }
      return {
        ok: false,
        reason: 'stale',
        error: `etcd holds this agent's own tower with last voted slot ${storedSlot}, newer than ${meta.lastVotedSlot ?? 'none'}`,
      };
    } catch (error) {
      return unavailable(error);
    }
  }

  function parseStoredMeta(value: Buffer): TowerBackupMeta | undefined {
    try {
      return parseMeta(JSON.parse(value.toString()) as unknown);
    } catch {
      return undefined;
    }
  }

  function fenced(detail: string): BackupOutcome {
    return {
      ok: false,
      reason: 'fenced',
      error: `${keys.slot}: ${detail}; not overwriting another holder's tower`,
    };
  }
}
