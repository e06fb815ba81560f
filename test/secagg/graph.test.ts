import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { graphNonceCommitment, graphSeed, neighbourGraph } from '../../src/secagg/graph.js';
import type { ParticipantKeys } from '../../src/secagg/messages.js';
import { ids, seededRandom } from './helpers.js';

const random = seededRandom('graph');

test('the sparse graph is k-regular, symmetric, loop-free and connected', () => {
  fc.assert(
    fc.property(fc.integer({ min: 4, max: 120 }), fc.integer({ min: 1, max: 60 }), (m, halfDegree) => {
      const degree = 2 * halfDegree;
      fc.pre(degree < m - 1);
      const nodes = ids(m).map((i) => i * 7);
      const graph = neighbourGraph(nodes, degree, random(32));
      for (const [u, neighbours] of graph) {
        assert.equal(neighbours.length, degree);
        assert.equal(new Set(neighbours).size, degree);
        assert.ok(!neighbours.includes(u));
        for (const v of neighbours) assert.ok(graph.get(v)!.includes(u), `edge ${u}-${v} is one-way`);
      }
      const seen = new Set([nodes[0]!]);
      const frontier = [nodes[0]!];
      while (frontier.length > 0) for (const v of graph.get(frontier.pop()!)!) if (!seen.has(v)) (seen.add(v), frontier.push(v));
      assert.equal(seen.size, m);
    }),
    { numRuns: 80 },
  );
});

test('degree >= n - 1 gives the complete graph', () => {
  const graph = neighbourGraph([5, 1, 9], 8, random(32));
  assert.deepEqual(graph.get(1), [5, 9]);
  assert.deepEqual(graph.get(5), [1, 9]);
  assert.deepEqual(graph.get(9), [1, 5]);
});

test('the graph is a function of the seed, and different seeds give different graphs', () => {
  const nodes = ids(40);
  const seed = random(32);
  assert.deepEqual(neighbourGraph(nodes, 6, seed), neighbourGraph([...nodes].reverse(), 6, seed));
  assert.notDeepEqual(neighbourGraph(nodes, 6, seed), neighbourGraph(nodes, 6, random(32)));
});

test('the seed binds the committed nonce and every participant key', () => {
  const participants: ParticipantKeys[] = ids(4).map((nodeId) => ({ nodeId, encryptionPublicKey: random(32), maskPublicKey: random(32) }));
  const nonce = random(32);
  const seed = graphSeed('r', nonce, participants);
  assert.deepEqual(graphSeed('r', nonce, [...participants].reverse()), seed);
  assert.notDeepEqual(graphSeed('r2', nonce, participants), seed);
  assert.notDeepEqual(graphSeed('r', random(32), participants), seed);
  const changed = participants.map((p, i) => (i === 2 ? { ...p, maskPublicKey: random(32) } : p));
  assert.notDeepEqual(graphSeed('r', nonce, changed), seed);
  assert.notDeepEqual(graphSeed('r', nonce, participants.slice(1)), seed);
  assert.notDeepEqual(graphNonceCommitment('r', nonce), graphNonceCommitment('r', random(32)));
});
