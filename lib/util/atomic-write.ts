/**
 * Atomic file writes: the content goes to a temporary file in the same directory, is flushed
 * to disk (fsync), then renamed over the target. A reader therefore sees either the old file
 * or the complete new one, never a partial write, even if the process dies mid-write.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** Content to write: a string (UTF-8), one byte array, or several written in order. */
export type AtomicContent = string | Uint8Array | readonly Uint8Array[];

/**
 * Writes `content` to `file` atomically (temp file + fsync + rename + directory fsync).
 * The parent directory must exist. On failure the temp file is removed and the target is
 * left untouched.
 */
export async function writeFileAtomic(file: string, content: AtomicContent): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const chunks: readonly Uint8Array[] = typeof content === 'string' ? [Buffer.from(content, 'utf8')] : content instanceof Uint8Array ? [content] : content;
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx');
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, off, chunk.byteLength - off);
        off += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, file);
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await syncDir(dir);
}

/** Best effort: makes the rename durable (some filesystems refuse fsync on directories). */
async function syncDir(dir: string): Promise<void> {
  let h: fsp.FileHandle | undefined;
  try {
    h = await fsp.open(dir, 'r');
    await h.sync();
  } catch {
    // not supported here; the rename itself is still atomic
  } finally {
    await h?.close().catch(() => undefined);
  }
}
