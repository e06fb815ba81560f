/**
 * `npm run bench -- many-nodes` (heavy; not in the test suite): 100 nodes on
 * loopback over mutual TLS, a light one-tensor model, 3 rounds, plain and
 * SecAgg, at two model sizes. The coordinator runs in its own process, so its
 * peak resident memory (maxRSS) is its own; the nodes share this process
 * (heartbeats on its main thread). What it shows: rounds complete with 100
 * nodes, and how the coordinator's memory grows with the model: the growth
 * over its memory when listening, per update byte, at both sizes (linear
 * growth keeps that ratio flat), and with both sizes in one run the slope in
 * bytes per parameter (and per parameter and node: 4 would be one float32
 * update per node held). PRIVMED_MANY_NODES overrides the count;
 * `--only secagg-250k,plain-1m` runs some of the four federations.
 */
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initPki, nodeCertPaths, pkiPaths } from '../src/net/certs/pki-files.js';
import { runNode } from '../src/federation/node/run-node.js';
import type { LocalTrainer } from '../src/site/local-trainer.js';
import type { Report } from './harness.js';

const SIZES = [250_000, 1_000_000];
/** PRIVMED_MANY_ROUNDS overrides (a loaded machine may need fewer). */
const ROUNDS = Number(process.env.PRIVMED_MANY_ROUNDS) || 3;

/** A node whose update is the global weights plus a small step: the federation's costs without a model's. */
function lightTrainer(seed: number): LocalTrainer {
  return {
    async fit(weights, config) {
      const out = weights.map((w) => w.map((v, i) => v + 0.001 * Math.sin(seed + i + config.round)));
      return { weights: out, numSamples: 10 + seed, metrics: {} };
    },
    async evaluate() {
      return { numSamples: 10, metrics: { loss: 1 } };
    },
  };
}

interface CoordinatorRun {
  status: string;
  message: string;
  rssListening: number;
  peakRss: number;
  roundMs: number[];
}

async function federation(dir: string, nodes: string[], length: number, protocol: 'plain' | 'secagg'): Promise<CoordinatorRun> {
  const p = pkiPaths(join(dir, 'pki'));
  const config = {
    address: '127.0.0.1:0',
    tls: { ca: p.caCert, cert: p.coordinatorCert, key: p.coordinatorKey },
    allowedNodes: nodes,
    database: join(dir, `${protocol}-${length}.db`),
    runName: `many-${protocol}-${length}`,
    rounds: ROUNDS,
    minNodes: nodes.length,
    maxRoundAttempts: 1,
    roundTimeoutSec: 600,
    waitForNodesTimeoutSec: 300,
    heartbeatIntervalSec: 2,
    heartbeatTimeoutSec: 120,
    fit: { localEpochs: 1 },
    ...(protocol === 'secagg' ? { aggregation: 'secagg', secagg: { clip: 1, stageTimeoutSec: 300 } } : {}),
  };
  const specFile = join(dir, `spec-${protocol}-${length}.json`);
  writeFileSync(specFile, JSON.stringify({ config, length }));
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const entry = new URL(`./many-nodes-coordinator${ext}`, import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, entry.pathname, specFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`coordinator exited (${code}) before listening`)));
  });
  const stop = new AbortController();
  // Every node listens on the one signal.
  setMaxListeners(nodes.length + 10, stop.signal);
  const runs = nodes.map((name, i) => {
    const c = nodeCertPaths(join(dir, 'pki'), name);
    const nodeConfig = { name, coordinator: `127.0.0.1:${port}`, tls: { ca: p.caCert, cert: c.cert, key: c.key }, reconnectTimeoutSec: 300, callTimeoutSec: 600 };
    // PRIVMED_MANY_LOG=1: why a node lost its connection, too.
    const onEvent = process.env.PRIVMED_MANY_LOG ? (e: { type: string; reason?: string }) => void (e.type === 'reconnecting' && process.stderr.write(`${name}: reconnecting: ${e.reason}\n`)) : undefined;
    return runNode(nodeConfig, lightTrainer(i), { log: false, signal: stop.signal, heartbeatThread: false, onEvent }).catch((e: Error) => e);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await exited;
  stop.abort();
  await Promise.all(runs);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the coordinator printed no result:\n${out.slice(-2000)}`);
  return JSON.parse(line.slice(7)) as CoordinatorRun;
}

const label = (n: number): string => (n >= 1e6 ? `${n / 1e6}m` : `${n / 1e3}k`);
/** The four federations, by the names --only takes: plain-250k, plain-1m, secagg-250k, secagg-1m. */
const PARTS = (['plain', 'secagg'] as const).flatMap((protocol) => SIZES.map((length) => ({ protocol, length, name: `${protocol}-${label(length)}` })));

export async function benchManyNodes(report: Report, only: string[] | null = null): Promise<void> {
  const unknown = (only ?? []).filter((o) => !PARTS.some((p) => p.name === o));
  if (unknown.length) throw new Error(`many-nodes --only: unknown part ${unknown.join(', ')} (parts: ${PARTS.map((p) => p.name).join(', ')})`);
  const parts = PARTS.filter((p) => only === null || only.includes(p.name));
  const count = Number(process.env.PRIVMED_MANY_NODES) || 100;
  const nodes = Array.from({ length: count }, (_, i) => `node${String(i).padStart(3, '0')}`);
  const dir = mkdtempSync(join(tmpdir(), 'privmed-many-'));
  try {
    await initPki({ outDir: join(dir, 'pki'), nodes });
    const growthOf = new Map<string, number>();
    for (const { protocol, length } of parts) {
      const r = await federation(dir, nodes, length, protocol);
      const prefix = `many.${protocol}.n${count}.p${length}`;
      const growth = r.peakRss - r.rssListening;
      report({ metric: `${prefix}.completed_rounds`, value: r.status === 'completed' ? r.roundMs.length : 0, unit: 'rounds' });
      report({ metric: `${prefix}.round_ms_mean`, value: r.roundMs.reduce((a, b) => a + b, 0) / Math.max(1, r.roundMs.length), unit: 'ms' });
      report({ metric: `${prefix}.coordinator_rss_listening_mb`, value: r.rssListening / 2 ** 20, unit: 'MB' });
      report({ metric: `${prefix}.coordinator_peak_rss_mb`, value: r.peakRss / 2 ** 20, unit: 'MB' });
      report({ metric: `${prefix}.coordinator_growth_mb`, value: growth / 2 ** 20, unit: 'MB' });
      // Growth per byte of one update: flat or falling across sizes = no worse than linear in the model size.
      report({ metric: `${prefix}.coordinator_growth_per_update_byte`, value: growth / (4 * length), unit: 'bytes/byte' });
      if (r.status !== 'completed') process.stderr.write(`many-nodes: ${prefix}: ${r.status}: ${r.message}\n`);
      growthOf.set(`${protocol}/${length}`, growth);
      // Both sizes run: the slope of the growth in the model size, per parameter, and per parameter and node.
      // Holding every node's float32 update would cost 4 bytes per parameter and node; a running sum 8 bytes per parameter.
      const smaller = growthOf.get(`${protocol}/${SIZES[0]}`);
      if (length === SIZES[1] && smaller !== undefined) {
        const slope = (growth - smaller) / (SIZES[1]! - SIZES[0]!);
        report({ metric: `many.${protocol}.n${count}.growth_per_parameter`, value: slope, unit: 'bytes/parameter' });
        report({ metric: `many.${protocol}.n${count}.growth_per_parameter_per_node`, value: slope / count, unit: 'bytes/parameter/node' });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
