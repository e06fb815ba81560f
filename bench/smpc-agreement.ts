/**
 * Encrypted vs plaintext predictions on a MedMNIST test split, through the
 * real three processes (dealer and model owner as CLI children over mutual
 * TLS, the data owner here):
 *
 *   node --import tsx bench/smpc-agreement.ts MODEL_DIR [DATASET] [N]
 *
 * Prints one JSON line: images, agreeing classes, the largest |probability
 * difference| (the model owner reveals the logits for this check), online
 * seconds and bytes per image, dealer bytes per image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluationData } from '../src/cli/commands/predict.js';
import { initBackend } from '../src/engine/backend.js';
import { loadModel } from '../src/models/io.js';
import { DataOwnerSession } from '../src/secure-inference/data-owner.js';
import { roleTls, writeSmpcPki } from '../src/secure-inference/tls.js';
import { startCli, waitOrKill, type Child } from '../src/simulation/processes.js';
import { predict } from '../src/training/evaluate.js';

const [dir, dataset = 'pneumoniamnist', nArg] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node --import tsx bench/smpc-agreement.ts MODEL_DIR [DATASET] [N]\n');
  process.exit(2);
}
await initBackend('wasm');
const { model, meta } = await loadModel(dir);
const ds = await evaluationData(dataset, 'test', dir, meta);
const plain = await predict(model, ds);
const k = meta.classes.length;
const probsOf = new Map<number, Float32Array>();
plain.indices.forEach((idx, n) => probsOf.set(idx, plain.probs.subarray(n * k, n * k + k)));
const n = Math.min(ds.length, nArg ? Number(nArg) : ds.length);

const root = mkdtempSync(join(tmpdir(), 'privmed-smpc-agree-'));
const children: Child[] = [];
const wait = async (c: Child, lines: string[]): Promise<string> => {
  for (;;) {
    const m = lines.map((l) => /listening on (\S+)/.exec(l)).find(Boolean);
    if (m) return m[1]!;
    if (c.process.exitCode !== null) throw new Error(`${c.name}: ${lines.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
try {
  await writeSmpcPki(root);
  const dl: string[] = [];
  const ml: string[] = [];
  const d = startCli('dealer', ['smpc', 'dealer', '--certs', root, '--listen', '127.0.0.1:0'], (l) => dl.push(l));
  children.push(d);
  const dealer = await wait(d, dl);
  const m = startCli('model owner', ['smpc', 'model-owner', '--model', dir, '--dealer', dealer, '--certs', root, '--listen', '127.0.0.1:0', '--reveal-probabilities'], (l) => {
    ml.push(l);
    process.stderr.write(l + '\n');
  });
  children.push(m);
  const mo = await wait(m, ml);
  const t0 = performance.now();
  const session = await DataOwnerSession.connect({ modelOwner: mo, dealer, tls: roleTls(root, 'data-owner') });
  const setupSeconds = (performance.now() - t0) / 1000;
  let agree = 0;
  let maxProbDiff = 0;
  let online = 0;
  let bytes = 0;
  let dealerBytes = 0;
  const disagreements: number[] = [];
  for (let i = 0; i < n; i++) {
    const sample = await ds.get(i);
    const r = await session.infer(sample.image, n - i);
    const p = probsOf.get(i)!;
    let best = 0;
    for (let c = 1; c < k; c++) if (p[c]! > p[best]!) best = c;
    if (r.classIndex === best) agree++;
    else disagreements.push(i);
    for (let c = 0; c < k; c++) maxProbDiff = Math.max(maxProbDiff, Math.abs(r.probabilities![c]! - p[c]!));
    online += r.onlineSeconds;
    bytes += r.onlineBytes;
    dealerBytes += r.dealerBytes;
    if ((i + 1) % 25 === 0 || i + 1 === n) process.stderr.write(`agreement: ${agree}/${i + 1}, max |dp| ${maxProbDiff.toExponential(2)}, online ${(online / (i + 1)).toFixed(3)} s/image\n`);
  }
  session.close();
  console.log(JSON.stringify({ model: dir, arch: meta.spec.arch, inputShape: meta.spec.inputShape, images: n, agree, disagreements, maxProbDiff, setupSeconds, onlineSecondsPerImage: online / n, onlineBytesPerImage: bytes / n, dataOwnerDealerBytesPerImage: dealerBytes / n }));
} finally {
  for (const c of children) {
    c.process.kill('SIGTERM');
    await waitOrKill(c, 5000);
  }
  rmSync(root, { recursive: true, force: true });
  model.dispose();
}
