/** {@link FileSdDeps} over the local file system (node:fs). */
import { open, readdir } from 'node:fs/promises';
import type { FileSdDeps } from './discoverer.js';

const CHUNK_BYTES = 1024 * 1024;

/** Reads at most `maxBytes + 1` bytes, so an oversized file costs no more than the cap. */
async function readFileCapped(path: string, maxBytes: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (total <= maxBytes) {
      const chunk = new Uint8Array(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  } finally {
    await handle.close();
  }
}

export const nodeFileSdDeps: FileSdDeps = {
  readFile: readFileCapped,
  readDir: (dir) => readdir(dir),
};
