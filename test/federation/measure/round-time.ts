/**
 * Not a test: measures the wall time of federated rounds for a large model,
 * coordinator and three nodes in one process over mutual TLS on 127.0.0.1.
 * Nodes return the global weights plus a constant (no training), so the time
 * is transport + validation + aggregation + the checkpoint commit.
 *
 *   node --import tsx test/federation/measure/round-time.ts [PARAMETERS]   (default 11.7M = ResNet-18)
 */
import { makeFederation } from '../helpers/federation-setup.js';
import { startCoordinator } from '../../../src/federation/coordinator/run-coordinator.js';
import { runNode } from '../../../src/federation/node/run-node.js';
import type { LocalTrainer } from '../../../src/site/local-trainer.js';

const parameters = Number(process.argv[2] ?? 11_700_000);
const nodes = ['alice', 'bob', 'charlie'];
const fed = await makeFederation(nodes);
try {
  const initialWeights = [parameters - 1000, 1000].map((n, i) => ({ name: `w${i}`, shape: [n], data: new Float32Array(n).fill(0.01) }));
  const seconds: number[] = [];
  let started = 0;
  const handle = await startCoordinator(fed.coordinatorConfig({ rounds: 3, evaluate: { every: 1000 } }), {
    log: false,
    initialWeights,
    onEvent: (e) => {
      if (e.type === 'round-started') started = performance.now();
      if (e.type === 'round-completed') seconds.push((performance.now() - started) / 1000);
    },
  });
  const shift: LocalTrainer = {
    fit: async (w) => ({ weights: w.map((x) => x.map((v) => v + 0.001)), numSamples: 100, metrics: {} }),
    evaluate: async () => ({ numSamples: 10, metrics: { tp: 5, fp: 0, tn: 5, fn: 0 } }),
  };
  const address = `127.0.0.1:${handle.port}`;
  await Promise.all([handle.finished, ...nodes.map((n) => runNode(fed.nodeConfig(n, address), shift, { log: false }))]);
  await handle.close();
  process.stdout.write(`model ${((parameters * 4) / 1e6).toFixed(1)} MB, 3 nodes, seconds per round: ${seconds.map((s) => s.toFixed(2)).join(', ')}\n`);
} finally {
  fed.cleanup();
}
