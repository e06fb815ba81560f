/**
 * Encrypted against plaintext predictions on a whole labelled split, with
 * both parties and the dealer's material in one process (the protocol code of
 * the three processes over an in-memory link, so that a CPU-starved machine
 * gets through 624 images): one JSON line per image, then a summary.
 *
 *   node --import tsx bench/smpc-agreement.ts --model DIR [--data pneumoniamnist] [--split test] [--from I] [--limit N] [--out FILE.jsonl]
 *
 * The three-process path is `privmed smpc demo --model DIR --data NAME --compare`.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dataOwnerDataset, plaintextModel } from '../src/cli/commands/smpc-inputs.js';
import { initBackend } from '../src/engine/backend.js';
import { loadModel } from '../src/models/io.js';
import { prepareCompiled } from '../src/secure-inference/prepare.js';
import { CountingLink, dealImage, decodeFixed, deltaWeights, encodeFixed, maskWeights, memoryLinkPair, newSessionSeed, planSteps, precompute, runImage, weightMask } from '../src/smpc/index.js';

const { values: a } = parseArgs({ options: { model: { type: 'string' }, data: { type: 'string', default: 'pneumoniamnist' }, split: { type: 'string', default: 'test' }, limit: { type: 'string' }, from: { type: 'string', default: '0' }, out: { type: 'string' } } });
if (!a.model) throw new Error('--model DIR is required');
// PRIVMED_SMPC_BACKEND=cpu where the wasm files are not at hand (a bundled copy on another machine).
await initBackend(process.env.PRIVMED_SMPC_BACKEND === 'cpu' ? 'cpu' : 'wasm');
const { model, meta } = await loadModel(a.model);
const prepared = prepareCompiled(model, meta, a.model, { revealLogits: true });
const { plan, weights } = prepared;
const plain = plaintextModel(model);
const ds = await dataOwnerDataset(a.data!, a.split!, prepared.preprocessing, prepared.classes);
const from = Number(a.from);
const end = Math.min(ds.length, a.limit ? from + Number(a.limit) : ds.length);
const n = end - from;
const mask = weightMask(plan, newSessionSeed());
const deltas = deltaWeights(plan, maskWeights(plan, weights, mask));
const steps = planSteps(plan);
const [l0, l1] = memoryLinkPair();
const link0 = new CountingLink(l0);
const link1 = new CountingLink(l1);
if (a.out) writeFileSync(a.out, '');
const emit = (o: object): void => {
  const line = JSON.stringify(o);
  console.log(line);
  if (a.out) appendFileSync(a.out, line + '\n');
};
let agree = 0;
let correct = 0;
let maxDiff = 0;
let maxLogitDiff = 0;
const t0 = performance.now();
for (let i = from; i < end; i++) {
  const sample = await ds.get(i);
  const input = encodeFixed(sample.image, plan.input.fractionBits, plan.input.limit, `${ds.describe?.(i)} pixel`);
  const material = dealImage(plan, steps, mask);
  const ctx0 = { party: 0 as const, plan, link: link0, weights: deltas };
  const ctx1 = { party: 1 as const, plan, link: link1, weights };
  precompute(ctx0, material[0]);
  const [r0] = await Promise.all([runImage(ctx0, material[0], input), runImage(ctx1, material[1])]);
  const logits = Array.from(decodeFixed(r0.logits!, plan.tensors[plan.logits]!.scale));
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const secureP = e.map((v) => v / e.reduce((s, x) => s + x, 0));
  const plainP = plain(sample.image);
  const plainClass = plainP.indexOf(Math.max(...plainP));
  const plainLogits = plainP.map((p) => Math.log(p));
  const diff = Math.max(...secureP.map((p, k) => Math.abs(p - plainP[k]!)));
  // Logit differences up to a common shift (softmax drops it).
  const shift = logits[0]! - plainLogits[0]!;
  const logitDiff = Math.max(...logits.map((l, k) => Math.abs(l - plainLogits[k]! - shift)));
  if (plainClass === r0.classIndex) agree++;
  if (r0.classIndex === sample.label) correct++;
  maxDiff = Math.max(maxDiff, diff);
  if (Number.isFinite(logitDiff)) maxLogitDiff = Math.max(maxLogitDiff, logitDiff);
  emit({ item: ds.describe?.(i) ?? i, label: sample.label, secure: r0.classIndex, plaintext: plainClass, secureProbability: secureP[r0.classIndex!], plaintextProbability: plainP[plainClass], maxProbabilityDifference: diff });
}
emit({ model: a.model, data: a.data, split: a.split, images: n, agreeWithPlaintext: agree, agreement: agree / n, secureAccuracy: correct / n, maxProbabilityDifference: maxDiff, maxLogitDifference: maxLogitDiff, onlineBytesPerImage: (link0.sentBytes + link1.sentBytes) / n, rounds: link0.rounds / n, seconds: (performance.now() - t0) / 1000 });
model.dispose();
