/**
 * Test helpers for own-data files: a minimal zip writer (stored or deflated entries, the layout
 * np.savez / np.savez_compressed produce) so the .npz tests need no NumPy, and raw .npy headers
 * for the dtypes and orders lamkit refuses.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';
import { encodeNpy, type NpyData } from '../../src/data/npy.js';

/** Writes a zip of `entries` (name → bytes) with method 0 (stored) or 8 (deflate). */
export function writeZip(path: string, entries: Record<string, Uint8Array>, method: 0 | 8 = 0): void {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(entries)) {
    const nameBuf = Buffer.from(name, 'utf8');
    const body = method === 8 ? deflateRawSync(data) : Buffer.from(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt32LE(0, 12);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, nameBuf);
    parts.push(local, nameBuf, body);
    offset += 30 + nameBuf.length + body.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(path, Buffer.concat([...parts, cdBuf, end]));
}

/** Writes an .npz (stored, or deflated like np.savez_compressed) of named arrays. */
export function writeNpz(path: string, arrays: Record<string, { data: NpyData; shape: number[] }>, compressed = false): void {
  const entries: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(arrays)) entries[`${k}.npy`] = encodeNpy(v);
  writeZip(path, entries, compressed ? 8 : 0);
}

/** A .npy with a hand-written header (for descr/order/shape values encodeNpy never writes). */
export function rawNpy(header: string, dataBytes: number): Uint8Array {
  const pre = 10;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  const h = header.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, total - pre, true);
  for (let i = 0; i < h.length; i++) out[pre + i] = h.charCodeAt(i);
  return out;
}

/** Sequences N×T×D of a seeded random walk (float32). */
export function randomSequences(n: number, t: number, frame: number[], seedVal: number): Float32Array {
  const F = frame.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * t * F);
  let x = seedVal >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Why NumPy interop tests cannot run here (no /usr/bin/python3 or no numpy), or null when they can. */
export function numpyMissing(): string | null {
  if (!existsSync('/usr/bin/python3')) return 'no /usr/bin/python3';
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'pipe' });
    return null;
  } catch {
    return 'numpy not importable by /usr/bin/python3';
  }
}
