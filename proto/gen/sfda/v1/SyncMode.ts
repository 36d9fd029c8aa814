// Original file: proto/sfda/v1/student.proto

export const SyncMode = {
  SYNC_MODE_UNSPECIFIED: 'SYNC_MODE_UNSPECIFIED',
  /**
   * The teacher's version equals the student's step before every teacher call: bit-identical
   * to the single-process run.
   */
  SYNC_MODE_SYNC: 'SYNC_MODE_SYNC',
  /**
   * The student requests the next batches ahead; the teacher may lag by at most max_staleness.
   */
  SYNC_MODE_PIPELINED: 'SYNC_MODE_PIPELINED',
} as const;

export type SyncMode =
  | 'SYNC_MODE_UNSPECIFIED'
  | 0
  /**
   * The teacher's version equals the student's step before every teacher call: bit-identical
   * to the single-process run.
   */
  | 'SYNC_MODE_SYNC'
  | 1
  /**
   * The student requests the next batches ahead; the teacher may lag by at most max_staleness.
   */
  | 'SYNC_MODE_PIPELINED'
  | 2

export type SyncMode__Output = typeof SyncMode[keyof typeof SyncMode]
