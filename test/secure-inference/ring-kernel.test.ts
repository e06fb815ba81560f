// The native ring convolution (native/ring.c) against the WebAssembly kernel, bit for bit, on
// every instruction set this CPU runs (AVX-512 VPMULLQ, AVX2 split products, portable C), on
// random shapes and on values at the wraparound edges. Skipped, with a note, when the native
// engine is not in use (add-on not built, PRIVMED_ENGINE=wasm); a loaded add-on without
// ringConv fails (a stale build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { chooseEngine, nativeKernels, useNativeIsa, type NativeIsa } from '../../src/engine/native-addon.js';
import { useNativeRingKernel } from '../../src/secure-inference/ring-kernel.js';
import { convGeometry, convRing, convRingBigInt, convRingWasm, setRingConvKernel, type ConvGeometry } from '../../src/smpc/linear.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const choice = chooseEngine(2);
const addon = nativeKernels();
const ORDER: NativeIsa[] = ['scalar', 'avx2', 'avx512'];
const ISAS = addon && choice.best ? ORDER.slice(0, ORDER.indexOf(choice.best) + 1) : [];
const skip = ISAS.length === 0 ? `native engine not in use (${choice.reason ?? 'unknown'}): ring kernel tests skipped` : false;
if (skip) process.stderr.write(`*** ${skip} ***\n`);

const EDGES = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 2n ** 32n];
/** Ring elements: uniform, or the wraparound edges (products and sums that overflow 2^64 and 2^32 halves). */
const ringValue = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(...EDGES));

interface Case {
  g: ConvGeometry;
  x: BigUint64Array;
  w: BigUint64Array;
}

/** Shapes around the kernel's edges: 1 to 70 output channels (tiles of 8 and 32), widths not a multiple of 4, strides, both paddings. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    h: fc.integer({ min: 1, max: 9 }),
    w: fc.integer({ min: 1, max: 9 }),
    ci: fc.integer({ min: 1, max: 24 }),
    co: fc.integer({ min: 1, max: 70 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }),
    same: fc.boolean(),
    seed: fc.integer(),
  })
  .filter((r) => r.same || (r.h >= r.kh && r.w >= r.kw))
  .chain((r) => {
    const g = convGeometry([r.h, r.w, r.ci], r.co, [r.kh, r.kw], r.stride, r.same ? 'same' : 'valid');
    const nx = r.h * r.w * r.ci;
    const nw = r.kh * r.kw * r.ci * r.co;
    return fc.tuple(fc.array(ringValue, { minLength: nx, maxLength: nx }), fc.array(ringValue, { minLength: nw, maxLength: nw })).map(([x, w]) => ({
      g,
      x: BigUint64Array.from(x),
      w: BigUint64Array.from(w),
    }));
  });

function native(c: Case): BigUint64Array {
  const { g } = c;
  const y = new BigUint64Array(g.outH * g.outW * g.outC).fill(0xdeadbeefn); // every element must be written
  const r = addon!.ringConv!(c.x, c.w, y, g.inH, g.inW, g.inC, g.kh, g.kw, g.outC, g.outH, g.outW, g.stride, g.stride, g.padTop, g.padLeft);
  assert.equal(r, 0);
  return y;
}

test('native ring convolution equals the WebAssembly kernel bit for bit on every instruction set', { skip }, () => {
  assert.ok(addon!.ringConv && addon!.ringIsa, 'the native add-on has no ringConv: rebuild it (node scripts/build-native.mjs --force)');
  try {
    for (const isa of ISAS) {
      assert.equal(useNativeIsa(isa), isa);
      const ring = addon!.ringIsa!();
      // avx512 runs VPMULLQ only with AVX-512DQ, else the AVX2 tiles.
      assert.ok(ring === isa || (isa === 'avx512' && ring === 'avx2'), `ring kernel ${ring} under ${isa}`);
      fc.assert(
        fc.property(caseArb, (c) => {
          assert.deepEqual(native(c), convRingWasm(c.x, c.w, c.g), `${isa} ${JSON.stringify(c.g)}`);
        }),
        { numRuns: 60 },
      );
    }
  } finally {
    useNativeIsa(choice.best!);
  }
});

test('native ring convolution: ResNet-like shapes (512 channels, 2x2 and 4x4 images, 7x7 stride-2 stem) on the thread pool', { skip }, () => {
  const shapes: [number, number, number, number, number, 'same' | 'valid'][] = [
    [4, 4, 64, 512, 3, 'same'],
    [2, 2, 512, 40, 3, 'same'],
    [3, 3, 33, 300, 1, 'valid'],
    [15, 13, 3, 64, 7, 'same'],
  ];
  for (const [h, w, ci, co, k, pad] of shapes) {
    const g = convGeometry([h, w, ci], co, [k, k], k === 7 ? 2 : 1, pad);
    const x = BigUint64Array.from({ length: h * w * ci }, (_, i) => (BigInt(i) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn);
    const wt = BigUint64Array.from({ length: k * k * ci * co }, (_, i) => EDGES[i % EDGES.length]! ^ (BigInt(i) << 17n));
    assert.deepEqual(native({ g, x, w: wt }), convRingWasm(x, wt, g), JSON.stringify(g));
  }
});

test('useNativeRingKernel installs the native kernel into src/smpc, and the result equals BigInt arithmetic', { skip }, () => {
  try {
    assert.match(useNativeRingKernel(2), /^ring kernel: native (avx512|avx2|scalar), \d+ threads?$/);
    const g = convGeometry([5, 6, 7], 9, [3, 3], 2, 'same');
    const x = BigUint64Array.from({ length: 5 * 6 * 7 }, (_, i) => EDGES[(i * 5) % EDGES.length]! - BigInt(i));
    const w = BigUint64Array.from({ length: 9 * 7 * 9 }, (_, i) => EDGES[(i * 3) % EDGES.length]! + BigInt(i));
    assert.deepEqual(convRing(x, w, g), convRingBigInt(x, w, g));
  } finally {
    setRingConvKernel(null);
  }
});

test('native ring convolution refuses arrays that do not match the geometry', { skip }, () => {
  const g = convGeometry([4, 4, 3], 5, [3, 3], 1, 'same');
  const x = new BigUint64Array(4 * 4 * 3);
  const w = new BigUint64Array(9 * 3 * 5);
  const short = new BigUint64Array(4 * 4 * 5 - 1);
  assert.throws(() => addon!.ringConv!(x, w, short, 4, 4, 3, 3, 3, 5, 4, 4, 1, 1, 1, 1), /ring convolution arrays do not match the geometry/);
  assert.throws(() => addon!.ringConv!(x, w, new Float64Array(80) as never, 4, 4, 3, 3, 3, 5, 4, 4, 1, 1, 1, 1), /wrong typed array/);
  assert.equal(convRingWasm(x, w, g).length, 80);
});

test('PRIVMED_ENGINE=wasm: the WebAssembly ring kernel runs, and says why', () => {
  const code = `
    import { useNativeRingKernel } from './src/secure-inference/ring-kernel.ts';
    import { convGeometry, convRing, convRingBigInt } from './src/smpc/linear.ts';
    const line = useNativeRingKernel(1);
    const g = convGeometry([3, 3, 2], 3, [2, 2], 1, 'same');
    const x = BigUint64Array.from({ length: 18 }, (_, i) => 2n ** 64n - 1n - BigInt(i));
    const w = BigUint64Array.from({ length: 24 }, (_, i) => 2n ** 63n + BigInt(i));
    console.log(JSON.stringify({ line, same: convRing(x, w, g).every((v, i) => v === convRingBigInt(x, w, g)[i]) }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, PRIVMED_ENGINE: 'wasm' }, cwd: ROOT });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { line: 'ring kernel: wasm (PRIVMED_ENGINE=wasm)', same: true });
});
