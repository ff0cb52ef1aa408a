/**
 * NumPy `.npz` archives (a zip of .npy files, from `np.savez` or `np.savez_compressed`) opened
 * for reading by position, so an archive larger than memory is never loaded whole.
 *
 * The zip structure (central directory, zip64, local headers) is parsed by yauzl. A *stored*
 * entry (`np.savez`) is read in place: its data starts at the local header's `fileDataStart`.
 * A *deflated* entry (`np.savez_compressed`) cannot be read by offset, so it is inflated once,
 * streaming, into a temporary file that is read by offset like a .npy and deleted on close
 * (or at process exit).
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { FileReader, openNpyAt, type ByteReader, type StoredArray } from './dataset-io.js';

/** An open .npz: its arrays by name (the entry name without `.npy`). */
export interface NpzArchive {
  source: string;
  arrays: Map<string, StoredArray>;
  /** Closes the file descriptors and deletes inflated temporary files. */
  close(): void;
}

const liveTempDirs = new Set<string>();
let exitHookInstalled = false;
function removeTempDirsAtExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of liveTempDirs) rmSync(d, { recursive: true, force: true });
  });
}

function zipError(path: string, e: unknown): RangeError {
  return new RangeError(`${path}: not a readable .npz (zip) archive: ${(e as Error).message}`);
}

/** Lists the entries of a zip through yauzl's lazy entry events. */
async function listEntries(zip: yauzl.ZipFile, path: string): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const out: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      out.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(out));
    zip.on('error', (e) => reject(zipError(path, e)));
    zip.readEntry();
  });
}

/** Opens a .npz; every array's header is checked, no array data is read (stored entries). */
export async function openNpz(path: string): Promise<NpzArchive> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { autoClose: false, lazyEntries: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new RangeError(`${path}: cannot open (${code})`);
    throw zipError(path, e);
  }
  const readers: ByteReader[] = [];
  let tmp: string | null = null;
  const close = (): void => {
    for (const r of readers) r.close();
    readers.length = 0;
    if (tmp) {
      rmSync(tmp, { recursive: true, force: true });
      liveTempDirs.delete(tmp);
      tmp = null;
    }
  };
  try {
    const entries = await listEntries(zip, path);
    const file = new FileReader(path);
    readers.push(file);
    const arrays = new Map<string, StoredArray>();
    for (const e of entries) {
      if (e.fileName.endsWith('/')) continue;
      if (!e.fileName.endsWith('.npy'))
        throw new RangeError(`${path}: entry '${e.fileName}' is not a .npy (an .npz holds only .npy entries, as written by np.savez)`);
      const name = e.fileName.slice(0, -4);
      const source = `${path}:${e.fileName}`;
      if (e.isEncrypted()) throw new RangeError(`${source}: encrypted entries are not supported`);
      if (e.compressionMethod === 0) {
        let start: number;
        try {
          start = (await zip.readLocalFileHeaderPromise(e, { minimal: true })).fileDataStart;
        } catch (err) {
          throw zipError(path, err);
        }
        arrays.set(name, openNpyAt(file, start, e.uncompressedSize, source));
      } else if (e.compressionMethod === 8) {
        if (!tmp) {
          tmp = mkdtempSync(join(tmpdir(), 'lamkit-npz-'));
          liveTempDirs.add(tmp);
          removeTempDirsAtExit();
        }
        const out = join(tmp, `${arrays.size}.npy`);
        try {
          await pipeline(await zip.openReadStreamPromise(e), createWriteStream(out));
        } catch (err) {
          throw new RangeError(`${source}: cannot inflate the compressed entry: ${(err as Error).message}`);
        }
        const r = new FileReader(out);
        readers.push(r);
        arrays.set(name, openNpyAt(r, 0, r.size, source));
      } else {
        throw new RangeError(`${source}: zip compression method ${e.compressionMethod} is not supported (expected 0 stored or 8 deflate, as np.savez / np.savez_compressed write)`);
      }
    }
    if (arrays.size === 0) throw new RangeError(`${path}: the .npz holds no arrays`);
    return { source: path, arrays, close };
  } catch (e) {
    close();
    throw e;
  } finally {
    zip.close();
  }
}
