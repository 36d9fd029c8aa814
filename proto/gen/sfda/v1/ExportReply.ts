// Original file: proto/sfda/v1/orchestrator.proto

import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from '../../sfda/v1/WeightsVersion.js';

export interface ExportReply {
  'path'?: (string);
  'sha256'?: (string);
  'weights'?: (_sfda_v1_WeightsVersion | null);
}

export interface ExportReply__Output {
  'path': (string);
  'sha256': (string);
  'weights': (_sfda_v1_WeightsVersion__Output | null);
}
