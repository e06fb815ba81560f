/**
 * The node's side of the aggregation protocol (see coordinator/aggregator.ts).
 * Plain: the trained weights go back as the fit reply. A secure aggregation
 * client instead keeps them, replies with its protocol payload, and answers
 * the STEP tasks that follow (masked upload, unmasking shares).
 */
import { PrivmedError } from '../../common/errors.js';
import { nameTensors, type NamedTensor } from '../wire/tensors.js';
import type { ConfigRecord } from '../wire/config-values.js';
import type { FitOutput } from '../../site/local-trainer.js';
import { statisticsToMetrics, type DatasetStatistics } from '../wire/statistics.js';

export interface ReceivedTask {
  kind: 'fit' | 'evaluate' | 'step' | 'init';
  taskId: string;
  round: number;
  config: ConfigRecord;
  tensors: NamedTensor[] | null;
  stage: string;
  payload: Buffer;
}

export interface NodeReplyOut {
  tensors: NamedTensor[] | null;
  numSamples: number;
  metrics: Record<string, number>;
  payload?: Buffer;
}

export interface NodeAggregation {
  /** The reply to a fit task, once local training is done. */
  afterFit(task: ReceivedTask, output: FitOutput): Promise<NodeReplyOut>;
  /** The reply to one step of a multi-step protocol. */
  step(task: ReceivedTask): Promise<NodeReplyOut>;
  /** The reply to the statistics exchange (a STEP task with a statistics stage); absent: the node cannot take part. */
  statistics?(task: ReceivedTask, stats: DatasetStatistics): Promise<NodeReplyOut>;
}

export class PlainNodeAggregation implements NodeAggregation {
  async afterFit(task: ReceivedTask, output: FitOutput): Promise<NodeReplyOut> {
    if (!task.tensors) throw new PrivmedError('a fit task arrived without weights');
    return { tensors: nameTensors(task.tensors, output.weights), numSamples: output.numSamples, metrics: output.metrics };
  }

  async statistics(_task: ReceivedTask, stats: DatasetStatistics): Promise<NodeReplyOut> {
    return { tensors: null, numSamples: stats.count, metrics: statisticsToMetrics(stats) };
  }

  async step(task: ReceivedTask): Promise<NodeReplyOut> {
    throw new PrivmedError(`the coordinator asked for aggregation step '${task.stage}', but this node runs plain aggregation`, {
      hint: 'configure the same aggregation (e.g. secure aggregation) on coordinator and nodes',
    });
  }
}
