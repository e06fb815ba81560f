/** The coordinator's exchange of one SecAgg+ stage over the federation's STEP tasks (coordinator.ts). */
import { encodeMessage, type SecAggMessage } from '../../../secagg/index.js';
import type { NodeReply } from '../../wire/task.js';
import type { Exchange, NodeFailure } from '../../coordinator/exchange.js';
import type { TaskSpec } from '../../coordinator/task-board.js';
import { acceptReply } from '../check-reply.js';
import type { SecAggStageName } from './envelope.js';

export type Accept = (node: string, reply: NodeReply) => void;

/** One exchange of a stage; a node whose answer the server refuses is rejected with the server's reason. */
export async function exchangeStage(
  exchange: Exchange,
  failures: Map<string, NodeFailure>,
  stage: { name: SecAggStageName; deadline: number },
  tasks: Map<string, TaskSpec>,
  accept: Accept,
): Promise<void> {
  for (const [node, spec] of tasks) {
    spec.check = acceptReply((reply) => {
      accept(node, reply);
      // Added into the running sum: the round keeps no node's vector until the stage ends.
      reply.tensors = null;
      reply.payload = Buffer.alloc(0);
    });
  }
  const { failures: out } = await exchange(tasks, stage.deadline);
  for (const f of out) if (!failures.has(f.node)) failures.set(f.node, { ...f, reason: `${stage.name}: ${f.reason}` });
}

/** A STEP task per node carrying the server's message to it. */
export function stageTasks(round: number, nodeOf: Map<number, string>, messages: Map<number, SecAggMessage>, stage: SecAggStageName, expect: TaskSpec['expect']): Map<string, TaskSpec> {
  const tasks = new Map<string, TaskSpec>();
  for (const [id, message] of messages) {
    tasks.set(nodeOf.get(id)!, { kind: 'step', round, config: {}, stage, payload: Buffer.from(encodeMessage(message)), expect });
  }
  return tasks;
}
