/**
 * NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0), for the three dtypes lamkit
 * exchanges with other tools: float32 (`<f4`), uint8 (`|u1`) and int32 (`<i4`). C order only.
 *
 * Why by hand rather than a package: the format is a 10-byte preamble, a Python-dict header and
 * the raw little-endian array; what matters is that every rejection (wrong dtype, wrong shape,
 * Fortran order, truncated data) names the file, what was expected and what was found.
 *
 * Layout: `\x93NUMPY` · major · minor · header length (uint16 LE for v1, uint32 LE for v2/3) ·
 * header (`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and
 * a final `\n` so the data starts on a 64-byte boundary) · data.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** The dtypes lamkit reads and writes. */
export type NpyDtype = 'float32' | 'uint8' | 'int32';

/** The typed array that holds each dtype. */
export type NpyData = Float32Array | Uint8Array | Int32Array;

/** A decoded array: C-order `data` of `shape` (a scalar has shape `[]`). */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/**
 * An expected array: the dtype and/or the shape. A shape entry that is a string or null is a
 * free dimension (`'batch'`); numbers must match exactly.
 */
export interface NpyExpect {
  dtype?: NpyDtype;
  shape?: readonly (number | string | null)[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Record<NpyDtype, string> = { float32: '<f4', uint8: '|u1', int32: '<i4' };
const FROM_DESCR: Record<string, NpyDtype> = {
  '<f4': 'float32',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '>u1': 'uint8',
  '|i4': 'int32',
  '<i4': 'int32',
};
// Readable names for descriptors we refuse, so the error says "float64", not "<f8".
const DESCR_NAMES: Record<string, string> = {
  f2: 'float16', f4: 'float32', f8: 'float64', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
  u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64', b1: 'bool',
};
const BYTES: Record<NpyDtype, number> = { float32: 4, uint8: 1, int32: 4 };

/** A .npy file whose dtype lamkit does not read; `found` is its readable name ('float64'). */
export class NpyDtypeError extends TypeError {
  override name = 'NpyDtypeError';
  constructor(message: string, readonly found: string) {
    super(message);
  }
}

/** The dtype of a typed array, or a TypeError naming `what`. */
export function dtypeOf(data: NpyData, what = 'data'): NpyDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int32Array) return 'int32';
  throw new TypeError(`${what}: expected a Float32Array, Uint8Array or Int32Array, got ${describe(data)}`);
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v;
}

function fmt(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

/**
 * Encodes an array as .npy (version 1.0, or 2.0 when the header would not fit in 64 KiB).
 * `shape` must multiply to `data.length`.
 */
export function encodeNpy(arr: { data: NpyData; shape: readonly number[] }): Uint8Array {
  const dtype = dtypeOf(arr.data, 'encodeNpy data');
  const n = arr.shape.reduce((a, b) => a * b, 1);
  for (const d of arr.shape)
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`encodeNpy: shape ${fmt(arr.shape)} has a dimension that is not a non-negative integer`);
  if (n !== arr.data.length)
    throw new RangeError(`encodeNpy: shape ${fmt(arr.shape)} holds ${n} elements but data has ${arr.data.length}`);
  const shapeStr = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  let major = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) {
    major = 2;
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - pre;
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  const out = new Uint8Array(total + arr.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), total);
  return out;
}

/** A parsed .npy header: what the data is and where it starts. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the data from the start of the .npy bytes. */
  dataOffset: number;
  /** Bytes of data the shape needs. */
  dataBytes: number;
}

/** Bytes of the preamble of a .npy of this major version (magic, version, header length). */
function preambleBytes(major: number, source: string, minor: number): number {
  if (major === 1) return 10;
  if (major === 2 || major === 3) return 12;
  throw new RangeError(`${source}: unsupported .npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
}

/**
 * Parses the header of .npy bytes. `bytes` needs only to hold the preamble and header (the
 * data may be elsewhere, e.g. still on disk): a streaming reader passes the first
 * {@link npyHeaderBytes} bytes. Throws like {@link decodeNpy}.
 */
export function parseNpyHeader(bytes: Uint8Array, source = '<buffer>'): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new RangeError(`${source}: not a .npy file (expected the magic bytes \\x93NUMPY, found ${JSON.stringify(String.fromCharCode(...bytes.subarray(0, 6)))})`);
  const major = bytes[6];
  const pre = preambleBytes(major, source, bytes[7]);
  if (bytes.length < pre) throw new RangeError(`${source}: truncated .npy preamble (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (pre + headerLen > bytes.length)
    throw new RangeError(`${source}: truncated .npy header (needs ${pre + headerLen} bytes, file has ${bytes.length})`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(pre, pre + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeStr === undefined)
    throw new RangeError(`${source}: malformed .npy header ${JSON.stringify(header.trim())} (expected descr, fortran_order and shape)`);
  const dtype = FROM_DESCR[descr];
  if (dtype === undefined) {
    const name = DESCR_NAMES[descr.slice(1)] ?? descr;
    const endian = descr[0] === '>' ? ' big-endian' : '';
    throw new NpyDtypeError(`${source}: unsupported dtype${endian} ${name} ('${descr}'); expected float32 ('<f4'), uint8 ('|u1') or int32 ('<i4')`, `${endian.trim()} ${name}`.trim());
  }
  if (fortran === 'True') throw new TypeError(`${source}: Fortran-order arrays are not supported; expected C order (np.ascontiguousarray)`);
  const shape = shapeStr
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const d = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${source}: malformed shape (${shapeStr}) in .npy header`);
      return d;
    });
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype, shape, dataOffset: pre + headerLen, dataBytes: n * BYTES[dtype] };
}

/**
 * How many leading bytes of a .npy hold its preamble and header, from its first 12 bytes
 * (a streaming reader reads 12 bytes, then this many, then parses with parseNpyHeader).
 */
export function npyHeaderBytes(first: Uint8Array, source = '<buffer>'): number {
  if (first.length < 10 || MAGIC.some((b, i) => first[i] !== b))
    throw new RangeError(`${source}: not a .npy file (expected the magic bytes \\x93NUMPY, found ${JSON.stringify(String.fromCharCode(...first.subarray(0, 6)))})`);
  const pre = preambleBytes(first[6], source, first[7]);
  if (first.length < pre) throw new RangeError(`${source}: truncated .npy preamble (${first.length} bytes)`);
  const dv = new DataView(first.buffer, first.byteOffset, first.byteLength);
  return pre + (pre === 10 ? dv.getUint16(8, true) : dv.getUint32(8, true));
}

/** Bytes per element of a dtype. */
export function npyItemBytes(dtype: NpyDtype): number {
  return BYTES[dtype];
}

/**
 * Decodes .npy bytes. `source` names the file in every error. Throws a TypeError for an
 * unsupported dtype or Fortran order, a RangeError for a malformed or truncated file.
 */
export function decodeNpy(bytes: Uint8Array, source = '<buffer>'): NpyArray {
  const { dtype, shape, dataOffset: start, dataBytes: nbytes } = parseNpyHeader(bytes, source);
  if (bytes.length - start < nbytes)
    throw new RangeError(`${source}: truncated data: shape ${fmt(shape)} ${dtype} needs ${nbytes} bytes, found ${bytes.length - start}`);
  // slice() copies, so the typed array is aligned whatever the Buffer's pool offset was.
  const buf = bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + nbytes);
  const data = dtype === 'float32' ? new Float32Array(buf) : dtype === 'int32' ? new Int32Array(buf) : new Uint8Array(buf);
  return { dtype, shape, data };
}

/**
 * Checks a decoded array against an expectation; the error names `source`, the expected and
 * the found dtype/shape (TypeError for dtype, RangeError for shape).
 */
export function checkNpy(arr: NpyArray, source: string, expect: NpyExpect): void {
  if (expect.dtype !== undefined && arr.dtype !== expect.dtype)
    throw new TypeError(`${source}: expected dtype ${expect.dtype}, found ${arr.dtype} (shape ${fmt(arr.shape)})`);
  const es = expect.shape;
  if (es !== undefined) {
    const ok = es.length === arr.shape.length && es.every((d, i) => typeof d !== 'number' || d === arr.shape[i]);
    if (!ok) throw new RangeError(`${source}: expected shape ${fmt(es)}, found ${fmt(arr.shape)} (${arr.dtype})`);
  }
}

/** Reads a .npy file, optionally checking its dtype and shape (see {@link checkNpy}). */
export function readNpy(path: string, expect: NpyExpect = {}): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new RangeError(`${path}: cannot read .npy file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const arr = decodeNpy(bytes, path);
  checkNpy(arr, path, expect);
  return arr;
}

/** Writes `data` of `shape` to a .npy file (C order, dtype from the typed array). */
export function writeNpy(path: string, arr: { data: NpyData; shape: readonly number[] }): void {
  writeFileSync(path, encodeNpy(arr));
}
