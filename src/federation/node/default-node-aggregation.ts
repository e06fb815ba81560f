/**
 * The aggregation a node runs unless told otherwise: it follows whatever the
 * coordinator asks for. Each task's stage names its protocol in the registry
 * (protocols/registry.ts) - a fit without a stage is plain aggregation, a fit
 * with the secure aggregation setup starts a SecAgg+ round - and that
 * protocol's node side answers it. So `privmed node` needs no setting to
 * match the coordinator's `aggregation:`.
 */
import { PrivmedError } from '../../common/errors.js';
import { PROTOCOLS, protocolForStage, type StageRole } from '../protocols/registry.js';
import type { NodeProtocolOptions } from '../protocols/types.js';
import type { ReceivedTask } from '../wire/task.js';
import type { NodeAggregation } from './node-aggregation.js';

export function defaultNodeAggregation(options: NodeProtocolOptions = {}): NodeAggregation {
  // One node side per protocol for the whole process: a multi-step protocol keeps its round between tasks.
  const sides = new Map<string, NodeAggregation>(PROTOCOLS.map((p) => [p.name, p.node(options)]));
  // Never fall back to another protocol (e.g. sending weights in the clear) for a stage this node does not know.
  const sideFor = (task: ReceivedTask, role: StageRole): NodeAggregation => {
    const protocol = protocolForStage(task.stage, role);
    if (!protocol) throw unknownStage(task.stage);
    return sides.get(protocol.name)!;
  };
  return {
    async afterFit(task, output) {
      return sideFor(task, 'fit').afterFit(task, output);
    },
    async statistics(task, stats) {
      const side = sideFor(task, 'statistics');
      if (!side.statistics) throw unknownStage(task.stage);
      return side.statistics(task, stats);
    },
    async evaluation(task, output) {
      const side = sideFor(task, 'evaluation');
      if (!side.evaluation) throw unknownStage(task.stage);
      return side.evaluation(task, output);
    },
    async step(task) {
      return sideFor(task, 'step').step(task);
    },
    globalWeights() {
      for (const side of sides.values()) {
        const weights = side.globalWeights?.();
        if (weights) return weights;
      }
      return null;
    },
  };
}

function unknownStage(stage: string): PrivmedError {
  return new PrivmedError(`the coordinator asked for aggregation protocol '${stage}', which this node does not know`, {
    hint: 'run the same privmed version on coordinator and nodes',
  });
}
