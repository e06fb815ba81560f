/** The node's side of plain aggregation: the trained weights and the statistics go back in the clear. */
import { PrivmedError } from '../../../common/errors.js';
import { nameTensors } from '../../wire/tensors.js';
import { statisticsToMetrics, type DatasetStatistics } from '../../wire/statistics.js';
import type { NodeReply, ReceivedTask } from '../../wire/task.js';
import type { FitOutput } from '../../../site/local-trainer.js';
import type { NodeAggregation } from '../../node/node-aggregation.js';

export class PlainNodeAggregation implements NodeAggregation {
  async afterFit(task: ReceivedTask, output: FitOutput): Promise<NodeReply> {
    if (!task.tensors) throw new PrivmedError('a fit task arrived without weights');
    return { tensors: nameTensors(task.tensors, output.weights), numSamples: output.numSamples, metrics: output.metrics };
  }

  async statistics(_task: ReceivedTask, stats: DatasetStatistics): Promise<NodeReply> {
    return { tensors: null, numSamples: stats.count, metrics: statisticsToMetrics(stats) };
  }

  async step(task: ReceivedTask): Promise<NodeReply> {
    throw new PrivmedError(`the coordinator asked for aggregation step '${task.stage}', but this node runs plain aggregation`, {
      hint: 'configure the same aggregation (e.g. secure aggregation) on coordinator and nodes',
    });
  }
}
