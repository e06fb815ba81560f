/**
 * Not a test: measures the error secure aggregation's fixed-point encoding
 * adds to the FedAvg mean, for the two things a federation could aggregate:
 * the weights themselves (clip must cover every weight, e.g. 64) or the
 * update w_node - w_global (what privmed does; clip 4 by default, 1 or 0.25
 * when updates are known to be small). Whole SecAgg+ rounds in process
 * (runSecAggRound), the mean compared with the exact float64 FedAvg.
 *
 *   node --import tsx test/federation/measure/secagg-quantisation.ts [PARAMETERS]   (default 100000)
 */
import { createCipheriv, createHash } from 'node:crypto';
import { chooseGraphParameters, runSecAggRound, weightedMean, type RandomSource } from '../../../src/secagg/index.js';
import { Rng } from '../../../src/common/rng.js';

const parameters = Number(process.argv[2] ?? 100_000);

function seeded(label: string): RandomSource {
  const stream = createCipheriv('aes-256-ctr', createHash('sha256').update(label).digest(), Buffer.alloc(16));
  return (length) => new Uint8Array(stream.update(Buffer.alloc(length)));
}

interface Case {
  what: string;
  clip: number;
  maxWeight: number;
  nodes: number;
}

// Typical magnitudes: weights of a trained CNN layer ~ N(0, 0.1) (a few up to +-1); one round's update ~ N(0, 0.005).
const WEIGHT_STD = 0.1;
const UPDATE_STD = 0.005;

function measure(c: Case): { maxError: number; rmsError: number; bound: number; meanAbs: number } {
  const rng = new Rng(7);
  const global = Float64Array.from({ length: parameters }, () => rng.normal() * WEIGHT_STD);
  const counts = Array.from({ length: c.nodes }, () => 500 + Math.floor(rng.next() * 1500));
  const updates = counts.map(() => Float64Array.from({ length: parameters }, () => rng.normal() * UPDATE_STD));
  const aggregateWeights = c.what === 'weights';
  const inputs = updates.map((u) => (aggregateWeights ? u.map((v, i) => global[i]! + v) : u));
  const input = (k: number) => inputs[k]!;
  const { degree, threshold } = chooseGraphParameters(c.nodes);
  const nodeIds = counts.map((_, i) => i + 1);
  const { result } = runSecAggRound({
    params: { roundId: `measure-${c.what}-${c.clip}-${c.nodes}`, nodeIds, degree, threshold, vectorLength: parameters, clip: c.clip, maxWeight: c.maxWeight },
    inputs: (id) => ({ values: input(id - 1), weight: counts[id - 1]! }),
    random: seeded(JSON.stringify(c)),
  });
  const mean = weightedMean(result);
  const total = counts.reduce((a, b) => a + b, 0);
  let maxError = 0;
  let squared = 0;
  let meanAbs = 0;
  for (let i = 0; i < parameters; i++) {
    let exact = 0;
    for (let k = 0; k < c.nodes; k++) exact += (counts[k]! / total) * input(k)[i]!;
    // What the new global weight would be: global + mean update, or the mean weights.
    const got = aggregateWeights ? mean[i]! : global[i]! + mean[i]!;
    const want = aggregateWeights ? exact : global[i]! + exact;
    const e = Math.abs(got - want);
    maxError = Math.max(maxError, e);
    squared += e * e;
    meanAbs += Math.abs(want);
  }
  const bound = (result.errorBound.value + (aggregateWeights ? 1 : 0.1) * result.errorBound.weight) / total;
  return { maxError, rmsError: Math.sqrt(squared / parameters), bound, meanAbs: meanAbs / parameters };
}

const cases: Case[] = [];
for (const nodes of [5, 50]) {
  for (const maxWeight of [100_000, 4_000]) {
    cases.push({ what: 'weights', clip: 64, maxWeight, nodes });
    for (const clip of [4, 1, 0.25]) cases.push({ what: 'update', clip, maxWeight, nodes });
  }
}
console.log(`${parameters} parameters; weights ~ N(0, ${WEIGHT_STD}), updates ~ N(0, ${UPDATE_STD}), counts 500-2000 per node`);
console.log('| nodes | maxWeight | aggregated | clip | max error | RMS error | bound (max) |');
console.log('|---|---|---|---|---|---|---|');
for (const c of cases) {
  const m = measure(c);
  console.log(`| ${c.nodes} | ${c.maxWeight} | ${c.what} | ${c.clip} | ${m.maxError.toExponential(1)} | ${m.rmsError.toExponential(1)} | ${m.bound.toExponential(1)} |`);
}
