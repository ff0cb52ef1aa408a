/**
 * Random-access reading of arrays on disk, for datasets larger than memory: a `ByteReader`
 * reads bytes at a position (a file through `fs.readSync`, or bytes already in memory), and a
 * `StoredArray` is a C-order .npy array found at some offset of a reader (a .npy file, or a
 * stored entry of a .npz). Nothing here reads more than the caller asks for.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { npyHeaderBytes, npyItemBytes, parseNpyHeader, type NpyDtype } from './npy.js';

/** Bytes at positions of something (a file, a buffer). */
export interface ByteReader {
  /** What the errors name (the file path). */
  readonly source: string;
  /** Total bytes. */
  readonly size: number;
  /** Fills `into` with the bytes at [position, position + into.length); throws past the end. */
  read(position: number, into: Uint8Array): void;
  close(): void;
}

/** A file read by position with `fs.readSync` (one open descriptor, no read-ahead buffer). */
export class FileReader implements ByteReader {
  readonly size: number;
  private fd: number | null;

  constructor(readonly source: string) {
    try {
      this.fd = openSync(source, 'r');
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      throw new RangeError(`${source}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }

  read(position: number, into: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.source}: read after close`);
    if (position < 0 || position + into.length > this.size)
      throw new RangeError(`${this.source}: read of ${into.length} bytes at ${position} is past the end of the file (${this.size} bytes)`);
    let done = 0;
    // readSync may return fewer bytes than asked (large reads, pipes): loop until filled.
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, position + done);
      if (n === 0) throw new RangeError(`${this.source}: file ended at ${position + done} while reading ${into.length} bytes at ${position} (truncated while open?)`);
      done += n;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Bytes already in memory, behind the same interface (tests compare it with FileReader). */
export class MemoryReader implements ByteReader {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.size = bytes.length;
  }

  read(position: number, into: Uint8Array): void {
    if (position < 0 || position + into.length > this.size)
      throw new RangeError(`${this.source}: read of ${into.length} bytes at ${position} is past the end (${this.size} bytes)`);
    into.set(this.bytes.subarray(position, position + into.length));
  }

  close(): void {}
}

/** A C-order array stored at byte `offset` of `reader` (the data, after the .npy header). */
export interface StoredArray {
  /** Name in errors: the file, or `archive.npz:entry.npy`. */
  source: string;
  dtype: NpyDtype;
  shape: number[];
  reader: ByteReader;
  /** Byte offset of element 0 in the reader. */
  offset: number;
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Opens the .npy that occupies bytes [base, base + length) of `reader`: reads the header only
 * and checks that the data size the header implies is exactly what follows it (a header that
 * claims more, or less, than the bytes present is refused, naming both).
 */
export function openNpyAt(reader: ByteReader, base: number, length: number, source: string): StoredArray {
  const first = new Uint8Array(Math.min(12, length));
  reader.read(base, first);
  const headerBytes = npyHeaderBytes(first, source);
  if (headerBytes > length) throw new RangeError(`${source}: truncated .npy header (needs ${headerBytes} bytes, file has ${length})`);
  const head = new Uint8Array(headerBytes);
  reader.read(base, head);
  const h = parseNpyHeader(head, source);
  const present = length - h.dataOffset;
  if (present < h.dataBytes)
    throw new RangeError(`${source}: truncated data: shape ${fmt(h.shape)} ${h.dtype} needs ${h.dataBytes} bytes, found ${present}`);
  if (present > h.dataBytes)
    throw new RangeError(`${source}: ${present} bytes of data follow the header but shape ${fmt(h.shape)} ${h.dtype} holds ${h.dataBytes}; header and data disagree`);
  return { source, dtype: h.dtype, shape: h.shape, reader, offset: base + h.dataOffset };
}

/** Opens a .npy file for reading by position (the header is checked, the data is not read). */
export function openNpyFile(path: string): StoredArray {
  const r = new FileReader(path);
  try {
    return openNpyAt(r, 0, r.size, path);
  } catch (e) {
    r.close();
    throw e;
  }
}

/**
 * A byte buffer with its float32 and int32 views made once (views cost an allocation each;
 * a batch decodes hundreds of pieces from the same buffer). Starts at byte 0 of its own
 * ArrayBuffer, so the views are aligned.
 */
export interface ViewedBytes {
  u8: Uint8Array;
  f32: Float32Array;
  i32: Int32Array;
}

/** A fresh ViewedBytes of `n` bytes. */
export function viewedBytes(n: number): ViewedBytes {
  const buf = new ArrayBuffer(n);
  return { u8: new Uint8Array(buf), f32: new Float32Array(buf, 0, n >> 2), i32: new Int32Array(buf, 0, n >> 2) };
}

/**
 * Converts `count` elements of `dtype` at element `at` of `src` to float32 in `out` at
 * `outOffset`: uint8 is scaled by 1/255 (pixels; `rawU8` keeps the integer, for labels), int32
 * converted. Returns the index (from `at`) of the first non-finite float32 value, or −1: the
 * check rides on the copy instead of a second pass.
 */
export function decodeAsFloat32(src: ViewedBytes, dtype: NpyDtype, at: number, count: number, out: Float32Array, outOffset: number, rawU8 = false): number {
  if (dtype === 'uint8') {
    const u8 = src.u8;
    if (rawU8) for (let i = 0; i < count; i++) out[outOffset + i] = u8[at + i];
    else for (let i = 0; i < count; i++) out[outOffset + i] = u8[at + i] / 255;
    return -1;
  }
  if (dtype === 'int32') {
    const i32 = src.i32;
    for (let i = 0; i < count; i++) out[outOffset + i] = i32[at + i];
    return -1;
  }
  const f32 = src.f32;
  let bad = -1;
  for (let i = 0; i < count; i++) {
    const v = f32[at + i];
    out[outOffset + i] = v;
    // v − v is 0 for finite v, NaN for ±Inf and NaN.
    if (v - v !== 0 && bad < 0) bad = i;
  }
  return bad;
}

/**
 * Reads elements [start, start + count) of `arr` into `out` at `outOffset` as float32 (see
 * {@link decodeAsFloat32}); one buffer per call, for one-off reads (the Dataset keeps its own).
 * Returns the index of the first non-finite value read, or −1.
 */
export function readAsFloat32(arr: StoredArray, start: number, count: number, out: Float32Array, outOffset: number): number {
  const item = npyItemBytes(arr.dtype);
  const v = viewedBytes(count * item);
  arr.reader.read(arr.offset + start * item, v.u8);
  return decodeAsFloat32(v, arr.dtype, 0, count, out, outOffset);
}
