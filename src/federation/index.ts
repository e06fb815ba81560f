/** Public API of the federation layer (used by the CLI's coordinator/node commands). */
export { runCoordinator, startCoordinator, type CoordinatorOptions, type CoordinatorHandle, type CoordinatorResult } from './coordinator/run-coordinator.js';
export { CoordinatorConfigSchema, parseCoordinatorConfig, type CoordinatorConfig, type CoordinatorConfigInput } from './coordinator/config.js';
export type { CoordinatorEvent } from './coordinator/events.js';
export type { Aggregator, FitRound, FitPhaseOutcome } from './coordinator/aggregator.js';
export { PlainAggregator } from './coordinator/plain-aggregator.js';
export { runNode, type NodeOptions, type NodeResult, type NodeEvent } from './node/run-node.js';
export { NodeConfigSchema, parseNodeConfig, type NodeConfig, type NodeConfigInput } from './node/config.js';
export type { LocalTrainer, FitOutput, EvaluateOutput } from './node/local-trainer.js';
export { PlainNodeAggregation, type NodeAggregation, type ReceivedTask, type NodeReplyOut } from './node/node-aggregation.js';
export type { FitConfig, EvaluateConfig } from './wire/fit-config.js';
export type { NamedTensor, TensorSpec } from './wire/tensors.js';
export type { Strategy, FitResult, EvaluateResult, StrategyState } from './strategy/types.js';
export { FedAvg } from './strategy/fedavg.js';
export { FedProx } from './strategy/fedprox.js';
export { FedAdam } from './strategy/fedadam.js';
export type { CommitHook, RoundCommit } from './store/run-store.js';
export type { SqliteDatabase } from './store/sqlite.js';
export { initPki, addNode } from './certs/pki-files.js';
