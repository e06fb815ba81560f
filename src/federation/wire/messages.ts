/**
 * TypeScript shapes of the privmed.v1 wire messages, as @grpc/proto-loader
 * decodes them (camelCase fields, enums as strings, `part` names the oneof
 * member that is set). Keep in sync with proto/privmed/v1/*.proto.
 */

export interface TensorSpecMsg {
  name: string;
  shape: number[];
}

export interface TensorManifestMsg {
  tensors: TensorSpecMsg[];
  totalBytes: number;
}

export interface ConfigValueMsg {
  number?: number;
  text?: string;
  flag?: boolean;
  value?: 'number' | 'text' | 'flag';
}

export interface JoinRequestMsg {
  nodeName: string;
  softwareVersion: string;
}

export interface JoinReplyMsg {
  sessionId: string;
  runName: string;
  heartbeatIntervalMs: number;
  maxMessageBytes: number;
  chunkBytes: number;
  maxUpdateBytes: number;
}

export interface TaskRequestMsg {
  sessionId: string;
}

export type TaskKindName =
  | 'TASK_KIND_UNSPECIFIED'
  | 'TASK_KIND_WAIT'
  | 'TASK_KIND_FIT'
  | 'TASK_KIND_EVALUATE'
  | 'TASK_KIND_STEP'
  | 'TASK_KIND_INIT'
  | 'TASK_KIND_FINISHED';

export interface TaskHeaderMsg {
  kind: TaskKindName;
  taskId: string;
  round: number;
  config: Record<string, ConfigValueMsg>;
  manifest: TensorManifestMsg | null;
  stage: string;
  payload: Buffer;
  retryAfterMs: number;
  message: string;
}

export interface TaskChunkMsg {
  header?: TaskHeaderMsg;
  data?: Buffer;
  part?: 'header' | 'data';
}

export interface UpdateHeaderMsg {
  sessionId: string;
  taskId: string;
  numSamples: number;
  metrics: Record<string, number>;
  manifest: TensorManifestMsg | null;
  payload: Buffer;
}

export interface UpdateChunkMsg {
  header?: UpdateHeaderMsg;
  data?: Buffer;
  part?: 'header' | 'data';
}

export interface SubmitReplyMsg {
  accepted: boolean;
  reason: string;
}

export interface EvaluationResultMsg {
  sessionId: string;
  taskId: string;
  numSamples: number;
  metrics: Record<string, number>;
}

export interface HeartbeatRequestMsg {
  sessionId: string;
}

export interface HeartbeatReplyMsg {
  known: boolean;
  finished: boolean;
}
