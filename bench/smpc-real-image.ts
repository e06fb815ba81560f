/**
 * Encrypted inference on real PneumoniaMNIST test images (resized by the
 * model's preprocessing at the data owner) with a random-weight model of a
 * given architecture and size, three processes over mutual TLS with the
 * dealer's material made on demand: e.g. PriMIA's setting, ResNet-18 at 224 px,
 * 3 channels, 3 classes. Per image: the encrypted and the plaintext class,
 * online and on-demand seconds, the CPU seconds each process spent on the
 * image (/proc/PID/stat, Linux), online and dealer bytes, rounds; at the end
 * each process's peak memory (VmHWM).
 *
 *   node --import tsx bench/smpc-real-image.ts [resnet18 224 3 3 IMAGES]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plaintextModel } from '../src/cli/commands/smpc-inputs.js';
import { initBackend } from '../src/engine/backend.js';
import { preprocessImage } from '../src/data/preprocess/build.js';
import { openMedMnist } from '../src/data/resolve.js';
import { buildModel } from '../src/models/build.js';
import { saveModel } from '../src/models/io.js';
import type { ModelSpec } from '../src/models/spec.js';
import { DataOwnerSession } from '../src/secure-inference/data-owner.js';
import { roleTls, writeSmpcPki } from '../src/secure-inference/tls.js';
import { startCli, waitOrKill, type Child } from '../src/simulation/processes.js';
import { planSteps, stepBytes, totalWeights } from '../src/smpc/index.js';
import { initWeights } from '../src/training/init.js';

const [arch = 'resnet18', px = '224', channels = '3', classes = '3', images = '1'] = process.argv.slice(2);
const proc = (pid: number, file: string): string => readFileSync(`/proc/${pid}/${file}`, 'utf8');
/** User + system CPU seconds of a process. */
const cpu = (pid: number): number => {
  const f = proc(pid, 'stat').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const peakGb = (pid: number): number => Number(/VmHWM:\s+(\d+)/.exec(proc(pid, 'status'))![1]) / 2 ** 20;
const argmax = (p: number[]): number => p.indexOf(Math.max(...p));

const t0 = performance.now();
await initBackend('cpu');
const root = mkdtempSync(join(tmpdir(), 'privmed-smpc-real-'));
const children: Child[] = [];
const lines: string[] = [];
const started = async (c: Child): Promise<string> => {
  for (let k = 0; k < 12000; k++) {
    const l = lines.find((x) => x.startsWith(`${c.name} listening on `));
    if (l) return l.split(' ').pop()!;
    if (c.process.exitCode !== null) throw new Error(`${c.name} exited: ${lines.slice(-5).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${c.name} did not start: ${lines.slice(-5).join(' | ')}`);
};
try {
  const c = Number(channels);
  const spec: ModelSpec = { arch: arch as ModelSpec['arch'], inputShape: [Number(px), Number(px), c], numClasses: Number(classes), norm: 'batch' };
  const model = buildModel(spec);
  initWeights(model, 1);
  const dir = join(root, 'model');
  const names = Array.from({ length: spec.numClasses }, (_, i) => `class${i}`);
  await saveModel(dir, model, { spec, classes: names, normalisation: { mean: Array(c).fill(0.5), std: Array(c).fill(0.25) } });
  const plain = plaintextModel(model);
  const certs = join(root, 'certs');
  await writeSmpcPki(certs);
  const dealerChild = startCli('dealer', ['smpc', 'dealer', '--certs', certs, '--listen', '127.0.0.1:0', '--pool-mb', '0'], (l) => lines.push(l));
  children.push(dealerChild);
  const dealer = await started(dealerChild);
  const moChild = startCli('model owner', ['smpc', 'model-owner', '--model', dir, '--dealer', dealer, '--certs', certs, '--listen', '127.0.0.1:0', '--lookahead', '0'], (l) => lines.push(l));
  children.push(moChild);
  const session = await DataOwnerSession.connect({ modelOwner: await started(moChild), dealer, tls: roleTls(certs, 'data-owner'), lookahead: 0 });
  const steps = planSteps(session.plan);
  const pids = { dataOwner: process.pid, modelOwner: moChild.process.pid!, dealer: dealerChild.process.pid! };
  console.log(
    JSON.stringify({
      arch, px: Number(px), channels: c, classes: spec.numClasses,
      setupSeconds: (performance.now() - t0) / 1000,
      dealerBytesDataOwner: steps.reduce((a, s) => a + stepBytes(s, 0), 0),
      dealerBytesModelOwner: steps.reduce((a, s) => a + stepBytes(s, 1), 0),
      maskedWeightBytes: totalWeights(session.plan) * 8,
      ringKernels: lines.filter((l) => /ring kernel/.test(l)),
    }),
  );
  const test = (await openMedMnist('pneumoniamnist')).splits.test;
  for (let i = 0; i < Number(images); i++) {
    const raw = await test.get(i);
    const x = preprocessImage({ data: raw.image, rows: test.info.height, cols: test.info.width, frames: 1, channels: test.info.channels, meta: {} as never }, session.preprocessing);
    const p = plain(x);
    const before = Object.values(pids).map(cpu);
    const r = await session.infer(x, 1);
    const used = Object.values(pids).map((pid, k) => cpu(pid) - before[k]!);
    console.log(
      JSON.stringify({
        image: i, label: raw.label, encryptedClass: r.classIndex, plaintextClass: argmax(p), plaintextProbabilities: p,
        onlineSeconds: r.onlineSeconds, secondsWithMaterialOnDemand: r.totalSeconds, onlineBytes: r.onlineBytes, rounds: r.rounds,
        cpuSeconds: { dataOwner: used[0], modelOwner: used[1], dealer: used[2] }, load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
      }),
    );
  }
  console.log(JSON.stringify({ peakMemoryGb: { dataOwner: peakGb(pids.dataOwner), modelOwner: peakGb(pids.modelOwner), dealer: peakGb(pids.dealer) } }));
  session.close();
} finally {
  for (const child of children) {
    child.process.kill('SIGTERM');
    await waitOrKill(child, 5000);
  }
  rmSync(root, { recursive: true, force: true });
}
