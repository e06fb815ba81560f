/**
 * A federation inside the test process: the real coordinator and real nodes,
 * talking gRPC over mutual TLS on 127.0.0.1, sharing one event loop. For
 * tests of round policies, where separate processes add nothing but time.
 */
import { startCoordinator, type CoordinatorOptions, type CoordinatorResult } from '../../../src/federation/coordinator/run-coordinator.js';
import type { CoordinatorConfigInput } from '../../../src/federation/coordinator/config.js';
import type { CoordinatorEvent } from '../../../src/federation/coordinator/events.js';
import { runNode, type NodeEvent, type NodeResult } from '../../../src/federation/node/run-node.js';
import type { LocalTrainer } from '../../../src/site/local-trainer.js';
import type { NodeAggregation } from '../../../src/federation/node/node-aggregation.js';
import type { Federation } from './federation-setup.js';

export interface InProcessNode {
  name: string;
  trainer: LocalTrainer;
  aggregation?: NodeAggregation;
}

export interface InProcessRun {
  result: CoordinatorResult;
  nodes: (NodeResult | Error)[];
  events: CoordinatorEvent[];
}

export async function runInProcess(
  fed: Federation,
  config: CoordinatorConfigInput,
  nodes: InProcessNode[],
  options: CoordinatorOptions = {},
  onNodeEvent?: (node: string, event: NodeEvent) => void,
): Promise<InProcessRun> {
  const events: CoordinatorEvent[] = [];
  const handle = await startCoordinator(config, { log: false, ...options, onEvent: (e) => events.push(e) });
  try {
    const address = `127.0.0.1:${handle.port}`;
    const nodeRuns = nodes.map((n) =>
      runNode(fed.nodeConfig(n.name, address), n.trainer, {
        aggregation: n.aggregation,
        log: false,
        onEvent: (e) => onNodeEvent?.(n.name, e),
        // Nodes sharing the test's process beat on its thread: under tsx a heartbeat worker takes
        // about a second to load, and the first task waits for it (past short round timeouts).
        heartbeatThread: false,
      }).catch((e: Error) => e),
    );
    const result = await handle.finished;
    return { result, nodes: await Promise.all(nodeRuns), events };
  } finally {
    await handle.close();
  }
}
