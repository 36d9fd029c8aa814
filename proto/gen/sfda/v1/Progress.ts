// Original file: proto/sfda/v1/common.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Progress of a run (also the orchestrator's watch events).
 */
export interface Progress {
  'run_id'?: (string);
  /**
   * Iterations done.
   */
  'step'?: (number | string | Long);
  'iterations'?: (number | string | Long);
  /**
   * Latest scalar metrics of the step (loss, student_loss, metric_loss, mean_reliability, lr, ms_*).
   */
  'metrics'?: ({[key: string]: number | string});
  'teacher_version'?: (number | string | Long);
  /**
   * RUNNING, FINISHED, FAILED, STOPPED, ... (RunPhase name).
   */
  'phase'?: (string);
  /**
   * Last diagnostic evaluation mIoU (NaN when none yet).
   */
  'miou'?: (number | string);
  'message'?: (string);
  'wall_s'?: (number | string);
}

/**
 * Progress of a run (also the orchestrator's watch events).
 */
export interface Progress__Output {
  'run_id': (string);
  /**
   * Iterations done.
   */
  'step': (number);
  'iterations': (number);
  /**
   * Latest scalar metrics of the step (loss, student_loss, metric_loss, mean_reliability, lr, ms_*).
   */
  'metrics': ({[key: string]: number});
  'teacher_version': (number);
  /**
   * RUNNING, FINISHED, FAILED, STOPPED, ... (RunPhase name).
   */
  'phase': (string);
  /**
   * Last diagnostic evaluation mIoU (NaN when none yet).
   */
  'miou': (number);
  'message': (string);
  'wall_s': (number);
}
