/**
 * Minimal bincode 1.x (fixint, little-endian) reader and writer for the tower file, plus the
 * two compact encodings agave uses inside it: `solana-short-vec` lengths and
 * `solana-serde-varint` u64s. Every read checks the remaining length first so a short file
 * fails as "truncated at byte N reading <field>", never as a RangeError.
 *
 * bincode 1.x defaults (what agave's `bincode::serialize`/`deserialize` use): u32 enum
 * variant index; usize, u64 and sequence/map lengths as u64 LE; `Option` and `bool` as one
 * byte 0/1 (any other value is an error); f64 as IEEE-754 LE; fixed arrays without length.
 * The vote-history file (wincode, bincode-compatible by default) is read with the same reader.
 */
import { TowerDecodeError } from '../errors';

/** The ways a read can fail; the reader's owner turns each into its own error code. */
export type BincodeFailure = 'TRUNCATED' | 'INVALID' | 'INTEGER_RANGE';

/** Builds the error a failed read throws. */
export type BincodeErrorFactory = (failure: BincodeFailure, message: string, offset: number) => Error;

const towerError: BincodeErrorFactory = (failure, message, offset) =>
  new TowerDecodeError(`FAILOVER_TOWER_${failure}`, message, offset);

const U64_MAX = (1n << 64n) - 1n;

/** Reads bincode values from a byte array, failing with a typed error that names the field. */
export class BincodeReader {
  private readonly view: DataView;
  private offset = 0;

  /**
   * @param base offset of `input` inside the file, so errors report file offsets.
   * @param error builds the thrown errors; tower decode errors by default.
   */
  constructor(
    private readonly input: Uint8Array,
    private readonly base = 0,
    private readonly error: BincodeErrorFactory = towerError,
  ) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset;
  }

  /** Offset of the next byte in the file, for errors the caller raises. */
  get fileOffset(): number {
    return this.base + this.offset;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.input.length - this.offset;
  }

  private need(count: number, field: string): number {
    if (this.remaining < count) {
      throw this.error(
        'TRUNCATED',
        `truncated at byte ${this.base + this.input.length} reading ${field} (needs ${count} bytes at offset ${this.base + this.offset})`,
        this.base + this.offset,
      );
    }
    const at = this.offset;
    this.offset += count;
    return at;
  }

  u8(field: string): number {
    return this.view.getUint8(this.need(1, field));
  }

  u32(field: string): number {
    return this.view.getUint32(this.need(4, field), true);
  }

  /** A u64 as a bigint, for the few places where values above 2^53 carry meaning. */
  u64Big(field: string): bigint {
    return this.view.getBigUint64(this.need(8, field), true);
  }

  /** A u64 that must fit a JS number exactly (slots, epochs, credits, lengths). */
  u64(field: string): number {
    const at = this.base + this.offset;
    return this.toSafeNumber(this.u64Big(field), field, at);
  }

  i64(field: string): number {
    const at = this.need(8, field);
    return this.toSafeNumber(this.view.getBigInt64(at, true), field, this.base + at);
  }

  f64(field: string): number {
    return this.view.getFloat64(this.need(8, field), true);
  }

  bool(field: string): boolean {
    const at = this.base + this.offset;
    const tag = this.u8(field);
    if (tag > 1) throw this.invalid(`${field} has bool tag ${tag}`, at);
    return tag === 1;
  }

  /** Reads an `Option` tag: true when a value follows. */
  optionTag(field: string): boolean {
    const at = this.base + this.offset;
    const tag = this.u8(field);
    if (tag > 1) throw this.invalid(`${field} has option tag ${tag}`, at);
    return tag === 1;
  }

  bytes(count: number, field: string): Uint8Array {
    const at = this.need(count, field);
    return this.input.slice(at, at + count);
  }

  /**
   * Reads a u64 sequence length and checks that `length × minElementSize` bytes remain, so a
   * corrupt length cannot make the caller loop or allocate far past the end of the input.
   */
  length(field: string, minElementSize: number): number {
    const at = this.base + this.offset;
    const length = this.u64(`${field} length`);
    if (length * minElementSize > this.remaining) {
      throw this.error(
        'TRUNCATED',
        `truncated at byte ${this.base + this.input.length} reading ${field}: ` +
          `length ${length} at offset ${at} exceeds the remaining ${this.remaining} bytes`,
        at,
      );
    }
    return length;
  }

  /** `solana-short-vec` length: 1–3 bytes, 7 bits each, canonical, at most u16::MAX. */
  shortVecLength(field: string): number {
    const at = this.base + this.offset;
    let value = 0;
    for (let i = 0; i < 3; i += 1) {
      const byte = this.u8(`${field} length`);
      value |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw this.invalid(`${field} length is not minimally encoded`, at);
        if (value > 0xffff) throw this.invalid(`${field} length exceeds u16`, at);
        return value;
      }
    }
    throw this.invalid(`${field} length is longer than 3 bytes`, at);
  }

  /** `solana-serde-varint` u64: LEB128, canonical; must also fit a JS number. */
  varintU64(field: string): number {
    const at = this.base + this.offset;
    let value = 0n;
    for (let i = 0; i < 10; i += 1) {
      const byte = this.u8(field);
      value |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw this.invalid(`${field} varint is not minimally encoded`, at);
        if (value > U64_MAX) throw this.invalid(`${field} varint overflows u64`, at);
        return this.toSafeNumber(value, field, at);
      }
    }
    throw this.invalid(`${field} varint is longer than 10 bytes`, at);
  }

  /** The error for a malformed value (a bad tag, a non-canonical length), naming its offset. */
  invalid(message: string, offset: number): Error {
    return this.error('INVALID', `${message} (offset ${offset})`, offset);
  }

  private toSafeNumber(value: bigint, field: string, offset: number): number {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw this.error(
        'INTEGER_RANGE',
        `${field} at offset ${offset} is ${value}, beyond the safe integer range of this decoder`,
        offset,
      );
    }
    return Number(value);
  }
}

/** Appends bincode values; integer writers reject values the on-disk type cannot hold. */
export class BincodeWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  /** Thrown-error factory supplied by the caller so failures name the tower field. */
  constructor(private readonly fail: (field: string, problem: string) => Error) {}

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  private fixed(length: number, write: (view: DataView) => void): void {
    const chunk = new Uint8Array(length);
    write(new DataView(chunk.buffer));
    this.push(chunk);
  }

  private integer(value: number, min: number, max: number, field: string, type: string): void {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw this.fail(
        field,
        `${value} is not a ${type}${max === Number.MAX_SAFE_INTEGER ? ' within the safe integer range' : ''}`,
      );
    }
  }

  u8(value: number, field: string): void {
    this.integer(value, 0, 0xff, field, 'u8');
    this.push(Uint8Array.of(value));
  }

  u32(value: number, field: string): void {
    this.integer(value, 0, 0xffff_ffff, field, 'u32');
    this.fixed(4, (view) => view.setUint32(0, value, true));
  }

  u64(value: number, field: string): void {
    this.integer(value, 0, Number.MAX_SAFE_INTEGER, field, 'u64');
    this.fixed(8, (view) => view.setBigUint64(0, BigInt(value), true));
  }

  /** Writes a raw u64 (used for the compact encoding's `Slot::MAX` "no root" marker). */
  u64Big(value: bigint): void {
    this.fixed(8, (view) => view.setBigUint64(0, value, true));
  }

  i64(value: number, field: string): void {
    this.integer(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, field, 'i64');
    this.fixed(8, (view) => view.setBigInt64(0, BigInt(value), true));
  }

  f64(value: number): void {
    this.fixed(8, (view) => view.setFloat64(0, value, true));
  }

  bool(value: boolean): void {
    this.push(Uint8Array.of(value ? 1 : 0));
  }

  bytes(value: Uint8Array): void {
    this.push(Uint8Array.from(value));
  }

  shortVecLength(length: number, field: string): void {
    this.integer(length, 0, 0xffff, field, 'short-vec length (u16)');
    this.push(leb128(BigInt(length)));
  }

  varintU64(value: number, field: string): void {
    this.integer(value, 0, Number.MAX_SAFE_INTEGER, field, 'u64');
    this.push(leb128(BigInt(value)));
  }

  /** The bytes written so far, as one array. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

function leb128(value: bigint): Uint8Array {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    out.push(byte);
  } while (rest > 0n);
  return Uint8Array.from(out);
}
