/**
 * Secure aggregation cost against plain (unmasked float32) aggregation:
 * bytes each node sends and receives, bytes at the coordinator, and compute
 * time per node and at the coordinator, for n = 3, 10, 50 nodes (in process)
 * and updates of 0.3M and 11M parameters. `quick` keeps to 0.3M.
 *
 * Times are compute only (no network), every message through the binary
 * wire format. "*_ms" is wall time, "*_cpu_ms" CPU time of the process
 * (steadier when other work shares the cores). "round_extra_*" is the
 * critical path of a round with the nodes on their own machines (slowest
 * node + coordinator) minus the plain round's. The coordinator removes the
 * masks on worker threads, as the federation's coordinator does
 * (mask-pool.ts; PRIVMED_THREADS, default all cores); at n = 50 and 11M the
 * round is run once more with the serial removal ("...serial.*") for comparison.
 */
import { chooseGraphParameters, runSecAggRound, type SecAggParams, type SecAggRoundReport } from '../src/secagg/index.js';
import { MaskPool } from '../src/federation/protocols/secagg/mask-pool.js';

export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
}

const SIZES = [
  { label: '0.3M', length: 300_000 },
  { label: '11M', length: 11_000_000 },
];
const NODE_COUNTS = [3, 10, 50];
/** Same framing as a masked-input message (magic, kind, round id, node id, length): only the payload differs. */
const PLAIN_HEADER_BYTES = 40;

export async function benchSecAgg(report: (r: BenchResult) => void, opts: { quick?: boolean } = {}): Promise<void> {
  const sizes = opts.quick ? SIZES.slice(0, 1) : SIZES;
  const pool = new MaskPool();
  const workers = await pool.start();
  const removeMasks = (acc: Uint32Array, jobs: Parameters<MaskPool['remove']>[1]) => pool.removeSync(acc, jobs, workers);
  report({ metric: 'secagg.mask_threads', value: workers.length, unit: 'threads' });
  try {
    await rounds(report, sizes, removeMasks);
  } finally {
    for (const w of workers) await w.terminate();
  }
}

async function rounds(report: (r: BenchResult) => void, sizes: typeof SIZES, removeMasks: (acc: Uint32Array, jobs: Parameters<MaskPool['remove']>[1]) => void): Promise<void> {
  for (const { label, length } of sizes) {
    const update = syntheticUpdate(length);
    for (const n of NODE_COUNTS) {
      const prefix = `secagg.n${n}.d${label}`;
      const plain = plainRound(n, update);
      const { degree, threshold, complete } = chooseGraphParameters(n);
      const params: SecAggParams = {
        roundId: `bench-${n}-${label}`,
        nodeIds: Array.from({ length: n }, (_, i) => i + 1),
        threshold,
        degree,
        vectorLength: length,
        clip: 1,
        maxWeight: 10_000,
      };
      report({ metric: `${prefix}.neighbours`, value: complete ? n - 1 : degree, unit: 'nodes' });
      report({ metric: `${prefix}.threshold`, value: threshold, unit: 'shares' });
      const secagg = runSecAggRound({ params, inputs: (id) => ({ values: update, weight: 100 * id }), removeMasks });
      reportRound(report, prefix, secagg, plain, n);
      await yieldToEventLoop();
      if (label === '11M' && n === 50) {
        const serial = runSecAggRound({ params, inputs: (id) => ({ values: update, weight: 100 * id }) });
        reportRound(report, `${prefix}.serial`, serial, plain, n);
        await yieldToEventLoop();
      }
      if (label === '0.3M') {
        // Recovery work: 10% of the nodes (at least one) vanish after sharing keys, before masking.
        const dropped = Array.from({ length: Math.max(1, Math.floor(n / 10)) }, (_, i) => n - i);
        const withDropouts = runSecAggRound({ params, inputs: (id) => ({ values: update, weight: 100 * id }), dropouts: { 'masked-input': dropped }, removeMasks });
        report({ metric: `${prefix}.dropout10pct.coordinator_ms`, value: withDropouts.millis.coordinator, unit: 'ms', baseline: plain.coordinatorMs });
        await yieldToEventLoop();
      }
    }
  }
}

function reportRound(report: (r: BenchResult) => void, prefix: string, round: SecAggRoundReport, plain: PlainRound, n: number): void {
  const sent = [...round.bytes.sentByNode.values()];
  const received = [...round.bytes.receivedByNode.values()];
  const nodeMs = [...round.millis.node.values()];
  const nodeCpuMs = [...round.cpuMillis.node.values()];
  report({ metric: `${prefix}.node_sent_bytes`, value: mean(sent), unit: 'bytes', baseline: plain.nodeBytes });
  report({ metric: `${prefix}.node_received_bytes`, value: mean(received), unit: 'bytes' });
  report({ metric: `${prefix}.coordinator_received_bytes`, value: round.bytes.receivedByCoordinator, unit: 'bytes', baseline: n * plain.nodeBytes });
  report({ metric: `${prefix}.coordinator_sent_bytes`, value: round.bytes.sentByCoordinator, unit: 'bytes' });
  report({ metric: `${prefix}.node_ms`, value: mean(nodeMs), unit: 'ms', baseline: plain.nodeMs });
  report({ metric: `${prefix}.node_ms_max`, value: Math.max(...nodeMs), unit: 'ms', baseline: plain.nodeMs });
  report({ metric: `${prefix}.coordinator_ms`, value: round.millis.coordinator, unit: 'ms', baseline: plain.coordinatorMs });
  report({
    metric: `${prefix}.round_extra_ms`,
    value: Math.max(...nodeMs) + round.millis.coordinator - (plain.nodeMs + plain.coordinatorMs),
    unit: 'ms',
  });
  report({ metric: `${prefix}.node_cpu_ms`, value: mean(nodeCpuMs), unit: 'ms', baseline: plain.nodeCpuMs });
  report({ metric: `${prefix}.node_cpu_ms_max`, value: Math.max(...nodeCpuMs), unit: 'ms', baseline: plain.nodeCpuMs });
  report({ metric: `${prefix}.coordinator_cpu_ms`, value: round.cpuMillis.coordinator, unit: 'ms', baseline: plain.coordinatorCpuMs });
  report({
    metric: `${prefix}.round_extra_cpu_ms`,
    value: Math.max(...nodeCpuMs) + round.cpuMillis.coordinator - (plain.nodeCpuMs + plain.coordinatorCpuMs),
    unit: 'ms',
  });
}

interface PlainRound {
  nodeBytes: number;
  nodeMs: number;
  coordinatorMs: number;
  nodeCpuMs: number;
  coordinatorCpuMs: number;
}

/** Plain FedAvg step: each node ships float32 weight*update, the coordinator sums in float64. */
function plainRound(n: number, update: Float32Array): PlainRound {
  const node = { wall: 0, cpu: 0 };
  const coordinator = { wall: 0, cpu: 0 };
  const sum = new Float64Array(update.length);
  let nodeBytes = 0;
  for (let id = 1; id <= n; id++) {
    const weight = 100 * id;
    const message = timed(node, () => {
      const bytes = new Uint8Array(PLAIN_HEADER_BYTES + 4 * update.length);
      const payload = new Float32Array(bytes.buffer, PLAIN_HEADER_BYTES, update.length);
      for (let i = 0; i < update.length; i++) payload[i] = weight * update[i]!;
      return bytes;
    });
    nodeBytes = message.length;
    timed(coordinator, () => {
      const received = new Float32Array(message.buffer, PLAIN_HEADER_BYTES, update.length);
      for (let i = 0; i < received.length; i++) sum[i]! += received[i]!;
    });
  }
  return { nodeBytes, nodeMs: node.wall / n, nodeCpuMs: node.cpu / n, coordinatorMs: coordinator.wall, coordinatorCpuMs: coordinator.cpu };
}

function timed<T>(total: { wall: number; cpu: number }, work: () => T): T {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const out = work();
  const used = process.cpuUsage(cpu);
  total.wall += performance.now() - wall;
  total.cpu += (used.user + used.system) / 1000;
  return out;
}

function syntheticUpdate(length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.sin(i * 0.618) * 0.01;
  return out;
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
