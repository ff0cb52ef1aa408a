/**
 * safetensors files (the Hugging Face format, readable by any safetensors reader):
 *
 *   [u64 little-endian N][N bytes of JSON header][data block]
 *   header = { name: { dtype, shape, data_offsets: [begin, end] }, …, __metadata__: {string: string} }
 *
 * Offsets are bytes relative to the data block; tensors are row-major little-endian, packed
 * back to back with no holes. The header is padded with spaces so the data block starts
 * 8-byte aligned (as the reference writer does), which lets readers view it without copying.
 *
 * Integrity — lamkit's addition, two __metadata__ entries that other readers simply ignore:
 *   `lamkit.tensor_sha256`  JSON {tensor name: sha256 hex of its bytes}, to name a damaged tensor;
 *   `lamkit.header_sha256`  sha256 of the header's canonical JSON (keys sorted, this entry left
 *                           out), so a flipped digit in a shape, offset or metadata value is seen.
 * decodeSafetensors always checks the structure (lengths, offsets, overlaps, holes, dtypes) and
 * checks the sha256 entries when present (requireChecksums: refuse files without them).
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { readFileSync } from 'node:fs';

export const SAFETENSORS_DTYPES = {
  F64: { bytes: 8, array: Float64Array },
  F32: { bytes: 4, array: Float32Array },
  F16: { bytes: 2, array: Uint16Array },
  BF16: { bytes: 2, array: Uint16Array },
  I64: { bytes: 8, array: BigInt64Array },
  U64: { bytes: 8, array: BigUint64Array },
  I32: { bytes: 4, array: Int32Array },
  U32: { bytes: 4, array: Uint32Array },
  I16: { bytes: 2, array: Int16Array },
  U16: { bytes: 2, array: Uint16Array },
  I8: { bytes: 1, array: Int8Array },
  U8: { bytes: 1, array: Uint8Array },
  BOOL: { bytes: 1, array: Uint8Array },
} as const;
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPES;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Row-major values; F16/BF16 as raw Uint16Array bits, BOOL as Uint8Array. */
  data: ArrayBufferView;
}

export interface SafetensorsFile {
  /** Tensors in data-block order. */
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
  /** Whether the lamkit sha256 entries were present (and therefore checked). */
  checksummed: boolean;
}

/** A malformed or corrupted file; the message starts with the file (or source) name. */
export class SafetensorsError extends RangeError {
  override name = 'SafetensorsError';
}

/** The spec's limit on the header, which also keeps a garbage length from allocating gigabytes. */
const MAX_HEADER_BYTES = 100_000_000;
export const TENSOR_SHA_KEY = 'lamkit.tensor_sha256';
export const HEADER_SHA_KEY = 'lamkit.header_sha256';

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Keys sorted at every level: the same content always gives the same text to hash. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = canonical((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

function headerSha(header: Record<string, unknown>): string {
  const meta = { ...(header.__metadata__ as Record<string, string>) };
  delete meta[HEADER_SHA_KEY];
  return createHash('sha256').update(JSON.stringify(canonical({ ...header, __metadata__: meta }))).digest('hex');
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new SafetensorsError('safetensors: this reader/writer needs a little-endian host');
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const fmt = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/**
 * Encodes tensors (in the given order) and string metadata; with checksums (default true) adds
 * the lamkit sha256 entries.
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
  opts: { checksums?: boolean } = {},
): Buffer {
  checkLittleEndian();
  const header: Record<string, unknown> = {};
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`encodeSafetensors: metadata '${k}' must be a string, got ${typeof v}`);
    meta[k] = v;
  }
  const parts: Uint8Array[] = [];
  const shas: Record<string, string> = {};
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new RangeError("encodeSafetensors: '__metadata__' cannot name a tensor");
    const d = SAFETENSORS_DTYPES[t.dtype];
    if (!d) throw new RangeError(`encodeSafetensors: tensor '${name}' has unknown dtype '${String(t.dtype)}' (expected one of ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`);
    if (!Array.isArray(t.shape) || !t.shape.every((x) => Number.isSafeInteger(x) && x >= 0))
      throw new RangeError(`encodeSafetensors: tensor '${name}' shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
    if (!(t.data instanceof d.array))
      throw new TypeError(`encodeSafetensors: tensor '${name}' of dtype ${t.dtype} needs a ${d.array.name}, got ${t.data?.constructor?.name ?? typeof t.data}`);
    const need = numel(t.shape) * d.bytes;
    if (t.data.byteLength !== need)
      throw new RangeError(`encodeSafetensors: tensor '${name}' has ${t.data.byteLength} bytes, expected ${t.dtype} ${fmt(t.shape)} = ${need}`);
    const b = bytesOf(t.data);
    parts.push(b);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [off, off + need] };
    if (opts.checksums !== false) shas[name] = sha256(b);
    off += need;
  }
  if (opts.checksums !== false) {
    meta[TENSOR_SHA_KEY] = JSON.stringify(shas);
    delete meta[HEADER_SHA_KEY];
    meta[HEADER_SHA_KEY] = headerSha({ __metadata__: meta, ...header });
  }
  let text = JSON.stringify({ __metadata__: meta, ...header });
  const raw = Buffer.byteLength(text, 'utf8');
  text += ' '.repeat((8 - ((8 + raw) % 8)) % 8);
  const hlen = Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(8 + hlen + off);
  out.writeBigUInt64LE(BigInt(hlen), 0);
  out.write(text, 8, 'utf8');
  let p = 8 + hlen;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses and checks a safetensors file held in memory. `source` (usually the path) starts every
 * error message. Tensor data is copied out, so the result does not pin `bytes`.
 */
export function decodeSafetensors(bytes: Uint8Array, source: string, opts: { requireChecksums?: boolean } = {}): SafetensorsFile {
  checkLittleEndian();
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${source}: ${msg}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is shorter than the 8-byte header length (empty or truncated file)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlenBig = dv.getBigUint64(0, true);
  if (hlenBig > BigInt(bytes.length - 8))
    fail(`header length ${hlenBig} runs past the end of the file (${bytes.length} bytes): truncated, or not a safetensors file`);
  const hlen = Number(hlenBig);
  if (hlen > MAX_HEADER_BYTES) fail(`header length ${hlen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    fail(`the ${hlen}-byte header is not valid UTF-8 JSON (${(e as Error).message}): corrupted, or not a safetensors file`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  const h = header as Record<string, unknown>;
  const metaRaw = h.__metadata__ ?? {};
  if (!metaRaw || typeof metaRaw !== 'object' || Array.isArray(metaRaw)) fail('__metadata__ is not a JSON object');
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(metaRaw as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`__metadata__ '${k}' must be a string, found ${JSON.stringify(v)}`);
    metadata[k] = v as string;
  }
  const dataStart = 8 + hlen;
  const dataLen = bytes.length - dataStart;
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(h)) {
    if (name === '__metadata__') continue;
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (!e || typeof e !== 'object') fail(`tensor '${name}': entry is not a JSON object`);
    const dtype = e!.dtype as SafetensorsDtype;
    if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPES))
      fail(`tensor '${name}': unknown dtype ${JSON.stringify(e!.dtype)} (expected one of ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`);
    const shape = e!.shape as number[];
    if (!Array.isArray(shape) || !shape.every((x) => Number.isSafeInteger(x) && x >= 0))
      fail(`tensor '${name}': shape must be an array of non-negative integers, found ${JSON.stringify(e!.shape)}`);
    const offs = e!.data_offsets as number[];
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((x) => Number.isSafeInteger(x) && x >= 0) || offs[0] > offs[1])
      fail(`tensor '${name}': data_offsets must be [begin, end] with 0 ≤ begin ≤ end, found ${JSON.stringify(e!.data_offsets)}`);
    const need = numel(shape) * SAFETENSORS_DTYPES[dtype].bytes;
    if (offs[1] - offs[0] !== need)
      fail(`tensor '${name}': data_offsets [${offs[0]}, ${offs[1]}] hold ${offs[1] - offs[0]} bytes, but ${dtype} ${fmt(shape)} needs ${need}`);
    if (offs[1] > dataLen)
      fail(`tensor '${name}' ends at byte ${offs[1]} of the data block, which has only ${dataLen} bytes: the file is truncated`);
    entries.push({ name, dtype, shape, begin: offs[0], end: offs[1] });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.begin < covered && e.end > e.begin)
      fail(`tensors '${entries[i - 1].name}' [${entries[i - 1].begin}, ${entries[i - 1].end}) and '${e.name}' [${e.begin}, ${e.end}) overlap`);
    if (e.begin > covered) fail(`bytes [${covered}, ${e.begin}) of the data block belong to no tensor (a hole before '${e.name}')`);
    covered = Math.max(covered, e.end);
  }
  if (covered !== dataLen) fail(`the data block has ${dataLen} bytes but the tensors cover ${covered}: trailing bytes after the last tensor`);

  const tensorSha = metadata[TENSOR_SHA_KEY];
  const hSha = metadata[HEADER_SHA_KEY];
  const checksummed = tensorSha !== undefined && hSha !== undefined;
  if (opts.requireChecksums && !checksummed) fail(`no ${TENSOR_SHA_KEY}/${HEADER_SHA_KEY} metadata: not a lamkit checkpoint, or written without checksums`);
  if (hSha !== undefined && headerSha(h) !== hSha) fail('the header fails its sha256 checksum: a shape, offset or metadata value was modified or corrupted');
  let shas: Record<string, unknown> = {};
  if (tensorSha !== undefined) {
    try {
      shas = JSON.parse(tensorSha) as Record<string, unknown>;
    } catch {
      fail(`${TENSOR_SHA_KEY} is not valid JSON`);
    }
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    const d = SAFETENSORS_DTYPES[e.dtype];
    // A fresh, aligned copy (a Node Buffer's slice() would be an unaligned view).
    const b = new Uint8Array(e.end - e.begin);
    b.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    if (tensorSha !== undefined) {
      if (typeof shas[e.name] !== 'string') fail(`tensor '${e.name}' has no entry in ${TENSOR_SHA_KEY}`);
      const got = sha256(b);
      if (got !== shas[e.name]) fail(`tensor '${e.name}' fails its sha256 checksum (stored ${String(shas[e.name]).slice(0, 12)}…, computed ${got.slice(0, 12)}…): its data is corrupted`);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: new d.array(b.buffer, b.byteOffset, b.byteLength / d.bytes) });
  }
  for (const k of Object.keys(shas)) if (!tensors.has(k)) fail(`${TENSOR_SHA_KEY} lists tensor '${k}', which the header does not have`);
  return { tensors, metadata, checksummed };
}

/** Reads and checks a .safetensors file; errors name the path. */
export function readSafetensors(path: string, opts: { requireChecksums?: boolean } = {}): SafetensorsFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeSafetensors(bytes, path, opts);
}
