import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { partition, type Partitioning } from '../../src/data/partition.js';

const labels = Int32Array.from({ length: 600 }, (_, i) => (i % 4 === 0 ? 0 : 1));

function classShare(site: number[], c: number): number {
  return site.filter((i) => labels[i] === c).length / site.length;
}

test('every item goes to exactly one site, for every partitioning (property)', () => {
  const hows = fc.oneof(
    fc.constant<Partitioning>({ kind: 'iid' }),
    fc.double({ min: 0.05, max: 10, noNaN: true }).map((alpha): Partitioning => ({ kind: 'dirichlet', alpha })),
    fc.double({ min: 0.3, max: 0.95, noNaN: true }).map((majority): Partitioning => ({ kind: 'label-skew', majority })),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), hows, fc.integer({ min: 0, max: 1000 }), (sites, how, seed) => {
      const parts = partition(labels, sites, how, seed);
      const all = parts.flat().sort((a, b) => a - b);
      return parts.length === sites && parts.every((p) => p.length > 0) && all.length === labels.length && all.every((v, i) => v === i);
    }),
    { numRuns: 100 },
  );
});

test('IID sites have the global class mix; small-alpha Dirichlet sites do not', () => {
  const iid = partition(labels, 3, { kind: 'iid' }, 1);
  for (const s of iid) assert.ok(Math.abs(classShare(s, 0) - 0.25) < 0.06);
  const skew = partition(labels, 3, { kind: 'dirichlet', alpha: 0.1 }, 1);
  const spread = Math.max(...skew.map((s) => classShare(s, 0))) - Math.min(...skew.map((s) => classShare(s, 0)));
  assert.ok(spread > 0.3, `class-0 share spread ${spread}`);
});

test('partitioning is reproducible from the seed', () => {
  assert.deepEqual(partition(labels, 3, { kind: 'dirichlet', alpha: 0.5 }, 9), partition(labels, 3, { kind: 'dirichlet', alpha: 0.5 }, 9));
});
