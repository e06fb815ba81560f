/**
 * Encrypted inference with three processes on loopback (dealer and model
 * owner as CLI children, the data owner here): per image latency online
 * (dealer material fetched ahead) and with the material made on demand
 * (dealer pool empty, nothing fetched ahead), online bytes DO<->MO, dealer
 * bytes (both parties), rounds. Models have random weights (the costs do not
 * depend on them). Baselines: CrypTen 0.4 with a trusted first party,
 * measured on this machine kind (../shared/research/smpc.md): latency and
 * bytes per image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/engine/backend.js';
import { buildModel } from '../src/models/build.js';
import { saveModel } from '../src/models/io.js';
import type { ModelSpec } from '../src/models/spec.js';
import { DataOwnerSession } from '../src/secure-inference/data-owner.js';
import { roleTls, writeSmpcPki } from '../src/secure-inference/tls.js';
import { planSteps, stepBytes, totalWeights } from '../src/smpc/index.js';
import { startCli, waitOrKill, type Child } from '../src/simulation/processes.js';
import { initWeights } from '../src/training/init.js';
import type { Report } from './harness.js';

const CRYPTEN: Record<string, { seconds: number; mb: number }> = {
  'small-cnn 28px': { seconds: 0.92, mb: 80 },
  'small-cnn 64px': { seconds: 2.43, mb: 420 },
  'resnet18 28px': { seconds: 1.86, mb: 240 },
};

async function listening(child: Child, lines: string[]): Promise<string> {
  for (let i = 0; i < 6000; i++) {
    const m = lines.map((l) => /listening on (\S+)/.exec(l)).find(Boolean);
    if (m) return m[1]!;
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited: ${lines.slice(-5).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${child.name} did not start: ${lines.slice(-5).join(' | ')}`);
}

export async function measureSmpc(dir: string, certs: string, label: string, images: number, onDemand: boolean): Promise<{ online: number[]; total: number[]; bytes: number; rounds: number; dealer: number; delta: number }> {
  const children: Child[] = [];
  const lines: string[][] = [[], []];
  try {
    // Ahead: both parties ask for every image's material at the first image (the dealer makes it then, on
    // this 2-core machine, instead of competing with a later image's online phase); on demand: nothing ahead.
    const dealerChild = startCli('dealer', ['smpc', 'dealer', '--certs', certs, '--listen', '127.0.0.1:0', '--pool-mb', onDemand ? '0' : '1'], (l) => lines[0]!.push(l));
    children.push(dealerChild);
    const dealer = await listening(dealerChild, lines[0]!);
    const moChild = startCli('model owner', ['smpc', 'model-owner', '--model', dir, '--dealer', dealer, '--certs', certs, '--listen', '127.0.0.1:0', '--lookahead', onDemand ? '0' : String(images)], (l) => lines[1]!.push(l));
    children.push(moChild);
    const mo = await listening(moChild, lines[1]!);
    const session = await DataOwnerSession.connect({ modelOwner: mo, dealer, tls: roleTls(certs, 'data-owner'), lookahead: onDemand ? 0 : images });
    const size = session.plan.tensors[session.plan.input.name]!.size;
    const steps = planSteps(session.plan);
    const dealerBytes = steps.reduce((a, s) => a + stepBytes(s, 0) + stepBytes(s, 1), 0);
    const online: number[] = [];
    const total: number[] = [];
    let bytes = 0;
    let rounds = 0;
    for (let i = 0; i < images; i++) {
      if (!onDemand && i > 0) {
        // The dealer's idle time: every remaining image's material reaches both parties before this online phase.
        for (let k = 0; k < 6000 && session.readyImages < images - i; k++) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 300));
      }
      const x = Float32Array.from({ length: size }, () => (Math.random() - 0.5) * 2);
      const r = await session.infer(x, onDemand ? 1 : images - i);
      online.push(r.onlineSeconds);
      total.push(r.totalSeconds);
      bytes = r.onlineBytes;
      rounds = r.rounds;
      process.stderr.write(`smpc bench ${label}${onDemand ? ' (on demand)' : ''}: image ${i + 1}/${images} online ${r.onlineSeconds.toFixed(3)} s, total ${r.totalSeconds.toFixed(3)} s\n`);
    }
    session.close();
    return { online, total, bytes, rounds, dealer: dealerBytes, delta: totalWeights(session.plan) * 8 };
  } finally {
    for (const c of children) {
      c.process.kill('SIGTERM');
      await waitOrKill(c, 5000);
    }
  }
}

const median = (v: number[]): number => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

export async function benchSmpc(report: Report, opts: { quick?: boolean } = {}): Promise<void> {
  await initBackend('cpu');
  const root = mkdtempSync(join(tmpdir(), 'privmed-bench-smpc-'));
  try {
    const certs = join(root, 'certs');
    await writeSmpcPki(certs);
    const configs: [ModelSpec['arch'], number][] = opts.quick ? [['small-cnn', 28]] : [['small-cnn', 28], ['small-cnn', 64], ['resnet18', 28]];
    for (const [arch, px] of configs) {
      const label = `${arch} ${px}px`;
      const spec: ModelSpec = { arch, inputShape: [px, px, 1], numClasses: 2, norm: 'batch' };
      const model = buildModel(spec);
      initWeights(model, 1);
      const dir = join(root, `${arch}-${px}`);
      await saveModel(dir, model, { spec, classes: ['normal', 'pneumonia'], normalisation: { mean: [0.5], std: [0.25] } });
      model.dispose();
      // Few images: the first warms the JIT, the rest give the median (bytes and rounds are the same for every image).
      const n = opts.quick ? 3 : 4;
      const ahead = await measureSmpc(dir, certs, label, n, false);
      const onDemand = await measureSmpc(dir, certs, label, 2, true);
      const anchor = CRYPTEN[label]!;
      // The first image also warms the JIT: the median is over the rest.
      report({ metric: `${label} online latency`, value: median(ahead.online.slice(1)), unit: 's', baseline: anchor.seconds, baselineLabel: 'CrypTen 0.4 TFP' });
      report({ metric: `${label} latency with dealer material on demand`, value: median(onDemand.total.slice(1)), unit: 's', baseline: anchor.seconds, baselineLabel: 'CrypTen 0.4 TFP' });
      report({ metric: `${label} online bytes DO<->MO`, value: ahead.bytes / 1e6, unit: 'MB', baseline: anchor.mb, baselineLabel: 'CrypTen 0.4 TFP' });
      report({ metric: `${label} dealer bytes`, value: ahead.dealer / 1e6, unit: 'MB', baseline: anchor.mb, baselineLabel: 'CrypTen 0.4 TFP' });
      report({ metric: `${label} total bytes incl. dealer`, value: (ahead.bytes + ahead.dealer) / 1e6, unit: 'MB', baseline: anchor.mb, baselineLabel: 'CrypTen 0.4 TFP' });
      report({ metric: `${label} rounds`, value: ahead.rounds, unit: 'rounds' });
      report({ metric: `${label} masked weights once per session`, value: ahead.delta / 1e6, unit: 'MB' });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
