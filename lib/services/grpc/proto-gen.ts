/**
 * Generates the TypeScript types of the contract (proto/gen/) with proto-loader-gen-types, using
 * flags derived from LOADER_OPTIONS so the types match the runtime loader, and checks that the
 * committed files are what the generator makes now (no drift).
 *
 *   node dist/lib/services/grpc/proto-gen.js          regenerate proto/gen/
 *   node dist/lib/services/grpc/proto-gen.js --check  exit 1 listing the files that differ
 *
 * The generator runs with the repository root as working directory and `-I proto`, because it
 * writes the .proto path it was given into every file ("// Original file: proto/sfda/v1/...").
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../run/code-version.js';
import { LOADER_OPTIONS, PROTO_FILES } from './proto.js';

/** proto/gen, relative to the repository root. */
export const GEN_DIR = path.join('proto', 'gen');

/** The proto-loader-gen-types flags equivalent to LOADER_OPTIONS, plus output settings. */
export function genFlags(): string[] {
  const o = LOADER_OPTIONS;
  const flags: string[] = [];
  if (o.keepCase) flags.push('--keepCase');
  flags.push(`--longs=${o.longs.name}`, `--enums=${o.enums.name}`);
  if (o.defaults) flags.push('--defaults');
  if (o.oneofs) flags.push('--oneofs');
  flags.push('--includeComments', '--grpcLib=@grpc/grpc-js', '--importFileExtension=.js');
  return flags;
}

function generatorBin(): string {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('@grpc/proto-loader/package.json');
  const bin = (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { bin: Record<string, string> }).bin['proto-loader-gen-types'];
  if (!bin) throw new Error('@grpc/proto-loader has no proto-loader-gen-types bin');
  return path.join(path.dirname(pkgJson), bin);
}

/** Writes the generated types into outDir (absolute, or relative to the repository root). */
export function generateProtoTypes(outDir: string): void {
  const root = repoRoot();
  execFileSync(process.execPath, [generatorBin(), ...genFlags(), '-I', 'proto', '-O', path.resolve(root, outDir), ...PROTO_FILES], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function listFiles(dir: string, base = dir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
  }).sort();
}

/** Relative paths that differ between two directory trees (missing on one side or other bytes). */
export function diffTrees(a: string, b: string): string[] {
  const fa = listFiles(a);
  const fb = listFiles(b);
  const all = [...new Set([...fa, ...fb])].sort();
  return all.filter((f) => {
    const pa = path.join(a, f);
    const pb = path.join(b, f);
    if (!fs.existsSync(pa) || !fs.existsSync(pb)) return true;
    return !fs.readFileSync(pa).equals(fs.readFileSync(pb));
  });
}

/** Regenerates into a temporary directory and returns the files of proto/gen/ that differ. */
export function checkGenerated(): string[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-proto-gen-'));
  try {
    generateProtoTypes(tmp);
    return diffTrees(path.join(repoRoot(), GEN_DIR), tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Replaces proto/gen/ with freshly generated files (stale files of removed messages go too). */
export function regenerate(): void {
  const dir = path.join(repoRoot(), GEN_DIR);
  fs.rmSync(dir, { recursive: true, force: true });
  generateProtoTypes(dir);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const diff = checkGenerated();
    if (diff.length > 0) {
      console.error(`proto/gen/ is out of date with proto/ (${diff.length} files: ${diff.slice(0, 5).join(', ')}${diff.length > 5 ? ', …' : ''}); run \`npm run proto:gen\``);
      process.exit(1);
    }
  } else {
    regenerate();
    console.log(`generated ${GEN_DIR}/`);
  }
}
