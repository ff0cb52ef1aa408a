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
 * Converts `count` elements of `dtype` found at element `at` of the byte buffer `bytes` to
 * float32 in `out` at `outOffset`: uint8 is scaled by 1/255 (pixels; `rawU8` keeps the integer,
 * for labels), int32 converted. `bytes` must be 4-byte aligned (a buffer of its own, or a
 * subarray at a multiple of 4).
 */
export function decodeAsFloat32(bytes: Uint8Array, dtype: NpyDtype, at: number, count: number, out: Float32Array, outOffset: number, rawU8 = false): void {
  if (dtype === 'uint8') {
    for (let i = 0; i < count; i++) out[outOffset + i] = rawU8 ? bytes[at + i] : bytes[at + i] / 255;
    return;
  }
  const byteAt = bytes.byteOffset + at * 4;
  if (byteAt % 4 !== 0) throw new RangeError('decodeAsFloat32: the byte buffer is not 4-byte aligned');
  const src = dtype === 'float32' ? new Float32Array(bytes.buffer, byteAt, count) : new Int32Array(bytes.buffer, byteAt, count);
  out.set(src, outOffset);
}

/**
 * Reads elements [start, start + count) of `arr` into `out` at `outOffset` as float32 (see
 * {@link decodeAsFloat32}). `scratch` is a byte buffer of at least count × itemsize, passed in
 * so a hot loop allocates nothing.
 */
export function readAsFloat32(arr: StoredArray, start: number, count: number, out: Float32Array, outOffset: number, scratch: Uint8Array): void {
  const item = npyItemBytes(arr.dtype);
  const nbytes = count * item;
  if (scratch.length < nbytes) throw new RangeError(`readAsFloat32: scratch buffer of ${scratch.length} bytes is smaller than the ${nbytes} bytes asked`);
  const bytes = scratch.subarray(0, nbytes);
  arr.reader.read(arr.offset + start * item, bytes);
  decodeAsFloat32(bytes, arr.dtype, 0, count, out, outOffset);
}
