/**
 * The aggregation a node runs unless told otherwise: it follows whatever the
 * coordinator asks for. A fit task without a stage is plain aggregation (the
 * trained weights go back); a fit task with the secure aggregation setup
 * starts a SecAgg+ round, whose STEP tasks follow. So `privmed node` needs
 * no setting to match the coordinator's `aggregation:`.
 */
import { PrivmedError } from '../../common/errors.js';
import { isSecAggStage } from '../wire/secagg-envelope.js';
import { STATISTICS_STAGES } from '../wire/statistics.js';
import { PlainNodeAggregation, type NodeAggregation } from './node-aggregation.js';
import { SecAggNodeAggregation, type SecAggNodeOptions } from './secagg-node-aggregation.js';

export function defaultNodeAggregation(options: SecAggNodeOptions = {}): NodeAggregation {
  const plain = new PlainNodeAggregation();
  const secure = new SecAggNodeAggregation(options);
  return {
    async afterFit(task, output) {
      if (isSecAggStage(task.stage)) return secure.afterFit(task, output);
      // Never fall back to sending weights in the clear for a protocol this node does not know.
      if (task.stage !== '') throw unknownStage(task.stage);
      return plain.afterFit(task, output);
    },
    async statistics(task, stats) {
      if (task.stage === STATISTICS_STAGES.secaggSetup) return secure.afterStatistics(task, stats);
      if (task.stage === STATISTICS_STAGES.plain) return plain.statistics(task, stats);
      throw unknownStage(task.stage);
    },
    async step(task) {
      if (isSecAggStage(task.stage)) return secure.step(task);
      return plain.step(task);
    },
  };
}

function unknownStage(stage: string): PrivmedError {
  return new PrivmedError(`the coordinator asked for aggregation protocol '${stage}', which this node does not know`, {
    hint: 'run the same privmed version on coordinator and nodes',
  });
}
