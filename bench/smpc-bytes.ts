/**
 * Byte and round counts of encrypted inference without the three processes
 * (exact and the same under any load): the bench's random-weight models,
 * compiled and calibrated as the model owner does; dealer bytes from the
 * wire layout of every step, online bytes and rounds from images run with
 * both parties in one process.
 *
 *   node --import tsx bench/smpc-bytes.ts [small-cnn:28,small-cnn:64,resnet18:28] [--online]
 */
import { initBackend } from '../src/engine/backend.js';
import { buildModel } from '../src/models/build.js';
import type { ModelSpec } from '../src/models/spec.js';
import { prepareCompiled } from '../src/secure-inference/prepare.js';
import { encodeFixed, FRACTION_BITS, gateCompareBits, planSteps, runInProcess, stepBytes } from '../src/smpc/index.js';
import { initWeights } from '../src/training/init.js';

const args = process.argv.slice(2);
const online = args.includes('--online');
const list = args.find((a) => !a.startsWith('--')) ?? 'small-cnn:28,small-cnn:64,resnet18:28';
await initBackend('cpu');
for (const item of list.split(',')) {
  const [arch, px] = item.split(':') as [ModelSpec['arch'], string];
  const spec: ModelSpec = { arch, inputShape: [Number(px), Number(px), 1], numClasses: 2, norm: 'batch' };
  const model = buildModel(spec);
  initWeights(model, 1);
  const { plan, weights } = prepareCompiled(model, { privmedVersion: 'bench', spec, classes: ['normal', 'pneumonia'], normalisation: { mean: [0.5], std: [0.25] } }, 'bench');
  model.dispose();
  let dealer = 0;
  let gates = 0;
  const bits = new Map<number, number>();
  for (const s of planSteps(plan)) {
    dealer += stepBytes(s, 0) + stepBytes(s, 1);
    if (s.type !== 'gate') continue;
    gates += s.spec.count;
    const k = gateCompareBits(s.spec);
    bits.set(k, (bits.get(k) ?? 0) + s.spec.count);
  }
  const row: Record<string, unknown> = { model: `${arch} ${px}px`, dealerMB: dealer / 1e6, gates, comparedBits: Object.fromEntries(bits) };
  if (online) {
    const size = plan.tensors[plan.input.name]!.size;
    const x = encodeFixed(Float32Array.from({ length: size }, () => (Math.random() - 0.5) * 2), FRACTION_BITS, plan.input.limit, 'pixel');
    const { stats } = await runInProcess(plan, weights, [x]);
    Object.assign(row, { onlineMB: stats.onlineBytes / 1e6, rounds: stats.rounds, totalMB: (dealer + stats.onlineBytes) / 1e6 });
  }
  console.log(JSON.stringify(row));
}
