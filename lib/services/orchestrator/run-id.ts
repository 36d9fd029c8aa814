/**
 * Run ids: they name the run directory (<runsRoot>/<run_id>), the NATS objects and KV keys of
 * the run's weight snapshots, and the run in every call — so they are restricted to
 * [A-Za-z0-9_-] (valid in NATS subjects, keys and object names, and in file names everywhere),
 * 1–100 characters. A generated id is `<config name>-<UTC yyyymmdd-hhmmss>-<6 hex>`.
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgument } from '../grpc/index.js';

export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

/** Throws InvalidArgument (naming run_id) unless `id` is a valid run id. */
export function checkRunId(id: string, field = 'run_id'): string {
  if (id.length === 0) throw new InvalidArgument(`${field}: required (empty)`, field);
  if (!RUN_ID_PATTERN.test(id)) {
    throw new InvalidArgument(`${field}: '${id}' is not a valid run id (1-100 characters of A-Z a-z 0-9 _ -; it names a directory and NATS keys)`, field);
  }
  return id;
}

/** A new run id from the config name, the time (UTC) and a short random suffix. */
export function makeRunId(configName: string, now: Date = new Date(), random: () => string = () => randomBytes(3).toString('hex')): string {
  const base = configName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'run';
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const t = `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${base}-${t}-${random()}`;
}
