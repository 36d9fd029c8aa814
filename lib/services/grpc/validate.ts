/**
 * Request validation helpers: each throws InvalidArgument whose message starts with the field
 * name ("run_id: required"), so a client sees which field was wrong.
 */
import { InvalidArgument } from './errors.js';

/** A non-empty string field (proto3 strings default to ''). */
export function requireString(value: string | null | undefined, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgument(`${field}: required (empty)`, field);
  return value;
}

/** A message field that must be present (proto3 sub-messages default to null). */
export function requireMessage<T>(value: T | null | undefined, field: string): T {
  if (value === null || value === undefined) throw new InvalidArgument(`${field}: required (missing)`, field);
  return value;
}

/** An integer field within [min, max]. */
export function requireInt(value: number, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgument(`${field}: ${value} is not an integer in [${min}, ${max}]`, field);
  }
  return value;
}

/** One of a fixed set of values. */
export function requireOneOf<T extends string | number>(value: T, allowed: readonly T[], field: string): T {
  if (!allowed.includes(value)) throw new InvalidArgument(`${field}: ${String(value)} is not one of ${allowed.join(', ')}`, field);
  return value;
}
