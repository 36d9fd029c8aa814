/**
 * An adaptation config file as the commands read it: JSON, then the command's flag overrides
 * (source, iterations, threads → runtime.threads), then `--set 'a.b=v;…'`, then validation
 * (lib/train/adapt-config.ts; errors name the field). A file that cannot be read or parsed is a
 * UsageError naming it.
 */
import fs from 'node:fs';
import { validateAdaptConfig, type AdaptConfig } from '../train/adapt-config.js';
import { applyOverrides } from '../train/overrides.js';
import { UsageError } from './args.js';

export function readAdaptConfig(file: string, overrides: Record<string, unknown>, set?: string): AdaptConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = { ...(raw as Record<string, unknown>) };
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) o[k] = v;
    if (typeof overrides['threads'] === 'number') {
      delete o['threads'];
      o['runtime'] = { ...(o['runtime'] as object | undefined), threads: overrides['threads'] };
    }
    raw = o;
  }
  if (set !== undefined) {
    try {
      raw = applyOverrides(raw, set);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return validateAdaptConfig(raw, file);
}
