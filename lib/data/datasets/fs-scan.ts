/** Directory listing helpers for layouts: sorted, problems recorded instead of thrown. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileEntry } from './layout.js';
import type { DatasetProblem } from './problems.js';

interface Listing {
  files: string[];
  dirs: string[];
}

/** Lists a folder; a missing folder becomes a 'missing-folder' problem and null. */
export async function listFolder(dir: string, what: string, problems: DatasetProblem[]): Promise<Listing | null> {
  let ents;
  try {
    ents = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      problems.push({ kind: 'missing-folder', path: dir, what });
      return null;
    }
    throw err;
  }
  const files: string[] = [];
  const dirs: string[] = [];
  for (const e of ents) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) dirs.push(e.name);
    else if (e.isFile() || e.isSymbolicLink()) files.push(e.name);
  }
  files.sort();
  dirs.sort();
  return { files, dirs };
}

/**
 * Files of `dir` whose name ends with `suffix`; key = name without the suffix. Other files are
 * reported as 'unexpected-file' unless `allowOthers` accepts them.
 */
export function matchFiles(
  dir: string,
  files: readonly string[],
  suffix: string,
  problems: DatasetProblem[],
  allowOthers: (name: string) => boolean = () => false,
): FileEntry[] {
  const out: FileEntry[] = [];
  for (const f of files) {
    if (f.endsWith(suffix) && f.length > suffix.length) out.push({ key: f.slice(0, -suffix.length), path: join(dir, f) });
    else if (!allowOthers(f)) problems.push({ kind: 'unexpected-file', path: join(dir, f), expected: `*${suffix}` });
  }
  return out;
}

/** Flat folder of `*suffix` files. */
export async function scanFlat(dir: string, suffix: string, what: string, problems: DatasetProblem[]): Promise<FileEntry[]> {
  const l = await listFolder(dir, what, problems);
  if (!l) return [];
  const entries = matchFiles(dir, l.files, suffix, problems);
  if (entries.length === 0) problems.push({ kind: 'empty-folder', path: dir, what });
  return entries;
}

/** Folder of sub-folders (e.g. Cityscapes cities) holding `*suffix` files. */
export async function scanNested(
  dir: string,
  suffix: string,
  what: string,
  problems: DatasetProblem[],
  allowOthers?: (name: string) => boolean,
): Promise<FileEntry[]> {
  const l = await listFolder(dir, what, problems);
  if (!l) return [];
  const entries: FileEntry[] = [];
  for (const f of l.files) {
    if (!allowOthers?.(f)) problems.push({ kind: 'unexpected-file', path: join(dir, f), expected: `a sub-folder per city` });
  }
  for (const d of l.dirs) {
    const sub = join(dir, d);
    const sl = await listFolder(sub, what, problems);
    if (sl) entries.push(...matchFiles(sub, sl.files, suffix, problems, allowOthers));
  }
  if (entries.length === 0) problems.push({ kind: 'empty-folder', path: dir, what });
  return entries;
}
