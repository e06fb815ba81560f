/**
 * `npm run bench -- federation`: where the time of a federated round goes, for
 * the small CNN and ResNet-18 with 3 nodes over mutual TLS on loopback. The
 * coordinator and nodes share this process (one thread), so the parts add up:
 * local compute (the nodes' fit calls), serialisation (tensor encode/decode,
 * measured on the model's own weights), aggregation (FedAvg of the 3 updates)
 * and transport + bookkeeping (the rest: gRPC, TLS, chunking, validation, the
 * SQLite checkpoint). The baseline of the round time is the local compute, so
 * its ratio is the federation's overhead factor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initPki, nodeCertPaths, pkiPaths } from '../src/net/certs/pki-files.js';
import { startCoordinator } from '../src/federation/coordinator/run-coordinator.js';
import { runNode } from '../src/federation/node/run-node.js';
import type { LocalTrainer } from '../src/site/local-trainer.js';
import { TfjsLocalTrainer } from '../src/site/site-trainer.js';
import { FedAvg } from '../src/federation/strategy/fedavg.js';
import { decodeTensors, encodeTensors, specsOf } from '../src/federation/wire/tensors.js';
import { ArrayDataset } from '../src/data/dataset.js';
import { initBackend } from '../src/engine/backend.js';
import type { ModelSpec } from '../src/models/spec.js';
import { medianMs, type Report } from './harness.js';

const NODES = ['alice', 'bob', 'charlie'];

function syntheticData(n: number, [h, w, c]: [number, number, number]): ArrayDataset {
  const x = Float32Array.from({ length: n * h * w * c }, () => Math.random());
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  return new ArrayDataset({ height: h, width: w, channels: c, classes: ['a', 'b'] }, x, y);
}

async function benchModel(report: Report, name: string, spec: ModelSpec, batches: number, rounds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-bench-fed-'));
  try {
    await initPki({ outDir: join(dir, 'pki'), nodes: NODES });
    const p = pkiPaths(join(dir, 'pki'));
    const fitMs = new Map<number, number>();
    // One fit at a time: interleaved fits on one thread would each count the others' work.
    let lock: Promise<unknown> = Promise.resolve();
    const trainers: LocalTrainer[] = NODES.map((_, i) => {
      const t = new TfjsLocalTrainer({
        spec,
        train: syntheticData(8 * batches, spec.inputShape),
        val: syntheticData(8, spec.inputShape),
        normalisation: { mean: [0], std: [1] },
        batchSize: 8,
        optimizer: { name: 'adam', lr: 1e-3, momentum: 0.9, weightDecay: 0 },
        classWeights: null,
        seed: i,
      });
      return {
        initialWeights: () => t.initialWeights(),
        evaluate: (w, c) => t.evaluate(w, c),
        fit: (w, c) => {
          const run = lock.then(async () => {
            const t0 = performance.now();
            const out = await t.fit(w, c);
            fitMs.set(c.round, (fitMs.get(c.round) ?? 0) + performance.now() - t0);
            return out;
          });
          lock = run.catch(() => undefined);
          return run;
        },
      };
    });
    const roundMs = new Map<number, number>();
    let started = 0;
    const handle = await startCoordinator(
      {
        address: '127.0.0.1:0',
        tls: { ca: p.caCert, cert: p.coordinatorCert, key: p.coordinatorKey },
        allowedNodes: NODES,
        database: join(dir, 'state.db'),
        runName: 'bench',
        rounds,
        minNodes: NODES.length,
        fit: { syncEveryNBatches: batches },
        evaluate: { every: 1000 },
        limits: { maxUpdateBytes: 512 * 1024 * 1024 },
      },
      {
        log: false,
        onEvent: (e) => {
          if (e.type === 'round-started') started = performance.now();
          if (e.type === 'round-completed') roundMs.set(e.round, performance.now() - started);
        },
      },
    );
    const address = `127.0.0.1:${handle.port}`;
    await Promise.all([
      handle.finished,
      ...NODES.map((n) => {
        const c = nodeCertPaths(join(dir, 'pki'), n);
        return runNode({ name: n, coordinator: address, tls: { ca: p.caCert, cert: c.cert, key: c.key } }, trainers[NODES.indexOf(n)]!, { log: false });
      }),
    ]);
    await handle.close();
    // Rounds 2..R-1: the first warms up kernels and connections, the last includes the final evaluation.
    const measured = Array.from({ length: rounds - 2 }, (_, i) => i + 2);
    const mean = (m: Map<number, number>) => measured.reduce((a, r) => a + (m.get(r) ?? 0), 0) / measured.length;
    const computeMs = mean(fitMs);
    const round = mean(roundMs);
    const weights = await trainers[0]!.initialWeights!();
    const specs = specsOf(weights);
    const serMs = await medianMs(() => void decodeTensors(specs, encodeTensors(weights)), 3);
    // Per round: the global model goes down to 3 nodes and 3 updates come up.
    const serialisation = serMs * 2 * NODES.length;
    const fedavg = new FedAvg();
    const results = NODES.map((node) => ({ node, weights: weights.map((w) => w.data), numSamples: 8 * batches, metrics: {} }));
    const aggregation = await medianMs(() => void fedavg.aggregateFit(1, results, { current: weights.map((w) => w.data), failures: [] }), 3);
    const params = weights.reduce((a, w) => a + w.data.length, 0);
    const note = `${(params / 1e6).toFixed(2)}M parameters, 3 nodes, ${batches} batches of 8 per node per round`;
    report({ metric: `${name} round`, value: round, unit: 'ms', baseline: computeMs, baselineLabel: 'local compute', note });
    report({ metric: `${name} local compute`, value: computeMs, unit: 'ms' });
    report({ metric: `${name} serialisation`, value: serialisation, unit: 'ms' });
    report({ metric: `${name} aggregation`, value: aggregation, unit: 'ms' });
    report({ metric: `${name} transport+bookkeeping`, value: Math.max(round - computeMs - serialisation - aggregation, 0), unit: 'ms' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFederation(report: Report, opts: { quick?: boolean } = {}): Promise<void> {
  process.stderr.write((await initBackend('wasm')) + '\n');
  const rounds = opts.quick ? 3 : 5;
  await benchModel(report, 'small-cnn', { arch: 'small-cnn', inputShape: [64, 64, 1], numClasses: 2, norm: 'group' }, 4, rounds);
  await benchModel(report, 'resnet18', { arch: 'resnet18', inputShape: [28, 28, 1], numClasses: 2, norm: 'group' }, 1, rounds);
}
