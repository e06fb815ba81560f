import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../../../src/net/index.js';
import { DEFAULT_CKKS_PARAMS, defaultThreshold } from '../../../src/he/index.js';
import { CkksCoordinator } from '../../../src/federation/protocols/ckks/coordinator-state.js';
import { CkksNode } from '../../../src/federation/protocols/ckks/node-state.js';
import type { KeyAdvert } from '../../../src/federation/protocols/ckks/key-setup.js';
import type { CkksRun } from '../../../src/federation/protocols/ckks/run-context.js';
import { heContext } from '../../he/helpers.js';

function files(dir: string): Uint8Array[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [new Uint8Array(readFileSync(p))];
  });
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle)) >= 0;
}

test('a CKKS round completes with a node killed after upload and one killed before its decryption share; the coordinator holds no secret', async (t) => {
  const he = await heContext();
  const root = mkdtempSync(join(tmpdir(), 'privmed-ckks-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const roster = ['a', 'b', 'c', 'd', 'e', 'f'];
  const run: CkksRun = { runId: 'run-1', roster, threshold: defaultThreshold(roster.length), params: DEFAULT_CKKS_PARAMS };
  assert.equal(run.threshold, 4);
  const ca = await createCertificateAuthority('test CA', 1);
  const nodes = new Map<string, CkksNode>();
  for (const name of roster) {
    const cert = await issueCertificate(ca, { commonName: name, role: 'client', validDays: 1 });
    nodes.set(name, new CkksNode(he, { name, caPem: ca.certPem, ...cert }, run, join(root, name)));
  }
  const coordinatorDir = join(root, 'coordinator');
  let coordinator = new CkksCoordinator(he, run, coordinatorDir);
  const relayed: Uint8Array[] = []; // everything that passes through the coordinator
  const relay = <T extends Uint8Array>(b: T): T => (relayed.push(b), b);

  // key setup: adverts, then CKG shares + sealed Shamir shares + sealed consortium key, all through the coordinator
  const adverts = new Map<string, KeyAdvert>();
  for (const [name, node] of nodes) {
    const a = node.advertise();
    relay(a.x25519);
    relay(a.signature);
    adverts.set(name, a);
  }
  const dealt = new Map([...nodes].map(([name, node]) => [name, node.deal(adverts)]));
  const ckg = new Map([...dealt].map(([name, d]) => [name, relay(d.ckgShare)]));
  const keys = new Set<string>();
  for (const [name, node] of nodes) {
    const sealed = new Map([...dealt].filter(([from]) => from !== name).map(([from, d]) => [from, relay(d.sealedShares.get(name)!)]));
    const consortium = name === 'a' ? null : relay(dealt.get('a')!.sealedConsortium.get(name)!);
    keys.add(Buffer.from(node.finish(ckg, sealed, consortium)).toString('hex'));
  }
  assert.equal(keys.size, 1, 'every node computed the same collective key');
  assert.equal(Buffer.from(coordinator.setCollectiveKey(ckg)).toString('hex'), [...keys][0]);

  // round 1: every node uploads its weighted update (weight w, values w * u)
  const parameters = 9000; // 2 chunks with the weight coordinate
  const rid = coordinator.startRound(1, 0, parameters);
  const expected = new Float64Array(parameters);
  let weightSum = 0;
  for (const [i, name] of roster.entries()) {
    const w = (i + 1) / 100;
    const values = Float32Array.from({ length: parameters }, (_, k) => w * Math.sin(k * (i + 1)) * 0.01);
    values.forEach((v, k) => (expected[k]! += v));
    weightSum += Math.fround(w);
    coordinator.receiveUpload(name, (await nodes.get(name)!.upload(values, w, rid)).map(relay));
  }
  expected.forEach((v, k) => (expected[k] = v / weightSum));
  const twice = await nodes.get('a')!.upload(new Float32Array(parameters), 0.5, rid);
  assert.throws(() => coordinator.receiveUpload('a', twice), /a uploaded twice/);

  // the coordinator restarts after the uploads and resumes from its files
  coordinator = new CkksCoordinator(he, run, coordinatorDir);
  coordinator.setCollectiveKey(ckg);
  assert.ok(coordinator.resume(1, 0, parameters));
  assert.deepEqual(coordinator.roundContributors, roster);

  // d was killed after uploading; c is in T but dies before sending its share
  let request = coordinator.decryptionRequest(['a', 'b', 'c', 'e', 'f']);
  assert.deepEqual(request.nodes, ['a', 'b', 'c', 'e']);
  for (const name of ['a', 'b', 'e']) coordinator.receiveShares(name, (await nodes.get(name)!.share(request.aggregate, request.active, request.c1Frames)).map(relay));
  assert.throws(() => coordinator.combined(), /waiting for decryption shares from c/);
  const first = await nodes.get('a')!.share(request.aggregate, request.active, request.c1Frames);
  assert.deepEqual(await nodes.get('a')!.share(request.aggregate, request.active, request.c1Frames), first, 'retry returns the identical share');
  await assert.rejects(() => nodes.get('a')!.share(request.aggregate, [1, 2, 5, 6], request.c1Frames), /refusing set/);

  // a new set, on a re-randomised aggregate (new c1, new id): t is still met
  request = coordinator.decryptionRequest(['a', 'b', 'e', 'f']);
  assert.deepEqual(request.nodes, ['a', 'b', 'e', 'f']);
  for (const name of request.nodes) coordinator.receiveShares(name, (await nodes.get(name)!.share(request.aggregate, request.active, request.c1Frames)).map(relay));
  assert.throws(() => coordinator.receiveShares('c', []), /c sent decryption shares it was not asked for/);
  const combined = coordinator.combined().map(relay);
  for (const name of ['a', 'b', 'e', 'f']) {
    const { mean, weightSum: ws } = nodes.get(name)!.open(request.aggregate, combined, parameters);
    assert.ok(Math.abs(ws - weightSum) < 2 ** -24);
    let err = 0;
    mean.forEach((v, k) => (err = Math.max(err, Math.abs(v - expected[k]!))));
    assert.ok(err < 2 ** -24, `${name}: max error ${err}`);
  }
  assert.throws(() => coordinator.decryptionRequest(['a', 'b', 'e']), /3 nodes alive, 4 needed/);

  // by construction the coordinator never received or stored a key share or the consortium key
  const stored = [...relayed, ...files(coordinatorDir)];
  for (const [name, node] of nodes) {
    const secrets = [node['consortiumKey']!, new Uint8Array(node['keyShare']!.buffer, 0, 64)];
    for (const s of secrets) assert.ok(!stored.some((b) => contains(b, s)), `a secret of ${name} reached the coordinator`);
  }
});
