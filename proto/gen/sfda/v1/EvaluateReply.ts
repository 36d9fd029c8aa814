// Original file: proto/sfda/v1/orchestrator.proto

import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from '../../sfda/v1/WeightsVersion.js';

export interface EvaluateReply {
  'run_id'?: (string);
  'miou'?: (number | string);
  'pixel_accuracy'?: (number | string);
  'class_iou'?: ({[key: string]: number | string});
  'weights'?: (_sfda_v1_WeightsVersion | null);
  'split'?: (string);
  'images'?: (number);
}

export interface EvaluateReply__Output {
  'run_id': (string);
  'miou': (number);
  'pixel_accuracy': (number);
  'class_iou': ({[key: string]: number});
  'weights': (_sfda_v1_WeightsVersion__Output | null);
  'split': (string);
  'images': (number);
}
