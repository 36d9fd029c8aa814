// Original file: proto/sfda/v1/orchestrator.proto


export interface ListRunsRequest {
}

export interface ListRunsRequest__Output {
}
