/**
 * Targets taken from a running federation, as a curious coordinator takes
 * them: the real coordinator (in this process, its aggregator wrapped to keep
 * what round 1's fit phase hands the strategy) and one real `privmed node`
 * process per hospital over mutual TLS on loopback. Under plain aggregation
 * that is the sample-weighted mean of the nodes' models (the coordinator sees
 * each as it arrives and adds it to a running sum; the attack inverts the
 * mean either way); under SecAgg it is the one pre-aggregated result; with
 * DP-SGD at the nodes it is their noisy update. Nothing the
 * coordinator does not receive is read: the true images only come from the
 * files this function wrote for the nodes, to score the attack.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PrivmedError } from '../../common/errors.js';
import { Rng } from '../../common/rng.js';
import type { Dataset } from '../../data/dataset.js';
import { makeNpy, makeZip } from '../../data/npz-write.js';
import { initPki, nodeCertPaths, pkiPaths } from '../../net/certs/pki-files.js';
import { startCoordinator } from '../../federation/coordinator/run-coordinator.js';
import { aggregatorFromConfig } from '../../federation/coordinator/aggregator-from-config.js';
import { parseCoordinatorConfig } from '../../federation/coordinator/config.js';
import type { Aggregator } from '../../federation/coordinator/aggregator.js';
import type { FitResult } from '../../federation/strategy/types.js';
import type { TensorSpec } from '../../federation/wire/tensors.js';
import { startCli, sharedCoresEnv, waitOrKill, type Child } from '../../simulation/processes.js';
import type { CapturedTarget } from './targets.js';

interface Seen {
  specs: TensorSpec[];
  global: Float32Array[];
  results: FitResult[];
}

export interface FederationCaptureOptions {
  kind: 'plain' | 'secagg' | 'dp';
  pool: Dataset;
  /** Images per node: its whole local data, one batch, one local step of SGD. */
  batch: number;
  nodes: number;
  lr: number;
  seed: number;
  /** Configs, certificates, the nodes' data and ledgers. */
  dir: string;
  dp?: { noiseMultiplier: number; clipNorm: number; delta: number };
  /** The processes' lines (default: dropped). */
  onLine?: (source: string, line: string) => void;
  timeoutMs?: number;
}

/** A MedMNIST-layout npz of the node's images (uint8, as the pool came), named so its class names are known. */
function nodeNpz(pool: Dataset, images: Float32Array[], labels: number[]): Uint8Array {
  const { height, width, channels, classes } = pool.info;
  const px = height * width * channels;
  const flat = new Uint8Array(images.length * px);
  images.forEach((im, j) => im.forEach((v, i) => (flat[j * px + i] = Math.round(v * 255))));
  const members: Record<string, Uint8Array> = {};
  // train = val = the node's images; test holds one image per class so the class count is the pool's (never trained on).
  const testImgs = new Uint8Array(classes.length * px);
  for (let k = 0; k < classes.length; k++) testImgs.set(flat.subarray(0, px), k * px);
  for (const [split, imgs, labs, n] of [['train', flat, labels, images.length], ['val', flat, labels, images.length], ['test', testImgs, classes.map((_, k) => k), classes.length]] as const) {
    members[`${split}_images.npy`] = makeNpy('|u1', channels === 1 ? [n, height, width] : [n, height, width, channels], imgs);
    members[`${split}_labels.npy`] = makeNpy('|u1', [n, 1], Uint8Array.from(labs));
  }
  return makeZip(members, false);
}

function quantised(v: Float32Array): Float32Array {
  return Float32Array.from(v, (x) => Math.round(x * 255) / 255);
}

export async function captureFromFederation(o: FederationCaptureOptions): Promise<CapturedTarget> {
  const nodes = o.kind === 'secagg' ? o.nodes : 1;
  if (o.kind === 'secagg' && nodes < 2) throw new PrivmedError(`a secure aggregate needs at least 2 nodes, got ${nodes}`);
  if (nodes * o.batch > o.pool.length) throw new PrivmedError(`${nodes} node(s) of ${o.batch} images need more than the ${o.pool.length} in the pool`);
  if (o.kind === 'dp' && !o.dp) throw new PrivmedError("the dp target needs the node's noise multiplier, clip norm and delta");
  const { height, width, channels } = o.pool.info;
  const poolName = (o.pool as { name?: string }).name?.split('/')[0] ?? 'pool';
  mkdirSync(o.dir, { recursive: true });
  const names = Array.from({ length: nodes }, (_, k) => `node${k + 1}`);
  const order = new Rng(o.seed).shuffle(Array.from({ length: o.pool.length }, (_, i) => i));
  const truths: Float32Array[] = [];
  const labels: number[] = [];
  const files: string[] = [];
  for (let k = 0; k < nodes; k++) {
    const ims: Float32Array[] = [];
    const labs: number[] = [];
    for (const i of order.slice(k * o.batch, (k + 1) * o.batch)) {
      const s = await o.pool.get(i);
      ims.push(quantised(Float32Array.from(s.image)));
      labs.push(s.label);
    }
    const dir = join(o.dir, names[k]!);
    mkdirSync(dir, { recursive: true });
    files.push(join(dir, `${poolName}.npz`));
    writeFileSync(files[k]!, nodeNpz(o.pool, ims, labs));
    truths.push(...ims);
    labels.push(...labs);
  }
  const pkiDir = join(o.dir, 'pki');
  await initPki({ outDir: pkiDir, nodes: names });
  const pki = pkiPaths(pkiDir);
  const config = {
    address: '127.0.0.1:0',
    tls: { ca: pki.caCert, cert: pki.coordinatorCert, key: pki.coordinatorKey },
    allowedNodes: names,
    database: join(o.dir, 'federation.sqlite'),
    runName: `capture-${o.kind}`,
    rounds: 1,
    minNodes: nodes,
    model: { arch: 'small-cnn', inputShape: [height, width, channels], numClasses: o.pool.info.classes.length, norm: 'none', seed: o.seed },
    fit: { localEpochs: 1 },
    exchangeStatistics: false,
    roundTimeoutSec: 1800,
    heartbeatTimeoutSec: 300,
    ...(o.kind === 'secagg' ? { aggregation: 'secagg' } : {}),
  };
  // The curious coordinator: the real aggregator, with what it hands the strategy in round 1 kept.
  const real = aggregatorFromConfig(parseCoordinatorConfig(config));
  let seen: Seen | null = null;
  const curious: Aggregator = {
    ...real,
    name: real.name,
    runFit: async (r) => {
      const out = await real.runFit(r);
      if (r.round === 1 && out.results.length) seen = { specs: r.global.specs, global: r.global.weights.map((w) => Float32Array.from(w)), results: out.results };
      return out;
    },
  };
  const line = o.onLine ?? (() => {});
  const coordinator = await startCoordinator(config, { aggregator: curious, log: (l) => line('coordinator', l) });
  const address = `127.0.0.1:${coordinator.port}`;
  const children: Child[] = [];
  try {
    names.forEach((name, k) => {
      const certs = nodeCertPaths(pkiDir, name);
      const yaml = join(o.dir, `${name}.yaml`);
      writeFileSync(
        yaml,
        stringify({
          node: { name, coordinator: address, tls: { ca: pki.caCert, cert: certs.cert, key: certs.key } },
          site: {
            data: { dataset: files[k] },
            model: { arch: 'small-cnn', norm: 'none' },
            training: { batchSize: o.batch, optimizer: { name: 'sgd', lr: o.lr, momentum: 0 }, classWeights: 'none', seed: o.seed + k, augment: false },
            ...(o.kind === 'dp' && o.dp ? { privacy: { noiseMultiplier: o.dp.noiseMultiplier, clipNorm: o.dp.clipNorm, delta: o.dp.delta, targetEpsilon: 1000, ledger: join(o.dir, `${name}.privacy-ledger.sqlite`) } } : {}),
          },
        }),
      );
      children.push(startCli(name, ['node', '--config', yaml], (l) => line(name, l), sharedCoresEnv(nodes)));
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PrivmedError(`the capture federation did not finish round 1 within ${(o.timeoutMs ?? 1_800_000) / 1000} s`)), o.timeoutMs ?? 1_800_000)));
    const result = await Promise.race([coordinator.finished, timeout]).finally(() => clearTimeout(timer));
    if (result.status === 'failed') throw new PrivmedError(`the capture federation failed: ${result.message}`);
    await Promise.all(children.map((c) => waitOrKill(c, 30_000)));
  } finally {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    await coordinator.close().catch(() => {});
  }
  const got = seen as Seen | null;
  if (!got) throw new PrivmedError('the coordinator saw no fit result in round 1');
  return toTarget(o, got, truths, labels, nodes);
}

/** What the coordinator holds, as an observed gradient: -(FedAvg mean of the received models - global) / lr. */
function toTarget(o: FederationCaptureOptions, seen: Seen, truths: Float32Array[], labels: number[], nodes: number): CapturedTarget {
  const total = seen.results.reduce((a, r) => a + r.numSamples, 0);
  const gradient = seen.global.map((w0, i) => {
    const mean = new Float64Array(w0.length);
    for (const r of seen.results) for (let j = 0; j < w0.length; j++) mean[j] += (r.weights[i]![j]! * r.numSamples) / total;
    return { ...seen.specs[i]!, data: Float32Array.from(mean, (m, j) => -(m - w0[j]!) / o.lr) };
  });
  return { kind: o.kind, global: seen.global.map((w, i) => ({ ...seen.specs[i]!, data: w })), gradient, truths, labels, nodes, batch: o.batch };
}
