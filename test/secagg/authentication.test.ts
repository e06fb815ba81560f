/**
 * Authenticated SecAgg+ rounds (src/secagg/authentication.ts) against an
 * active coordinator: every key is checked against its owner's signature
 * before use, and no unmasking share leaves a node without t signatures on
 * the survivor set it signed. The identities here are Ed25519 keys in a
 * registry (the federation's are mTLS certificates: identity.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { runSecAggRound, type WireEvent } from '../../src/secagg/driver.js';
import { decodeMessageOf, encodeMessage } from '../../src/secagg/wire.js';
import { SecAggError, type SecAggErrorCode } from '../../src/secagg/errors.js';
import type { SecAggAuthentication, SecAggVerifier } from '../../src/secagg/authentication.js';
import { generateX25519KeyPair } from '../../src/crypto/x25519.js';
import { ids, makeParams, plainWeightedSum, seededRandom } from './helpers.js';

const N = 5;
const params = makeParams({ nodeIds: ids(N), threshold: 3, authenticated: true });
const identities = new Map(ids(N).map((id) => [id, generateKeyPairSync('ed25519')]));
const credentialOf = (key: KeyObject) => new Uint8Array(key.export({ type: 'spki', format: 'der' }));

/** The "CA": node id -> its public key; a credential is accepted only for the id it is registered to. */
const verifier: SecAggVerifier = {
  check(nodeId, credential, transcript, signature) {
    const registered = identities.get(nodeId);
    if (!registered || Buffer.compare(Buffer.from(credentialOf(registered.publicKey)), Buffer.from(credential)) !== 0) return `credential is not node ${nodeId}'s`;
    return verify(null, transcript, registered.publicKey, signature) ? null : 'bad signature';
  },
};
const authentication = (id: number): SecAggAuthentication => ({
  signer: { credential: credentialOf(identities.get(id)!.publicKey), sign: (t) => new Uint8Array(sign(null, t, identities.get(id)!.privateKey)) },
  verifier,
});
const inputs = new Map(ids(N).map((id) => [id, { values: Float64Array.from({ length: 4 }, (_, i) => (id * (i + 1)) / 40), weight: 1 }]));
const fails = (code: SecAggErrorCode, pattern: RegExp) => (e: unknown) => e instanceof SecAggError && e.code === code && pattern.test(e.message);

function run(onMessage?: (e: WireEvent) => Uint8Array | void, extra: { serverVerifies?: boolean; authenticated?: boolean } = {}) {
  return runSecAggRound({
    params: { ...params, authenticated: extra.authenticated ?? true },
    inputs: (id) => inputs.get(id)!,
    random: seededRandom('authentication'),
    authentication,
    verifier: extra.serverVerifies === false ? undefined : verifier,
    onMessage,
  });
}

test('an authenticated round signs keys and survivor sets, runs the consistency check and sums exactly', () => {
  const kinds: string[] = [];
  const { result } = run((e) => void kinds.push(e.kind));
  assert.deepEqual(result.contributors, ids(N));
  const expected = plainWeightedSum(inputs, ids(N), params.clip);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(result.sum[i]! - expected.sum[i]!) <= result.errorBound.value);
  assert.equal(kinds.filter((k) => k === 'consistency-check').length, N);
  assert.equal(kinds.filter((k) => k === 'consistency-signature').length, N);
});

test('a node refuses a round that is not authenticated, and a node without identity one that is', () => {
  assert.throws(() => run(undefined, { authenticated: false }), fails('refused', /is not authenticated; node 1 takes part only in rounds whose keys are signed/));
  assert.throws(
    () => runSecAggRound({ params, inputs: (id) => inputs.get(id)!, random: seededRandom('x') }),
    fails('refused', /is authenticated, and node 1 has no identity to sign its keys with/),
  );
});

/** The coordinator rewrites the key broadcast that node `to` receives. */
const rewriteBroadcast = (to: number, edit: (p: { nodeId: number; encryptionPublicKey: Uint8Array; maskPublicKey: Uint8Array; credential?: Uint8Array; signature?: Uint8Array }[]) => void) => (e: WireEvent) => {
  if (e.kind !== 'key-broadcast' || e.to !== to) return;
  const m = decodeMessageOf(e.bytes, 'key-broadcast');
  const participants = m.participants.map((p) => ({ ...p }));
  edit(participants);
  return encodeMessage({ ...m, participants });
};

test('a substituted public key is refused before it is used, whatever the coordinator relays with it', () => {
  const attacker = generateX25519KeyPair(seededRandom('attacker'));
  // Node 2's mask key replaced by the coordinator's, node 2's signature kept.
  assert.throws(() => run(rewriteBroadcast(1, (ps) => void (ps[1]!.maskPublicKey = attacker.publicKey))), fails('unauthenticated', /the keys relayed for node 2: bad signature/));
  assert.throws(() => run(rewriteBroadcast(1, (ps) => void (ps[1]!.encryptionPublicKey = attacker.publicKey))), fails('unauthenticated', /the keys relayed for node 2: bad signature/));
  // Node 3's genuine keys, credential and signature relayed as node 2's.
  assert.throws(
    () => run(rewriteBroadcast(1, (ps) => void (ps[1] = { ...ps[2]!, nodeId: 2 }))),
    (e) => e instanceof SecAggError && /reuses a public key|the keys relayed for node 2/.test(e.message),
  );
  assert.throws(
    () => run(rewriteBroadcast(1, (ps) => void (ps[1] = { ...ps[1]!, credential: ps[2]!.credential, signature: ps[2]!.signature }))),
    fails('unauthenticated', /the keys relayed for node 2: credential is not node 2's/),
  );
  // No signature at all.
  assert.throws(() => run(rewriteBroadcast(1, (ps) => void (ps[1] = { ...ps[1]!, signature: undefined }))), fails('unauthenticated', /node 2's keys carry no signature/));
});

test('a key signed for another round is refused (no replay)', () => {
  // Node 2's advertisement of round A, replayed in round B.
  let recorded: Uint8Array | undefined;
  runSecAggRound({
    params: { ...params, roundId: 'round-A' },
    inputs: (id) => inputs.get(id)!,
    random: seededRandom('a'),
    authentication,
    onMessage: (e) => void (e.kind === 'advertise-keys' && e.from === 2 && (recorded = e.bytes)),
  });
  const old = decodeMessageOf(recorded!, 'advertise-keys');
  assert.throws(
    () =>
      runSecAggRound({
        params: { ...params, roundId: 'round-B' },
        inputs: (id) => inputs.get(id)!,
        random: seededRandom('b'),
        authentication,
        onMessage: (e) => (e.kind === 'advertise-keys' && e.from === 2 ? encodeMessage({ ...old, roundId: 'round-B' }) : undefined),
      }),
    fails('unauthenticated', /the keys relayed for node 2: bad signature/),
  );
});

test('the coordinator\'s own check refuses a node whose signature does not verify, so it cannot make the others abort', () => {
  assert.throws(
    () => run((e) => (e.kind === 'advertise-keys' && e.from === 4 ? encodeMessage({ ...decodeMessageOf(e.bytes, 'advertise-keys'), signature: new Uint8Array(64) }) : undefined)),
    fails('unauthenticated', /the keys for node 4: bad signature/),
  );
});

test('no unmasking share leaves a node without t signatures on the very survivor set it signed', () => {
  // A coordinator that does not verify, and tells node 1 that node 5 dropped (so node 1 would reveal node 5's mask key).
  const splitView = (e: WireEvent) => {
    if (e.kind !== 'consistency-check' || e.to !== 1) return;
    const m = decodeMessageOf(e.bytes, 'consistency-check');
    return encodeMessage({ ...m, survivors: m.survivors.filter((v) => v !== 5) });
  };
  assert.throws(() => run(splitView, { serverVerifies: false }), fails('refused', /names survivors \[1, 2, 3, 4, 5\], this node signed \[1, 2, 3, 4\]/));

  // The same lie carried on into the unmasking request, with node 1's own signature as the only proof.
  let node1Signature: Uint8Array | undefined;
  const consistentLie = (e: WireEvent) => {
    const lie = splitView(e);
    if (lie) return lie;
    if (e.kind === 'consistency-signature' && e.from === 1) node1Signature = decodeMessageOf(e.bytes, 'consistency-signature').signature.slice();
    if (e.kind !== 'unmask-request' || e.to !== 1) return;
    const m = decodeMessageOf(e.bytes, 'unmask-request');
    return encodeMessage({ ...m, survivors: [1, 2, 3, 4], dropped: [5], survivorSet: [1, 2, 3, 4], signatures: [{ nodeId: 1, signature: node1Signature! }] });
  };
  assert.throws(() => run(consistentLie, { serverVerifies: false }), fails('below-threshold', /only 1 survivors signed the survivor set, threshold is 3; no unmasking shares are released/));

  // Signatures of others on the true set, relabelled: they do not verify for the altered set.
  const forged = (e: WireEvent) => {
    const lie = splitView(e);
    if (lie) return lie;
    if (e.kind !== 'unmask-request' || e.to !== 1) return;
    const m = decodeMessageOf(e.bytes, 'unmask-request');
    return encodeMessage({ ...m, survivors: [1, 2, 3, 4], dropped: [5], survivorSet: [1, 2, 3, 4], signatures: m.signatures!.filter((s) => s.nodeId !== 5) });
  };
  assert.throws(() => run(forged, { serverVerifies: false }), fails('unauthenticated', /survivor-set signature for node 1: bad signature|survivor-set signature for node 2: bad signature/));

  // A request whose dropped list contradicts the signed set (node 5 survived).
  const contradict = (e: WireEvent) => {
    if (e.kind !== 'unmask-request' || e.to !== 1) return;
    const m = decodeMessageOf(e.bytes, 'unmask-request');
    return encodeMessage({ ...m, survivors: [1, 2, 3, 4], dropped: [5] });
  };
  assert.throws(() => run(contradict, { serverVerifies: false }), fails('refused', /disagree with the signed survivor set about node 5/));

  // A missing proof.
  const noProof = (e: WireEvent) => {
    if (e.kind !== 'unmask-request' || e.to !== 2) return;
    const m = decodeMessageOf(e.bytes, 'unmask-request');
    return encodeMessage({ ...m, survivorSet: undefined, signatures: undefined });
  };
  assert.throws(() => run(noProof, { serverVerifies: false }), fails('refused', /names survivors \[\], this node signed \[1, 2, 3, 4, 5\]/));
});

test('a survivor that falls silent at the consistency check is still summed; the round needs t signatures', () => {
  const base = { params, inputs: (id: number) => inputs.get(id)!, random: seededRandom('c'), authentication, verifier };
  const { result } = runSecAggRound({ ...base, dropouts: { consistency: [5] } });
  assert.deepEqual(result.contributors, ids(N));
  // As in the real-process dropout test: one node gone before masking, one after signing U3, before unmasking.
  const late = runSecAggRound({ ...base, dropouts: { 'masked-input': [4], unmasking: [5] } }).result;
  assert.deepEqual([late.contributors, late.dropped], [[1, 2, 3, 5], [4]]);
  const expected = plainWeightedSum(inputs, [1, 2, 3, 5], params.clip);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(late.sum[i]! - expected.sum[i]!) <= late.errorBound.value);
  assert.throws(() => runSecAggRound({ ...base, dropouts: { consistency: [3, 4, 5] } }), fails('below-threshold', /only 2 nodes signed the survivor set, threshold is 3/));
});
