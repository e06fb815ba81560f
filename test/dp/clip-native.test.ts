// ClippedSum.addBatch on the native add-on (native/clip.c) against the JavaScript ClippedSum.add,
// bit for bit: flat and per-layer clipping, a sample with a non-finite gradient (dropped), samples
// under and over the bound, random sizes (property).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, nativeKernels, useEngine } from '../../src/engine/native-addon.js';
import { ClippedSum, planClipping, type ClipSpec } from '../../src/dp/sgd/clipping.js';
import { Rng } from '../../src/common/rng.js';

await initBackend('wasm');
const native = engineChoice()?.best !== undefined;
if (!native) process.stderr.write('*** native add-on not built: the native clipping is not tested ***\n');

function sums(sizes: number[], spec: ClipSpec, rows: Float32Array[], count: number, engine: 'native' | 'wasm'): ClippedSum {
  const vars = sizes.map((size, i) => ({ name: `v${i}`, layer: `l${i >> 1}`, size }));
  const s = new ClippedSum(sizes, planClipping(spec, vars));
  useEngine(engine);
  try {
    if (engine === 'native') {
      assert.equal(typeof nativeKernels()?.clipSum, 'function', 'the add-on has the clipping kernel');
      s.addBatch(rows, count);
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
