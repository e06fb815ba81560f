/**
 * One request/answer exchange with a set of nodes: post a task to each,
 * wait until every node has answered, been refused or dropped out, or the
 * deadline passes. Nodes that do not answer in time are dropped; whatever
 * they send later is discarded as late.
 */
import type { Failure } from '../strategy/types.js';
import type { NodeRegistry } from './node-registry.js';
import type { NodeReply } from '../wire/task.js';
import type { TaskBoard, TaskOutcome, TaskSpec } from './task-board.js';

export interface NodeFailure extends Failure {
  status: 'rejected' | 'dropped';
}

export interface ExchangeResult {
  replies: Map<string, NodeReply>;
  failures: NodeFailure[];
}

export type Exchange = (requests: ReadonlyMap<string, TaskSpec>, deadline: number) => Promise<ExchangeResult>;

export function makeExchange(board: TaskBoard, registry: NodeRegistry): Exchange {
  return async (requests, deadline) => {
    const taskIds: string[] = [];
    const waits = [...requests].map(async ([node, spec]): Promise<[string, TaskOutcome]> => {
      const session = registry.sessionOf(node);
      if (!session) return [node, { status: 'dropped', reason: 'not connected' }];
      const { task, outcome } = board.post(node, session.id, spec);
      taskIds.push(task.id);
      return [node, await outcome];
    });
    const timeoutSec = Math.max(0, Math.round((deadline - Date.now()) / 100) / 10);
    const timer = setTimeout(() => {
      for (const id of taskIds) board.settle(id, { status: 'dropped', reason: `no answer within ${timeoutSec} s` });
    }, Math.max(0, deadline - Date.now()));
    try {
      const outcomes = await Promise.all(waits);
      const result: ExchangeResult = { replies: new Map(), failures: [] };
      for (const [node, o] of outcomes) {
        if (o.status === 'accepted') result.replies.set(node, o.reply);
        else result.failures.push({ node, status: o.status, reason: o.reason });
      }
      return result;
    } finally {
      clearTimeout(timer);
    }
  };
}
