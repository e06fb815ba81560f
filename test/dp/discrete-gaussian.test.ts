// The exact discrete Gaussian behind the grid mechanism, on both paths: the native sampler
// (native/noise.c, ChaCha20 keyed by node:crypto) and the JavaScript one (wasm engine). Its
// keystream against node:crypto's chacha20 (RFC 8439), the two samplers value for value on one
// key, and each path's distribution: chi-square against the exact pmf, moments, tails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, nativeKernels, useEngine, type NativeAddon } from '../../src/engine/native-addon.js';
import { discreteGaussianNoise, NOISE_CHUNK, PendingNoise } from '../../src/dp/mechanisms/discrete-gaussian.js';
import { DiscreteGaussianPow2 } from '../../src/dp/mechanisms/discrete-samplers.js';
import { SecureBits } from '../../src/dp/mechanisms/secure-bits.js';
import { assertChiSquare, assertFrequency, assertMeanNear, moments } from './stats-helpers.js';

await initBackend('wasm');
const hasNative = engineChoice()?.best !== undefined;
if (!hasNative) process.stderr.write(`*** native add-on not loaded (${engineChoice()?.reason ?? 'unknown'}): the native noise sampler is not tested ***\n`);

function withNative<T>(fn: (addon: NativeAddon) => T): T {
  useEngine('native');
  try {
    const addon = nativeKernels();
    assert.ok(addon !== null && typeof addon.discreteGaussian === 'function', 'the add-on has the noise sampler');
    return fn(addon);
  } finally {
    useEngine(null);
  }
}

/** node:crypto's ChaCha20 keystream of one chunk as 32-bit little-endian words: iv = counter 0 || nonce (chunk, 0, 0). */
function chachaWords(key: Uint8Array, chunk: number): () => number {
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(chunk, 4);
  const cipher = createCipheriv('chacha20', key, iv);
  const zeros = Buffer.alloc(4096);
  let words = new Uint32Array(0);
  let next = 0;
  return () => {
    if (next === words.length) {
      const block = cipher.update(zeros);
      words = new Uint32Array(block.buffer, block.byteOffset, block.length / 4);
      next = 0;
    }
    return words[next++]!;
  };
}

/** SecureBits reading a keystream instead of the operating system's CSPRNG. */
class StreamBits extends SecureBits {
  constructor(private readonly stream: () => number) {
    super();
  }
  override u32(): number {
    return this.stream();
  }
}

/** The JavaScript sampler reading the native sampler's streams: chunk c from ChaCha20 with nonce c. */
function jsOnChacha(key: Uint8Array, count: number, m: number): Float64Array {
  const out = new Float64Array(count);
  for (let c = 0; c * NOISE_CHUNK < count; c++) {
    const g = new DiscreteGaussianPow2(new StreamBits(chachaWords(key, c)), m);
    for (let i = c * NOISE_CHUNK; i < Math.min(count, (c + 1) * NOISE_CHUNK); i++) out[i] = g.sample();
  }
  return out;
}

const paths: [string, (count: number, m: number) => Float64Array][] = [['js', (count, m) => discreteGaussianNoise(count, m, 'js')]];
if (hasNative) {
  paths.push(['native', (count, m) => withNative(() => discreteGaussianNoise(count, m))]);
  paths.push(['native background', (count, m) => withNative(() => new PendingNoise(count, m)).take()]);
}

test('the native keystream is RFC 8439 ChaCha20 (node:crypto) for chunks 0 and 7', { skip: !hasNative && 'native add-on not loaded' }, () => {
  const key = randomBytes(32);
  for (const chunk of [0, 7]) {
    const got = new Uint32Array(300);
    withNative((addon) => addon.chachaWords(key, chunk, got));
    const next = chachaWords(key, chunk);
    got.forEach((w, i) => assert.equal(w, next(), `chunk ${chunk} word ${i}`));
  }
});

test('the native and the JavaScript sampler give the same values for one key', { skip: !hasNative && 'native add-on not loaded' }, () => {
  for (const m of [0, 3, 20, 26]) {
    const key = randomBytes(32);
    const count = 2 * NOISE_CHUNK + 333;
    const native = new Float64Array(count);
    assert.equal(withNative((addon) => addon.discreteGaussian(key, m, native)), 0);
    const js = jsOnChacha(key, count, m);
    for (let i = 0; i < count; i++) assert.equal(native[i], js[i], `m=${m}: value ${i}`);
  }
});

test('a background draw gives the values of the same key drawn at once, and is collected once', { skip: !hasNative && 'native add-on not loaded' }, () => {
  withNative((addon) => {
    for (const count of [0, 5, 3 * NOISE_CHUNK + 1]) {
      const key = randomBytes(32);
      const now = new Float64Array(count);
      assert.equal(addon.discreteGaussian(key, 20, now), 0);
      const handle = addon.noiseStart(key, 20, count);
      const later = new Float64Array(count);
      assert.equal(addon.noiseWait(handle, later), 0);
      assert.deepEqual(later, now, `count ${count}`);
      assert.equal(addon.noiseWait(handle, later), -1, 'a second collection is refused');
    }
    assert.equal(addon.noiseWait(addon.noiseStart(randomBytes(32), 3, 10), new Float64Array(9)), -1, 'wrong length');
    assert.throws(() => addon.noiseStart(randomBytes(32), 27, 10), /bad scale/);
    assert.throws(() => addon.noiseStart(randomBytes(16), 3, 10), /32 bytes/);
    // Collected after the idle-priority thread had time to draw part of it (the rest is drawn at collection), and twice started on one key.
    const key = randomBytes(32), count = 40 * NOISE_CHUNK + 7;
    const now = new Float64Array(count);
    assert.equal(addon.discreteGaussian(key, 20, now), 0);
    for (const sleepMs of [3, 40]) {
      const handle = addon.noiseStart(key, 20, count);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, sleepMs);
      const later = new Float64Array(count);
      assert.equal(addon.noiseWait(handle, later), 0);
      assert.ok(later.every((v, i) => v === now[i]), `after ${sleepMs} ms: the values of the draw at once`);
    }
    // Started and never collected: the handle's finalizer stops the thread and frees it.
    for (let i = 0; i < 4; i++) addon.noiseStart(randomBytes(32), 20, 50_000);
  });
});

function pmf(sigma: number, support: number[]): (x: number) => number {
  const z = support.reduce((s, x) => s + Math.exp(-(x * x) / (2 * sigma * sigma)), 0);
  return (x) => Math.exp(-(x * x) / (2 * sigma * sigma)) / z;
}

for (const [name, draw] of paths) {
  test(`${name}: sigma 1 and 8 match the exact probability mass function (chi-square)`, () => {
    for (const m of [0, 3]) {
      const sigma = 2 ** m;
      const n = 80_000;
      const values = draw(n, m);
      const counts = new Map<number, number>();
      for (const y of values) counts.set(y, (counts.get(y) ?? 0) + 1);
      const half = 12 * sigma;
      const support = Array.from({ length: 2 * half + 1 }, (_, i) => i - half);
      assertChiSquare(counts, pmf(sigma, support), support, n, `${name} discrete Gaussian sigma ${sigma}`);
    }
  });

  test(`${name}: large scales have mean 0, variance sigma^2, kurtosis 3 and Gaussian tails`, () => {
    for (const m of [20, 26]) {
      const n = 100_000;
      const values = draw(n, m).map((y) => y / 2 ** m);
      assert.ok(values.every((y) => Number.isInteger(y * 2 ** m)), 'integers');
      const { mean, variance, kurtosis } = moments(values);
      assertMeanNear(mean, 0, 1, n, `${name} mean (m=${m})`);
      assertMeanNear(variance, 1, Math.sqrt(2), n, `${name} variance (m=${m})`);
      assert.ok(Math.abs(kurtosis - 3) < 0.12, `${name} kurtosis ${kurtosis} (m=${m})`);
      // P(|Y| >= 2 sigma) = 0.0455, P(|Y| >= 3 sigma) = 0.0027 (the discrete tail equals the continuous one at this scale).
      assertFrequency(values.filter((y) => Math.abs(y) >= 2).length, n, 0.0455003, `${name} P(|Y| >= 2 sigma) (m=${m})`);
      assertFrequency(values.filter((y) => Math.abs(y) >= 3).length, n, 0.0026998, `${name} P(|Y| >= 3 sigma) (m=${m})`);
    }
  });

  test(`${name}: two draws differ (no seed), and a bad scale is refused`, () => {
    assert.notDeepEqual(draw(16, 20), draw(16, 20));
    assert.throws(() => draw(4, 27), /integer m in \[0, 26\]/);
  });
}
