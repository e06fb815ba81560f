import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSecAggRound, type WireEvent } from '../../src/secagg/driver.js';
import { decodeMessage, decodeMessageOf } from '../../src/secagg/wire.js';
import { encodeInput, fixedPointScheme } from '../../src/secagg/input-encoding.js';
import { ringFromLittleEndian } from '../../src/crypto/ring.js';
import type { Share } from '../../src/crypto/shamir.js';
import { reconstructSecret, x25519Agree } from '../../src/secagg/primitives.js';
import { applyMask } from '../../src/crypto/prg.js';
import { pairwiseMaskKey, selfMaskKey, selfMaskSeedCommitment } from '../../src/secagg/derive.js';
import { privateKeyObject, x25519PublicKey } from '../../src/crypto/x25519.js';
import { systemRandom } from '../../src/crypto/random.js';
import { SecAggError } from '../../src/secagg/errors.js';
import type { SecAggParams, UnmaskResponseMessage } from '../../src/secagg/messages.js';
import { byteHistogram, chiSquareCritical, chiSquareUniform, ids, makeParams, runUntilUnmasking, seededRandom } from './helpers.js';

const Z_1E3 = 3.09; // normal quantile for alpha = 1e-3
const Z_1E6 = 4.753; // alpha = 1e-6
const COORDS = 1 << 14; // 64 expected counts per bin of a byte histogram
const zeros = (d: number) => ({ values: new Float64Array(d), weight: 1 });

function capturedMaskedVector(params: SecAggParams, node: number, random = seededRandom('uniform')): Uint32Array {
  let captured: Uint32Array | undefined;
  runSecAggRound({
    params,
    inputs: () => zeros(params.vectorLength),
    random,
    onMessage: (e: WireEvent) => {
      if (e.from === node && e.kind === 'masked-input') captured = ringFromLittleEndian(decodeMessageOf(e.bytes.slice(), 'masked-input').maskedVector).slice();
    },
  });
  return captured!;
}

function assertUniformBytes(vector: Uint32Array, z: number, what: string): void {
  const critical = chiSquareCritical(255, z);
  for (let byte = 0; byte < 4; byte++) {
    const stat = chiSquareUniform(byteHistogram(vector, byte));
    assert.ok(stat < critical, `${what}: byte ${byte} chi-square ${stat.toFixed(1)} >= ${critical.toFixed(1)}`);
  }
}

test('what the coordinator sees of one node is uniform over the ring (chi-square on every byte)', () => {
  const complete = makeParams({ nodeIds: ids(5), vectorLength: COORDS - 1 });
  const sparse = makeParams({ nodeIds: ids(12), degree: 4, threshold: 3, vectorLength: COORDS - 1 });
  assertUniformBytes(capturedMaskedVector(complete, 1), Z_1E3, 'complete graph, seeded');
  assertUniformBytes(capturedMaskedVector(sparse, 7), Z_1E3, 'sparse graph, seeded');
  // The same check on the system CSPRNG, at a threshold that fails once in a million runs.
  assertUniformBytes(capturedMaskedVector(complete, 2, systemRandom), Z_1E6, 'complete graph, system CSPRNG');
  // The check has teeth: the unmasked encoding of the same input fails it by far.
  const plain = encodeInput(zeros(COORDS - 1), complete, fixedPointScheme(complete), seededRandom('plain'));
  assert.ok(chiSquareUniform(byteHistogram(plain, 3)) > 100 * chiSquareCritical(255, Z_1E3));
});

test('with the full transcript the coordinator holds fewer than t shares of any withheld secret and cannot isolate an update', () => {
  const params = makeParams({ nodeIds: ids(6), threshold: 4, vectorLength: COORDS - 1 });
  const transcript: WireEvent[] = [];
  const secretInput = { values: Float64Array.from({ length: COORDS - 1 }, (_, i) => Math.sin(i) * 0.9), weight: 1 };
  const { result } = runSecAggRound({
    params,
    inputs: (id) => (id === 1 ? secretInput : zeros(COORDS - 1)),
    dropouts: { 'masked-input': [6] },
    random: seededRandom('transcript'),
    onMessage: (e) => void transcript.push({ ...e, bytes: e.bytes.slice() }),
  });
  assert.deepEqual(result.dropped, [6]);
  const messages = transcript.filter((e) => e.to === 'coordinator').map((e) => decodeMessage(e.bytes));
  const responses = messages.filter((m): m is UnmaskResponseMessage => m.kind === 'unmask-response');
  const seedShares = new Map<number, Share[]>();
  const keyShares = new Map<number, Share[]>();
  for (const r of responses) {
    for (const s of r.selfMaskSeedShares) (seedShares.get(s.owner) ?? seedShares.set(s.owner, []).get(s.owner)!).push({ holder: r.nodeId, share: s.share });
    for (const s of r.maskKeyShares) (keyShares.get(s.owner) ?? keyShares.set(s.owner, []).get(s.owner)!).push({ holder: r.nodeId, share: s.share });
  }
  // Never both kinds for one node: survivors' mask keys and the dropped node's seed stay below t (here: zero).
  for (const owner of params.nodeIds) assert.ok(!(seedShares.has(owner) && keyShares.has(owner)), `both kinds of shares of node ${owner}`);
  for (const u of [1, 2, 3, 4, 5]) assert.equal(keyShares.get(u)?.length ?? 0, 0);
  assert.equal(seedShares.get(6)?.length ?? 0, 0);

  // The coordinator's best effort on node 1: strip every mask it can rebuild.
  const adverts = new Map(messages.filter((m) => m.kind === 'advertise-keys').map((m) => [m.nodeId, m]));
  const masked = messages.find((m) => m.kind === 'masked-input' && m.nodeId === 1)!;
  const y1 = ringFromLittleEndian((masked as { maskedVector: Uint8Array }).maskedVector).slice();
  applyMask(y1, selfMaskKey(reconstructSecret(seedShares.get(1)!, 4), params.roundId, 1), -1);
  const sk6 = reconstructSecret(keyShares.get(6)!, 4);
  assert.deepEqual(x25519PublicKey(sk6), adverts.get(6)!.maskPublicKey);
  applyMask(y1, pairwiseMaskKey(x25519Agree(privateKeyObject(sk6), adverts.get(1)!.maskPublicKey, 1), params.roundId, 1, 6), -1);
  // What is left is x1 plus the masks shared with the four surviving neighbours: still uniform noise.
  assertUniformBytes(y1, Z_1E3, 'node 1 after removing every mask the coordinator can rebuild');
});

test('a coordinator that tells share holders different stories never gets both secrets of a node (t > holders / 2)', () => {
  const params = makeParams({ nodeIds: ids(5), threshold: 3 });
  const t = params.threshold;
  const others = [2, 3, 4, 5];
  for (let mask = 0; mask < 1 << others.length; mask++) {
    const liars = new Set(others.filter((_, i) => mask & (1 << i))); // told "node 1 dropped"
    const run = runUntilUnmasking(params, () => zeros(4), seededRandom(`split-${mask}`));
    const seedShares: Share[] = [];
    const keyShares: Share[] = [];
    for (const [id, honest] of run.requests) {
      const request = liars.has(id)
        ? { ...honest, survivors: honest.survivors.filter((v) => v !== 1), dropped: [...honest.dropped, 1].sort((a, b) => a - b) }
        : honest;
      const response = run.clients.get(id)!.handleUnmaskRequest(request);
      for (const s of response.selfMaskSeedShares) if (s.owner === 1) seedShares.push({ holder: id, share: s.share });
      for (const s of response.maskKeyShares) if (s.owner === 1) keyShares.push({ holder: id, share: s.share });
    }
    assert.equal(seedShares.length + keyShares.length, 5, 'each holder revealed exactly one share of node 1');
    assert.ok(seedShares.length < t || keyShares.length < t, `split ${[...liars]} yielded both secrets`);
    // Whichever secret fell short cannot be rebuilt: interpolating what there is gives a wrong value.
    const commitment = run.shareKeys.get(1)!.selfMaskSeedCommitment;
    const maskPublicKey = run.adverts.get(1)!.maskPublicKey;
    if (seedShares.length < t && seedShares.length > 0) {
      assert.throws(() => reconstructSecret(seedShares, t), (e: unknown) => e instanceof SecAggError && e.code === 'below-threshold');
      const guess = reconstructSecret(seedShares, seedShares.length);
      assert.notDeepEqual(selfMaskSeedCommitment(guess, params.roundId, 1), commitment);
    }
    if (keyShares.length < t && keyShares.length > 0) {
      assert.notDeepEqual(x25519PublicKey(reconstructSecret(keyShares, keyShares.length)), maskPublicKey);
    }
  }
});

test('a node refuses an unmasking request that could reveal both secrets of a node', () => {
  const params = makeParams({ nodeIds: ids(5), threshold: 3 });
  const isRefused = (e: unknown) => e instanceof SecAggError && e.code === 'refused';
  const fresh = (label: string) => runUntilUnmasking(params, () => zeros(4), seededRandom(label));

  let run = fresh('both-lists');
  const request = run.requests.get(2)!;
  assert.throws(() => run.clients.get(2)!.handleUnmaskRequest({ ...request, dropped: [3] }), (e: unknown) => isRefused(e) && /node 3 is named both/.test((e as Error).message));
  assert.equal(run.clients.get(2)!.state, 'aborted');

  run = fresh('self-dropped');
  const r2 = run.requests.get(2)!;
  assert.throws(() => run.clients.get(2)!.handleUnmaskRequest({ ...r2, survivors: r2.survivors.filter((v) => v !== 2), dropped: [2] }), isRefused);

  run = fresh('twice');
  const client = run.clients.get(2)!;
  const first = client.handleUnmaskRequest(run.requests.get(2)!);
  assert.equal(first.maskKeyShares.length, 0);
  const second = { ...run.requests.get(2)!, survivors: [2, 4, 5], dropped: [1, 3] };
  assert.throws(() => client.handleUnmaskRequest(second), (e: unknown) => isRefused(e) && /already answered/.test((e as Error).message));

  run = fresh('stranger');
  assert.throws(() => run.clients.get(2)!.handleUnmaskRequest({ ...run.requests.get(2)!, dropped: [9] }), isRefused);

  // The coordinator guards itself too: it rejects a response carrying shares it did not ask for.
  run = fresh('server-guard');
  const honest = run.clients.get(3)!.handleUnmaskRequest(run.requests.get(3)!);
  const extra = { ...honest, maskKeyShares: [{ owner: 1, share: honest.selfMaskSeedShares[0]!.share }] };
  assert.throws(() => run.server.receiveUnmaskResponse(extra), /asked for \[\]/);
});
