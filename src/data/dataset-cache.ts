/**
 * A bounded LRU cache of fixed-size chunks of arrays on disk, for the block-shuffled order
 * (dataset-sampler.ts): a window of blocks is read once, in chunk-sized sequential reads, and
 * every transition drawn from it is served from memory. Memory = capacity × chunkBytes.
 *
 * Chunks are aligned in each array's data (chunk c = bytes [c·chunkBytes, (c+1)·chunkBytes)
 * after the header), so a chunk is the same bytes whatever was read before: the cache changes
 * how often the disk is read, never what a batch holds.
 */
import { decodeAsFloat32, viewedBytes, type StoredArray, type ViewedBytes } from './dataset-io.js';
import { npyItemBytes } from './npy.js';

export class ChunkCache {
  private readonly chunks = new Map<number, ViewedBytes>();
  private readonly ids = new WeakMap<StoredArray, number>();
  private nextId = 0;
  private scratch: ViewedBytes;
  /** Chunk reads from disk so far (for tests and the run summary). */
  misses = 0;
  hits = 0;

  constructor(
    readonly chunkBytes: number,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(chunkBytes) || chunkBytes < 4 || chunkBytes % 4 !== 0) throw new RangeError(`ChunkCache: chunkBytes must be a positive multiple of 4, got ${chunkBytes}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ChunkCache: capacity must be an integer ≥ 1, got ${capacity}`);
    this.scratch = viewedBytes(chunkBytes);
  }

  private id(arr: StoredArray): number {
    let v = this.ids.get(arr);
    if (v === undefined) {
      v = this.nextId++;
      this.ids.set(arr, v);
    }
    return v;
  }

  /** Chunk c of arr (read from disk on a miss; the least recently used chunk is dropped). */
  private chunk(arr: StoredArray, c: number, totalBytes: number): ViewedBytes {
    // One number per (array, chunk): 2³⁰ chunks per array is far beyond any file.
    const key = this.id(arr) * 1073741824 + c;
    const hit = this.chunks.get(key);
    if (hit) {
      this.hits++;
      // Re-insert: Map order is the LRU order.
      this.chunks.delete(key);
      this.chunks.set(key, hit);
      return hit;
    }
    this.misses++;
    const len = Math.min(this.chunkBytes, totalBytes - c * this.chunkBytes);
    let buf: ViewedBytes | undefined;
    if (this.chunks.size >= this.capacity) {
      // Evict the least recently used chunk and reuse its buffer: no garbage per miss.
      const oldest = this.chunks.keys().next().value!;
      const old = this.chunks.get(oldest)!;
      this.chunks.delete(oldest);
      if (old.u8.length === len) buf = old;
    }
    buf ??= viewedBytes(len);
    arr.reader.read(arr.offset + c * this.chunkBytes, buf.u8);
    this.chunks.set(key, buf);
    return buf;
  }

  /**
   * Reads elements [start, start + count) of arr as float32 into dst (see decodeAsFloat32);
   * returns the index of the first non-finite value, or −1.
   */
  read(arr: StoredArray, start: number, count: number, dst: Float32Array, dstOffset: number, rawU8: boolean): number {
    const item = npyItemBytes(arr.dtype);
    const total = arr.shape.reduce((a, b) => a * b, 1) * item;
    const b0 = start * item;
    const b1 = b0 + count * item;
    const c0 = Math.floor(b0 / this.chunkBytes);
    const c1 = Math.floor((b1 - 1) / this.chunkBytes);
    if (c0 === c1) return decodeAsFloat32(this.chunk(arr, c0, total), arr.dtype, (b0 - c0 * this.chunkBytes) / item, count, dst, dstOffset, rawU8);
    // Spans chunks: gather the bytes, then decode once.
    if (this.scratch.u8.length < b1 - b0) this.scratch = viewedBytes(b1 - b0);
    let at = 0;
    for (let c = c0; c <= c1; c++) {
      const buf = this.chunk(arr, c, total);
      const from = c === c0 ? b0 - c * this.chunkBytes : 0;
      const to = c === c1 ? b1 - c * this.chunkBytes : buf.u8.length;
      this.scratch.u8.set(buf.u8.subarray(from, to), at);
      at += to - from;
    }
    return decodeAsFloat32(this.scratch, arr.dtype, 0, count, dst, dstOffset, rawU8);
  }
}
