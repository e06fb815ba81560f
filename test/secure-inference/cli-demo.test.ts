import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/build.js';
import { saveModel } from '../../src/models/io.js';
import { randomiseWeights } from './helpers.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

function cli(args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

test('smpc demo (dealer, model owner, data owner as three processes over mutual TLS) gives the classes predict gives', async () => {
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'privmed-smpc-demo-'));
  try {
    const spec = { arch: 'small-cnn', inputShape: [16, 16, 1], numClasses: 2, norm: 'batch' } as const;
    const model = buildModel({ ...spec, inputShape: [16, 16, 1] });
    randomiseWeights(model, 21);
    await saveModel(join(dir, 'model'), model, { spec: { ...spec, inputShape: [16, 16, 1] }, classes: ['normal', 'pneumonia'], normalisation: { mean: [0.45], std: [0.25] } });
    model.dispose();
    const files: string[] = [];
    for (let k = 0; k < 4; k++) {
      const pixels = Uint8Array.from({ length: 256 }, (_, i) => (i * (31 + 14 * k) + 90 * k) % 256);
      const png = join(dir, `x${k}.png`);
      await sharp(Buffer.from(pixels), { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(png);
      files.push(png);
    }
    const plain = await cli(['predict', '--model', join(dir, 'model'), '--json', ...files], 120_000);
    assert.equal(plain.status, 0, plain.stderr);
    const secure = await cli(['smpc', 'demo', '--model', join(dir, 'model'), '--json', '--reveal-probabilities', '--compare', ...files], 300_000);
    assert.equal(secure.status, 0, secure.stderr);
    const p = plain.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; class: string; probability: number });
    type Line = { file: string; class: string; probability: number; plaintext: { class: string }; online: { bytes: number; rounds: number } };
    const lines = secure.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line & { images?: number; agreement?: number; maxProbabilityDifference?: number });
    // One line per file, then --compare's summary.
    assert.equal(lines.length, files.length + 1, secure.stderr);
    const summary = lines.pop()!;
    assert.equal(summary.images, files.length);
    assert.equal(summary.agreement, 1);
    assert.ok(summary.maxProbabilityDifference! < 0.01);
    const s: Line[] = lines;
    for (let i = 0; i < files.length; i++) assert.equal(s[i]!.plaintext.class, p[i]!.class, 'demo --compare computes the class predict computes');
    for (let i = 0; i < files.length; i++) {
      assert.equal(s[i]!.file, p[i]!.file);
      assert.equal(s[i]!.class, p[i]!.class, `${files[i]}: encrypted ${s[i]!.class}, plaintext ${p[i]!.class}`);
      assert.ok(Math.abs(s[i]!.probability - p[i]!.probability) < 0.01, `${files[i]}: probability ${s[i]!.probability} vs ${p[i]!.probability}`);
      assert.ok(s[i]!.online.bytes > 0 && s[i]!.online.rounds > 0);
    }
    assert.match(secure.stderr, /smpc: 4\/4 images/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
