/**
 * A small live federation with its dashboard, as `privmed coordinator
 * --dashboard` runs it: an in-process coordinator (mutual TLS) whose events
 * feed the dashboard, and three DP-SGD nodes on tiny synthetic 8x8 images
 * (small-cnn). The nodes start only when the test says so, so a viewer can
 * watch the federation from its first round.
 */
import { DP_BATCH, DP_TRAIN_SIZE, tinyDpTrainer } from '../../federation/helpers/dp-trainer.js';
import { join } from 'node:path';
import { initBackend } from '../../../src/engine/backend.js';
import { startCoordinator, type CoordinatorHandle, type CoordinatorResult } from '../../../src/federation/coordinator/run-coordinator.js';
import { runNode } from '../../../src/federation/node/run-node.js';
import { LiveFeed } from '../../../src/dashboard/live-feed.js';
import type { DashboardHandle } from '../../../src/dashboard/server.js';
import { openDashboard } from '../../../src/cli/commands/dashboard.js';
import { makeFederation, type Federation } from '../../federation/helpers/federation-setup.js';

export const SITES = ['alice', 'bob', 'carol'];
export const ROUNDS = 3;
export const BUDGET = 12;
const N = DP_TRAIN_SIZE;
const BATCH = DP_BATCH; // sample rate 0.25, 4 DP-SGD steps per round

export interface LiveFederation {
  fed: Federation;
  database: string;
  coordinator: CoordinatorHandle;
  dashboard: DashboardHandle;
  /** Starts the nodes; resolves with the run's result once the coordinator has ended and the nodes have stopped. */
  run(): Promise<CoordinatorResult>;
  close(): Promise<void>;
}

export async function startLiveFederation(): Promise<LiveFederation> {
  await initBackend('wasm');
  const fed = await makeFederation(SITES);
  const database = join(fed.dir, 'state.db');
  const trainers = SITES.map((s, i) => tinyDpTrainer(fed.dir, s, i));
  const feed = new LiveFeed();
  const dashboard = await openDashboard('127.0.0.1:0', database, {}, { runName: 'test-run', live: feed }, (f) => feed.onChange(f));
  const coordinator = await startCoordinator(
    fed.coordinatorConfig({
      database,
      rounds: ROUNDS,
      // Heartbeats get room: wasm kernels block the shared event loop on a loaded machine.
      heartbeatTimeoutSec: 10,
      // The nodes start when the test has its viewer ready (a browser takes a while to launch).
      waitForNodesTimeoutSec: 180,
      fit: { localEpochs: 1 },
      privacy: { noiseMultiplier: 1, maxSampleRate: BATCH / N, maxStepsPerRound: 4, targetEpsilon: BUDGET },
    }),
    { log: false, onEvent: feed.sink, initialWeights: await trainers[0]!.initialWeights() },
  );
  const nodesStop = new AbortController();
  let nodes: Promise<unknown>[] = [];
  return {
    fed,
    database,
    coordinator,
    dashboard,
    run: async () => {
      nodes = SITES.map((name, i) => runNode(fed.nodeConfig(name, `127.0.0.1:${coordinator.port}`), trainers[i]!, { log: false, signal: nodesStop.signal }).catch((e: Error) => e));
      try {
        return await coordinator.finished;
      } finally {
        nodesStop.abort();
        await Promise.all(nodes);
      }
    },
    close: async () => {
      nodesStop.abort();
      await coordinator.close();
      await Promise.all(nodes);
      await dashboard.close();
      fed.cleanup();
    },
  };
}
