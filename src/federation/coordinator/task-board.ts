/**
 * Tasks waiting to be fetched and answered by nodes. The round loop posts a
 * task for a node's session and awaits its outcome; the service hands tasks
 * out on GetTask and settles them on SubmitUpdate/SubmitEvaluation. A task
 * is settled exactly once: answered, refused, or dropped (the node left, or
 * the round stopped waiting). Anything that arrives after that is late and
 * finds no task.
 */
import { randomUUID } from 'node:crypto';
import type { ConfigRecord } from '../wire/config-values.js';
import type { TensorSpec } from '../wire/tensors.js';
import type { TensorManifest__Output } from '../wire/messages.js';
import type { NodeReply, TaskKind } from '../wire/task.js';
import { Wakeup } from './wakeup.js';


export interface TaskSpec {
  kind: TaskKind;
  round: number;
  config: ConfigRecord;
  /** Weights sent with the task, already encoded (shared between nodes). */
  weights?: { manifest: TensorManifest__Output; payload: Buffer };
  stage?: string;
  payload?: Buffer;
  /**
   * What tensors the reply must carry: exactly these names/shapes, any
   * (within the size limit, or none: the check decides), or none.
   */
  expect: TensorSpec[] | 'any' | 'none';
  /** Checks the complete reply; returns why it is refused, or null. */
  check?: (reply: NodeReply) => string | null;
}

export type TaskOutcome =
  | { status: 'accepted'; reply: NodeReply }
  | { status: 'rejected' | 'dropped'; reason: string };

export interface Task {
  id: string;
  node: string;
  sessionId: string;
  spec: TaskSpec;
}

interface Pending extends Task {
  settle: (outcome: TaskOutcome) => void;
}

export class TaskBoard {
  private readonly pending = new Map<string, Pending>();
  private readonly posted = new Wakeup();

  post(node: string, sessionId: string, spec: TaskSpec): { task: Task; outcome: Promise<TaskOutcome> } {
    const id = `r${spec.round}-${spec.kind}-${randomUUID()}`;
    let settle!: (o: TaskOutcome) => void;
    const outcome = new Promise<TaskOutcome>((resolve) => (settle = resolve));
    const task: Pending = {
      id,
      node,
      sessionId,
      spec,
      settle: (o) => {
        if (this.pending.delete(id)) settle(o);
      },
    };
    this.pending.set(id, task);
    this.posted.notify();
    return { task, outcome };
  }

  /** The session's oldest open task (again, if the node lost it while downloading). */
  nextFor(sessionId: string): Task | undefined {
    for (const t of this.pending.values()) if (t.sessionId === sessionId) return t;
    return undefined;
  }

  /** Waits up to timeoutMs for a task for the session. */
  async waitFor(sessionId: string, timeoutMs: number, stillWanted: () => boolean): Promise<Task | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const task = this.nextFor(sessionId);
      if (task || !stillWanted()) return task;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await this.posted.wait(left);
    }
  }

  /** Wakes all long polls (e.g. because the run is over). */
  wakeAll(): void {
    this.posted.notify();
  }

  find(taskId: string): Task | undefined {
    return this.pending.get(taskId);
  }

  settle(taskId: string, outcome: TaskOutcome): boolean {
    const task = this.pending.get(taskId);
    if (!task) return false;
    task.settle(outcome);
    return true;
  }

  /** Drops every open task (the coordinator is stopping). */
  dropAll(reason: string): void {
    for (const t of [...this.pending.values()]) t.settle({ status: 'dropped', reason });
    this.posted.notify();
  }

  /** Drops every open task of a session that ended. */
  dropSession(sessionId: string, reason: string): void {
    for (const t of [...this.pending.values()]) {
      if (t.sessionId === sessionId) t.settle({ status: 'dropped', reason });
    }
  }
}
