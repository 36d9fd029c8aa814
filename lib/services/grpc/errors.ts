/**
 * Errors that carry a gRPC status code. Service code throws these; the handler wrappers
 * (handlers.ts) turn them into the call's status with the message as details. Anything else
 * thrown becomes INTERNAL, except errors that already are gRPC ServiceErrors (from a call to
 * another service), whose code is passed on.
 */
import { Metadata, status } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';

/** Base class: an error with a gRPC status code. */
export class GrpcError extends Error {
  constructor(readonly code: status, message: string, readonly metadata?: Metadata) {
    super(message);
    this.name = new.target.name;
  }

  /** The message, as `details` (like a grpc-js ServiceError, so callers treat both alike). */
  get details(): string {
    return this.message;
  }
}

/** A request field is missing or malformed; `field` names it (the message starts with it too). */
export class InvalidArgument extends GrpcError {
  constructor(message: string, readonly field?: string) {
    super(status.INVALID_ARGUMENT, message);
  }
}
export class NotFound extends GrpcError {
  constructor(message: string) { super(status.NOT_FOUND, message); }
}
export class AlreadyExists extends GrpcError {
  constructor(message: string) { super(status.ALREADY_EXISTS, message); }
}
/** The system is not in the state the call needs (e.g. no run loaded). */
export class FailedPrecondition extends GrpcError {
  constructor(message: string) { super(status.FAILED_PRECONDITION, message); }
}
/** Transient: the caller may retry (withRetry does by default). */
export class Unavailable extends GrpcError {
  constructor(message: string) { super(status.UNAVAILABLE, message); }
}
export class Unauthenticated extends GrpcError {
  constructor(message: string) { super(status.UNAUTHENTICATED, message); }
}
export class PermissionDenied extends GrpcError {
  constructor(message: string) { super(status.PERMISSION_DENIED, message); }
}
export class ResourceExhausted extends GrpcError {
  constructor(message: string) { super(status.RESOURCE_EXHAUSTED, message); }
}
export class DeadlineExceeded extends GrpcError {
  constructor(message: string) { super(status.DEADLINE_EXCEEDED, message); }
}
export class Aborted extends GrpcError {
  constructor(message: string) { super(status.ABORTED, message); }
}
export class Unimplemented extends GrpcError {
  constructor(message: string) { super(status.UNIMPLEMENTED, message); }
}
export class Internal extends GrpcError {
  constructor(message: string) { super(status.INTERNAL, message); }
}

/** The status name of a code: 3 → 'INVALID_ARGUMENT' (metric labels, messages). */
export function statusName(code: number): string {
  return (status as unknown as Record<number, string>)[code] ?? `CODE_${code}`;
}

/** True for an error that came back from a gRPC call (numeric code, string details). */
export function isServiceError(err: unknown): err is Error & { code: status; details: string; metadata?: Metadata } {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; details?: unknown };
  return typeof e.code === 'number' && Number.isInteger(e.code) && e.code > 0 && e.code <= 16 && typeof e.details === 'string';
}

/** The gRPC code of any thrown value (GrpcError, ServiceError; INTERNAL otherwise). */
export function codeOf(err: unknown): status {
  if (err instanceof GrpcError) return err.code;
  if (isServiceError(err)) return err.code;
  return status.INTERNAL;
}

/** The status a handler sends for a thrown value. */
export function toStatus(err: unknown): Pick<StatusObject, 'code' | 'details'> & { metadata?: Metadata } {
  if (err instanceof GrpcError) return { code: err.code, details: err.message, ...(err.metadata ? { metadata: err.metadata } : {}) };
  if (isServiceError(err)) return { code: err.code, details: err.details };
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, details: message || 'internal error' };
}
