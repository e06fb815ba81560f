/**
 * Not a test: wall time of federated rounds with plain and with secure
 * aggregation for a large model, coordinator and three nodes in one process
 * over mutual TLS on 127.0.0.1 (so all CPU work shares this machine's cores).
 * Nodes return the global weights plus a constant (no training), so the time
 * is transport + aggregation (+ the SecAgg+ protocol) + the checkpoint commit.
 *
 *   node --import tsx test/federation/measure/secagg-round-time.ts [PARAMETERS]   (default 1M)
 */
import { makeFederation } from '../helpers/federation-setup.js';
import { startCoordinator } from '../../../src/federation/coordinator/run-coordinator.js';
import { runNode } from '../../../src/federation/node/run-node.js';
import type { LocalTrainer } from '../../../src/site/local-trainer.js';

const parameters = Number(process.argv[2] ?? 1_000_000);
const nodes = ['alice', 'bob', 'charlie'];
const fed = await makeFederation(nodes);
const shift: LocalTrainer = {
  fit: async (w) => ({ weights: w.map((x) => x.map((v) => v + 0.001)), numSamples: 100, metrics: {} }),
  evaluate: async () => ({ numSamples: 10, metrics: { tp: 5, fp: 0, tn: 5, fn: 0 } }),
};

async function rounds(aggregation: 'plain' | 'secagg'): Promise<number[]> {
  const initialWeights = [parameters - 1000, 1000].map((n, i) => ({ name: `w${i}`, shape: [n], data: new Float32Array(n).fill(0.01) }));
  const seconds: number[] = [];
  let started = 0;
  const handle = await startCoordinator(
    fed.coordinatorConfig({ rounds: 3, evaluate: { every: 1000 }, database: `${fed.dir}/${aggregation}.db`, aggregation, limits: { maxUpdateBytes: 64 << 20 },
      // One process does the work of four machines: long synchronous stretches must not look like lost nodes.
      heartbeatTimeoutSec: 30, heartbeatIntervalSec: 1, roundTimeoutSec: 120 }),
    {
      log: false,
      initialWeights,
      onEvent: (e) => {
        if (e.type === 'round-started') started = performance.now();
        if (e.type === 'round-completed') seconds.push((performance.now() - started) / 1000);
        if (e.type === 'round-failed') process.stdout.write(`round ${e.round} failed: ${e.reason}\n`);
      },
    },
  );
  const address = `127.0.0.1:${handle.port}`;
  await Promise.all([handle.finished, ...nodes.map((n) => runNode(fed.nodeConfig(n, address), shift, { log: false }))]);
  await handle.close();
  return seconds;
}

try {
  for (const aggregation of ['plain', 'secagg'] as const) {
    const seconds = await rounds(aggregation);
    process.stdout.write(`${aggregation}: model ${((parameters * 4) / 1e6).toFixed(1)} MB, 3 nodes, seconds per round: ${seconds.map((s) => s.toFixed(2)).join(', ')}\n`);
  }
} finally {
  fed.cleanup();
}
