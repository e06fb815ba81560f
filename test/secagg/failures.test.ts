import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSecAggRound, type SecAggStage, type WireEvent } from '../../src/secagg/driver.js';
import { decodeMessageOf, encodeMessage } from '../../src/secagg/wire.js';
import { SecAggClient } from '../../src/secagg/client.js';
import { SecAggServer } from '../../src/secagg/server.js';
import { SecAggError, type SecAggErrorCode } from '../../src/secagg/errors.js';
import type { SecAggParams } from '../../src/secagg/messages.js';
import { ids, makeParams, runUntilUnmasking, seededRandom } from './helpers.js';

const input = (d = 4) => ({ values: new Float64Array(d).fill(0.25), weight: 1 });
const fails = (code: SecAggErrorCode, pattern: RegExp) => (e: unknown) => e instanceof SecAggError && e.code === code && pattern.test(e.message);

function run(params: SecAggParams, extra: { dropouts?: Partial<Record<SecAggStage, number[]>>; onMessage?: (e: WireEvent) => Uint8Array | void } = {}) {
  return runSecAggRound({ params, inputs: () => input(params.vectorLength), random: seededRandom('failures'), ...extra });
}

test('too many dropouts at any stage stop the round with a below-threshold error', () => {
  const params = makeParams({ nodeIds: ids(5), threshold: 3 });
  assert.throws(() => run(params, { dropouts: { 'advertise-keys': [1, 2, 3] } }), fails('below-threshold', /only 2 nodes advertised keys, threshold is 3/));
  assert.throws(() => run(params, { dropouts: { 'share-keys': [1, 2], 'advertise-keys': [3] } }), fails('below-threshold', /only 2 nodes shared keys/));
  assert.throws(() => run(params, { dropouts: { 'masked-input': [4, 5, 1] } }), fails('below-threshold', /only 2 nodes sent masked inputs/));
  assert.throws(() => run(params, { dropouts: { unmasking: [3, 4, 5] } }), fails('below-threshold', /fewer than 3 shares arrived for: self-mask seed of node 1/));
  // One fewer dropout at each stage still completes.
  assert.deepEqual(run(params, { dropouts: { 'advertise-keys': [1], 'share-keys': [2] } }).result.contributors, [3, 4, 5]);
  assert.deepEqual(run(params, { dropouts: { 'masked-input': [1], unmasking: [2] } }).result.contributors, [2, 3, 4, 5]);
});

test('a node refuses to mask when the coordinator relays fewer than t - 1 neighbours\' shares', () => {
  const params = makeParams({ nodeIds: ids(5), threshold: 3 });
  assert.throws(
    () =>
      run(params, {
        onMessage: (e) => {
          if (e.kind !== 'forwarded-shares' || e.to !== 2) return;
          const m = decodeMessageOf(e.bytes, 'forwarded-shares');
          return encodeMessage({ ...m, shares: m.shares.slice(0, 1) });
        },
      }),
    fails('below-threshold', /node 2 has 1 live neighbours; masking needs at least 2/),
  );
});

test('a tampered, relabelled or misrouted share ciphertext is rejected', () => {
  const params = makeParams({ nodeIds: ids(4), threshold: 3 });
  const alterForwarded = (edit: (shares: { from: number; ciphertext: Uint8Array }[]) => typeof shares) => (e: WireEvent) => {
    if (e.kind !== 'forwarded-shares' || e.to !== 3) return;
    const m = decodeMessageOf(e.bytes, 'forwarded-shares');
    return encodeMessage({ ...m, shares: edit(m.shares.map((s) => ({ from: s.from, ciphertext: s.ciphertext.slice() }))) });
  };
  const flipped = alterForwarded((shares) => {
    shares[0]!.ciphertext[30]! ^= 0x01;
    return shares;
  });
  assert.throws(() => run(params, { onMessage: flipped }), fails('tampered', /from node 1 to node 3 failed authentication/));
  const swapped = alterForwarded((shares) => [
    { from: shares[0]!.from, ciphertext: shares[1]!.ciphertext },
    { from: shares[1]!.from, ciphertext: shares[0]!.ciphertext },
    ...shares.slice(2),
  ]);
  assert.throws(() => run(params, { onMessage: swapped }), fails('tampered', /failed authentication/));
  // A ciphertext meant for node 2 handed to node 3 instead.
  let forNode2: Uint8Array | undefined;
  const misrouted = (e: WireEvent) => {
    if (e.kind === 'forwarded-shares' && e.to === 2) forNode2 = decodeMessageOf(e.bytes, 'forwarded-shares').shares.find((s) => s.from === 1)!.ciphertext.slice();
    if (e.kind !== 'forwarded-shares' || e.to !== 3) return;
    const m = decodeMessageOf(e.bytes, 'forwarded-shares');
    return encodeMessage({ ...m, shares: m.shares.map((s) => (s.from === 1 ? { from: 1, ciphertext: forNode2! } : s)) });
  };
  assert.throws(() => run(params, { onMessage: misrouted }), fails('tampered', /from node 1 to node 3/));
});

test('a node refuses a neighbour graph that its seed does not give', () => {
  const params = makeParams({ nodeIds: ids(12), degree: 4, threshold: 3 });
  const alterBroadcast = (edit: (m: ReturnType<typeof decodeMessageOf<'key-broadcast'>>) => void) => (e: WireEvent) => {
    if (e.kind !== 'key-broadcast' || e.to !== 5) return;
    const m = decodeMessageOf(e.bytes, 'key-broadcast');
    edit(m);
    return encodeMessage(m);
  };
  const swapNeighbour = alterBroadcast((m) => {
    const outsider = ids(12).find((v) => v !== 5 && !m.neighbours.includes(v))!;
    m.neighbours = [...m.neighbours.slice(1), outsider].sort((a, b) => a - b);
  });
  assert.throws(() => run(params, { onMessage: swapNeighbour }), fails('graph-mismatch', /coordinator assigned node 5 neighbours/));
  const otherNonce = alterBroadcast((m) => {
    m.graphNonce = seededRandom('other nonce')(32);
  });
  assert.throws(() => run(params, { onMessage: otherNonce }), fails('graph-mismatch', /does not match the commitment/));
  // Hiding a participant from one node changes the seed it computes.
  const hidden = alterBroadcast((m) => {
    const outsider = m.participants.find((p) => p.nodeId !== 5 && !m.neighbours.includes(p.nodeId))!.nodeId;
    m.participants = m.participants.filter((p) => p.nodeId !== outsider);
  });
  assert.throws(() => run(params, { onMessage: hidden }), fails('graph-mismatch', /neighbours/));
});

test('a wrong share is caught when the secret is rebuilt, and left out when more than t holders answered', () => {
  const params = makeParams({ nodeIds: ids(4), threshold: 3 });
  const corrupt = (kind: 'selfMaskSeedShares' | 'maskKeyShares', from: number[]) => (e: WireEvent) => {
    if (e.kind !== 'unmask-response' || typeof e.from !== 'number' || !from.includes(e.from)) return;
    const m = decodeMessageOf(e.bytes, 'unmask-response');
    const list = m[kind].map((s) => ({ owner: s.owner, share: s.share.slice() }));
    list[0]!.share[0]! ^= 1;
    return encodeMessage({ ...m, [kind]: list });
  };
  // Four holders of node 1's seed, threshold 3: the seed from the other three matches its commitment.
  const { result } = run(params, { onMessage: corrupt('selfMaskSeedShares', [2]) });
  assert.deepEqual(result.contributors, [1, 2, 3, 4]);
  for (const v of result.sum) assert.ok(Math.abs(v - 1) < 1e-6, `sum ${v}, expected 1`);
  assert.throws(() => run(params, { onMessage: corrupt('selfMaskSeedShares', [2, 3]) }), fails('protocol', /self-mask seed of node 1 does not match its commitment/));
  // Node 4 dropped: three holders of its mask key, no share to spare.
  assert.throws(
    () => run(params, { dropouts: { 'masked-input': [4] }, onMessage: corrupt('maskKeyShares', [2]) }),
    fails('protocol', /mask key of node 4 does not match its public key/),
  );
});

test('messages out of order, duplicated, from another round or uninvited are refused', () => {
  const params = makeParams({ nodeIds: ids(3), threshold: 2 });
  const random = seededRandom('order');
  const server = new SecAggServer(params, { random });
  const client = new SecAggClient(1, { random });
  const advert = client.handleSetup(server.setupMessage());
  server.receiveAdvertiseKeys(advert);
  assert.throws(() => server.receiveAdvertiseKeys(advert), fails('protocol', /twice/));
  assert.throws(() => server.receiveAdvertiseKeys({ ...advert, nodeId: 9 }), fails('protocol', /not invited/));
  assert.throws(() => server.receiveAdvertiseKeys({ ...advert, nodeId: 2 }), fails('protocol', /already in use/));
  assert.throws(() => server.receiveAdvertiseKeys({ ...advert, roundId: 'old' }), fails('protocol', /round old/));
  assert.throws(() => server.receiveMaskedInput({ kind: 'masked-input', roundId: params.roundId, nodeId: 1, maskedVector: new Uint8Array(20) }), fails('protocol', /stage advertise-keys/));
  assert.throws(() => client.handleSetup(server.setupMessage()), fails('protocol', /state awaiting-keys/));
  assert.equal(client.state, 'aborted');
  assert.throws(() => new SecAggClient(2).handleSetup({ ...server.setupMessage(), params: { ...params, nodeIds: [1, 3, 4] } }), fails('protocol', /not among the invited/));
  assert.throws(() => new SecAggClient(2, { minThreshold: 3 }).handleSetup(server.setupMessage()), fails('refused', /below this node's minimum/));
  assert.throws(() => new SecAggServer({ ...params, threshold: 1 }), fails('invalid-params', /not a majority/));
});

test('a client input of the wrong length is refused before anything is sent', () => {
  const params = makeParams({ nodeIds: ids(3), threshold: 2, vectorLength: 4 });
  assert.throws(() => runUntilUnmasking(params, () => input(5), seededRandom('len')), fails('invalid-input', /5 values, the round expects 4/));
});
