/**
 * The privmed.v1 wire messages, generated from proto/privmed/v1/*.proto at
 * build time (scripts/gen-wire-types.mjs, into the gitignored generated/).
 * Plain names are what we send (fields optional), `__Output` names what
 * proto.ts's loader hands us (defaults filled in).
 */
export type { ConfigValue, ConfigValue__Output } from './generated/privmed/v1/ConfigValue.js';
export type { CoordinatorClient, CoordinatorDefinition, CoordinatorHandlers } from './generated/privmed/v1/Coordinator.js';
export type { EvaluationResult, EvaluationResult__Output } from './generated/privmed/v1/EvaluationResult.js';
export type { HeartbeatReply, HeartbeatReply__Output } from './generated/privmed/v1/HeartbeatReply.js';
export type { HeartbeatRequest, HeartbeatRequest__Output } from './generated/privmed/v1/HeartbeatRequest.js';
export type { JoinReply, JoinReply__Output } from './generated/privmed/v1/JoinReply.js';
export type { JoinRequest, JoinRequest__Output } from './generated/privmed/v1/JoinRequest.js';
export type { SubmitReply, SubmitReply__Output } from './generated/privmed/v1/SubmitReply.js';
export type { TaskChunk, TaskChunk__Output } from './generated/privmed/v1/TaskChunk.js';
export type { TaskHeader, TaskHeader__Output } from './generated/privmed/v1/TaskHeader.js';
// Renamed: TaskKind is the federation's own 'fit' | 'evaluate' | ... (wire/task.ts).
export type { TaskKind__Output as WireTaskKind } from './generated/privmed/v1/TaskKind.js';
export type { TaskRequest, TaskRequest__Output } from './generated/privmed/v1/TaskRequest.js';
export type { TensorManifest, TensorManifest__Output } from './generated/privmed/v1/TensorManifest.js';
export type { TensorSpec as TensorSpecMessage, TensorSpec__Output as TensorSpecMessage__Output } from './generated/privmed/v1/TensorSpec.js';
export type { UpdateChunk, UpdateChunk__Output } from './generated/privmed/v1/UpdateChunk.js';
export type { UpdateHeader, UpdateHeader__Output } from './generated/privmed/v1/UpdateHeader.js';
export type { ProtoGrpcType } from './generated/coordinator.js';
export type { LedgerHead as LedgerHeadMessage, LedgerHead__Output as LedgerHeadMessage__Output } from './generated/privmed/v1/LedgerHead.js';
