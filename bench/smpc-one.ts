/**
 * One configuration of encrypted inference end to end with random weights,
 * three processes on loopback (e.g. PriMIA's setting, ResNet-18 at 224 px, 3
 * channels, 3 classes):
 *
 *   node --import tsx bench/smpc-one.ts resnet18 224 3 3 [IMAGES]
 *
 * Prints one JSON line: online seconds, seconds with the material made on
 * demand, online bytes, dealer bytes (both parties), rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/engine/backend.js';
import { buildModel } from '../src/models/build.js';
import { saveModel } from '../src/models/io.js';
import type { ModelSpec } from '../src/models/spec.js';
import { writeSmpcPki } from '../src/secure-inference/tls.js';
import { initWeights } from '../src/training/init.js';
import { measureSmpc } from './smpc.js';

const [arch = 'resnet18', px = '224', channels = '3', classes = '3', images = '1'] = process.argv.slice(2);
await initBackend('cpu');
const root = mkdtempSync(join(tmpdir(), 'privmed-smpc-one-'));
try {
  const spec: ModelSpec = { arch: arch as ModelSpec['arch'], inputShape: [Number(px), Number(px), Number(channels)], numClasses: Number(classes), norm: 'batch' };
  const model = buildModel(spec);
  initWeights(model, 1);
  const dir = join(root, 'model');
  await saveModel(dir, model, { spec, classes: Array.from({ length: spec.numClasses }, (_, i) => `class${i}`), normalisation: { mean: Array(spec.inputShape[2]).fill(0.5), std: Array(spec.inputShape[2]).fill(0.25) } });
  model.dispose();
  await writeSmpcPki(join(root, 'certs'));
  const t = performance.now();
  const r = await measureSmpc(dir, join(root, 'certs'), `${arch} ${px}px`, Number(images), true);
  console.log(JSON.stringify({ arch, px: Number(px), channels: Number(channels), classes: Number(classes), images: Number(images), onlineSeconds: r.online, secondsWithMaterialOnDemand: r.total, onlineBytes: r.bytes, dealerBytesBothParties: r.dealer, rounds: r.rounds, wallSecondsInclSetup: (performance.now() - t) / 1000 }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
