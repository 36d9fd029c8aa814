// Original file: proto/sfda/v1/orchestrator.proto

import type { RunInfo as _sfda_v1_RunInfo, RunInfo__Output as _sfda_v1_RunInfo__Output } from '../../sfda/v1/RunInfo.js';

export interface ListRunsReply {
  'runs'?: (_sfda_v1_RunInfo)[];
}

export interface ListRunsReply__Output {
  'runs': (_sfda_v1_RunInfo__Output)[];
}
