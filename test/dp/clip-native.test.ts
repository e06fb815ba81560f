// ClippedSum.addBatch on the native add-on (native/clip.c) against the JavaScript ClippedSum.add,
// bit for bit: flat and per-layer clipping, a sample with a non-finite gradient (dropped), samples
// under and over the bound, random sizes (property); factored dense gradients (ghost clipping)
// against the same gradients multiplied out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, nativeKernels, useEngine } from '../../src/engine/native-addon.js';
import { ClippedSum, planClipping, type ClipSpec, type SampleRows } from '../../src/dp/sgd/clipping.js';
import { Rng } from '../../src/common/rng.js';

await initBackend('wasm');
const native = engineChoice()?.best !== undefined;
if (!native) process.stderr.write('*** native add-on not built: the native clipping is not tested ***\n');

function sums(sizes: number[], spec: ClipSpec, rows: SampleRows[], count: number, engine: 'native' | 'wasm'): ClippedSum {
  const vars = sizes.map((size, i) => ({ name: `v${i}`, layer: `l${i >> 1}`, size }));
  const s = new ClippedSum(sizes, planClipping(spec, vars));
  useEngine(engine);
  try {
    if (engine === 'native') {
      const addon = nativeKernels()!;
      assert.equal(typeof addon?.clipSum, 'function', 'the add-on has the clipping kernel');
      // The add-on must have taken the batch (addBatch falls back to JavaScript when it refuses).
      const clipSum = addon.clipSum;
      let rc: number | undefined;
      addon.clipSum = (...args) => (rc = clipSum(...args));
      try {
        s.addBatch(rows, count);
      } finally {
        addon.clipSum = clipSum;
      }
      assert.equal(rc, 0, 'the native clipping ran');
    }
    else for (let b = 0; b < count; b++) s.add(rows, b);
  } finally {
    useEngine(null);
  }
  return s;
}

function rowsFor(sizes: number[], count: number, seed: number, scale: number): Float32Array[] {
  const rng = new Rng(seed);
  return sizes.map((n) => Float32Array.from({ length: n * count }, () => rng.uniform(-scale, scale)));
}

function assertSame(a: ClippedSum, b: ClippedSum, what: string): void {
  assert.equal(a.samples, b.samples, `${what}: samples`);
  assert.equal(a.dropped, b.dropped, `${what}: dropped`);
  a.sums.forEach((s, v) => s.forEach((x, i) => assert.ok(Object.is(x, b.sums[v]![i]), `${what}: sum ${v}[${i}] ${x} vs ${b.sums[v]![i]}`)));
}

test('native clipped sum equals the JavaScript one bit for bit (flat, per-layer, a dropped sample)', { skip: !native && 'native add-on not built' }, () => {
  const sizes = [288, 32, 9000, 64, 5000, 2];
  const count = 9;
  const rows = rowsFor(sizes, count, 5, 0.05);
  rows[2]![3 * 9000 + 17] = NaN; // sample 3 is dropped
  for (let i = 0; i < 9000; i++) rows[2]![5 * 9000 + i]! *= 1e-4; // sample 5 stays under the bound
  for (const spec of [{ kind: 'flat', norm: 1 }, { kind: 'per-layer', norm: 0.5 }] as ClipSpec[]) {
    const js = sums(sizes, spec, rows, count, 'wasm');
    const nat = sums(sizes, spec, rows, count, 'native');
    assert.equal(js.dropped, 1);
    assertSame(nat, js, spec.kind);
  }
});

test('native clipped sum equals the JavaScript one (random sizes, property)', { skip: !native && 'native add-on not built' }, () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 7 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 1e6 }), (sizes, count, seed) => {
      const rows = rowsFor(sizes, count, seed, seed % 2 ? 1 : 1e-3);
      const spec: ClipSpec = seed % 3 ? { kind: 'flat', norm: 1 } : { kind: 'per-layer', norm: 1 };
      assertSame(sums(sizes, spec, rows, count, 'native'), sums(sizes, spec, rows, count, 'wasm'), `[${sizes}] x ${count}`);
    }),
    { numRuns: 30, seed: 31 },
  );
});

/** Variables of the given kinds: a number is a materialised variable of that size, [n, u] a factored one. */
function mixedRows(kinds: (number | [number, number])[], count: number, seed: number, scale: number): { sizes: number[]; factored: SampleRows[]; dense: Float32Array[] } {
  const rng = new Rng(seed);
  const draw = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
  const sizes: number[] = [], factored: SampleRows[] = [], dense: Float32Array[] = [];
  for (const k of kinds) {
    if (typeof k === 'number') {
      const g = draw(k * count);
      sizes.push(k), factored.push(g), dense.push(g);
      continue;
    }
    const [n, u] = k;
    const a = draw(n * count), d = draw(u * count);
    const g = new Float32Array(n * u * count);
    // Multiplied out in float64 and rounded once, as a float32 matmul with one term does.
    for (let b = 0; b < count; b++) for (let i = 0; i < n; i++) for (let j = 0; j < u; j++) g[(b * n + i) * u + j] = a[b * n + i]! * d[b * u + j]!;
    sizes.push(n * u), factored.push({ a, d, n, u }), dense.push(g);
  }
  return { sizes, factored, dense };
}

function assertClose(a: ClippedSum, b: ClippedSum, tol: number, what: string): void {
  assert.equal(a.dropped, b.dropped, `${what}: dropped`);
  a.sums.forEach((s, v) => {
    let num = 0, den = 0;
    s.forEach((x, i) => ((num += (x - b.sums[v]![i]!) ** 2), (den += b.sums[v]![i]! ** 2)));
    assert.ok(Math.sqrt(num) <= tol * Math.sqrt(den), `${what}: variable ${v} relative error ${Math.sqrt(num / den)}`);
  });
}

test('factored dense gradients (ghost clipping): native equals JavaScript bit for bit, both equal the multiplied-out gradients to 1e-6', () => {
  const kinds: (number | [number, number])[] = [288, [4096, 64], 64, [64, 2], 2];
  const count = 7;
  const { sizes, factored, dense } = mixedRows(kinds, count, 11, 0.05);
  (factored[1] as { a: Float32Array }).a[2 * 4096 + 5] = Infinity; // sample 2 is dropped
  (dense[1] as Float32Array).fill(Infinity, 2 * 4096 * 64 + 5 * 64, 2 * 4096 * 64 + 6 * 64);
  for (let i = 0; i < 64; i++) (factored[3] as { a: Float32Array }).a[4 * 64 + i]! *= 1e-5; // sample 4 stays small in one layer
  for (let i = 0; i < 128; i++) (dense[3] as Float32Array)[4 * 128 + i] = (factored[3] as { a: Float32Array }).a[4 * 64 + (i >> 1)]! * (factored[3] as { d: Float32Array }).d[4 * 2 + (i & 1)]!;
  for (const spec of [{ kind: 'flat', norm: 1 }, { kind: 'per-layer', norm: 0.05 }] as ClipSpec[]) {
    const js = sums(sizes, spec, factored, count, 'wasm');
    assert.equal(js.dropped, 1);
    assertClose(js, sums(sizes, spec, dense, count, 'wasm'), 1e-6, `${spec.kind}, factored vs multiplied out`);
    if (native) assertSame(sums(sizes, spec, factored, count, 'native'), js, `${spec.kind}, native vs JavaScript`);
  }
});

test('factored dense gradients: random shapes (property), native and JavaScript against the multiplied-out gradients', () => {
  const kind = fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 70 })));
  fc.assert(
    fc.property(fc.array(kind, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1e6 }), (kinds, count, seed) => {
      const { sizes, factored, dense } = mixedRows(kinds, count, seed, seed % 2 ? 1 : 1e-3);
      const spec: ClipSpec = seed % 3 ? { kind: 'flat', norm: 1 } : { kind: 'per-layer', norm: 1 };
      const js = sums(sizes, spec, factored, count, 'wasm');
      assertClose(js, sums(sizes, spec, dense, count, 'wasm'), 1e-6, `[${JSON.stringify(kinds)}] x ${count}`);
      if (native) assertSame(sums(sizes, spec, factored, count, 'native'), js, `[${JSON.stringify(kinds)}] x ${count}, native`);
    }),
    { numRuns: 40, seed: 17 },
  );
});
