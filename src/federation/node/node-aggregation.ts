/**
 * The node's side of an aggregation protocol (see protocols/registry.ts).
 * Plain: the trained weights go back as the fit reply. A secure aggregation
 * client instead keeps them, replies with its protocol payload, and answers
 * the STEP tasks that follow (masked upload, unmasking shares).
 */
import type { EvaluateOutput, FitOutput } from '../../site/local-trainer.js';
import type { DatasetStatistics } from '../wire/statistics.js';
import type { NodeReply, ReceivedTask } from '../wire/task.js';

export interface NodeAggregation {
  /** The reply to a fit task, once local training is done. */
  afterFit(task: ReceivedTask, output: FitOutput): Promise<NodeReply>;
  /** The reply to one step of a multi-step protocol. */
  step(task: ReceivedTask): Promise<NodeReply>;
  /** The reply to the statistics exchange (a STEP task with a statistics stage); absent: the node cannot take part. */
  statistics?(task: ReceivedTask, stats: DatasetStatistics): Promise<NodeReply>;
  /** The reply to a secure evaluation sum's first task, once this node scored the model; absent: the node cannot take part. */
  evaluation?(task: ReceivedTask, output: EvaluateOutput): Promise<NodeReply>;
  /** Protocols that keep the model at the nodes: the global model this node decoded last, for tasks that carry none. */
  globalWeights?(): Float32Array[] | null;
}
