import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { systemRandom } from '../../../src/crypto/random.js';
import { createCertificateAuthority, issueCertificate } from '../../../src/net/index.js';
import {
  checkAdvert,
  makeAdvert,
  openFromPeer,
  pairwiseKey,
  sealToPeer,
  type NodeCredentials,
} from '../../../src/federation/protocols/ckks/key-setup.js';

const context = createHash('sha256').update('run-1/roster:a,b,c/ckks params').digest();

async function federation(names: string[]) {
  const ca = await createCertificateAuthority('test CA', 1);
  const creds = await Promise.all(
    names.map(async (name): Promise<NodeCredentials> => ({ name, caPem: ca.certPem, ...(await issueCertificate(ca, { commonName: name, role: 'client', validDays: 1 })) })),
  );
  return { ca, creds };
}

test('nodes agree pairwise keys and a consortium key through a relay that sees only signed public keys and sealed bytes', async () => {
  const names = ['a', 'b', 'c'];
  const { creds } = await federation(names);
  const made = creds.map((c) => makeAdvert(c, context, systemRandom));
  // every node checks every other node's advert
  const keyOf = (i: number, j: number) => pairwiseKey(made[i]!.keys, names[i]!, names[j]!, checkAdvert(made[j]!.advert, names[j]!, context, creds[i]!.caPem), context);
  assert.deepEqual(keyOf(0, 1), keyOf(1, 0));
  assert.deepEqual(keyOf(1, 2), keyOf(2, 1));
  assert.notDeepEqual(keyOf(0, 1), keyOf(0, 2));
  // the first node of the roster draws the consortium key and seals it to the others
  const consortium = systemRandom(32);
  for (const j of [1, 2]) {
    const sealed = sealToPeer(keyOf(0, j), 'consortium key', 'a', names[j]!, consortium, systemRandom);
    assert.deepEqual(openFromPeer(keyOf(j, 0), 'consortium key', 'a', names[j]!, sealed), consortium);
    // misrouted to the other node, or with a flipped bit: refused, naming sender and receiver
    const other = j === 1 ? 2 : 1;
    assert.throws(() => openFromPeer(keyOf(other, 0), 'consortium key', 'a', names[other]!, sealed), /consortium key from a to [bc] fails authentication/);
    const flipped = sealed.slice();
    flipped[flipped.length - 1]! ^= 1;
    assert.throws(() => openFromPeer(keyOf(j, 0), 'consortium key', 'a', names[j]!, flipped), /fails authentication/);
  }
});

test('a coordinator in the middle is caught: substituted key, certificate of another CA or another node, replay from another run', async () => {
  const { creds } = await federation(['a', 'b']);
  const { advert } = makeAdvert(creds[1]!, context, systemRandom);
  const caPem = creds[0]!.caPem;
  assert.deepEqual(checkAdvert(advert, 'b', context, caPem), advert.x25519);
  const mitm = makeAdvert(creds[0]!, context, systemRandom); // the relay's own key pair
  assert.throws(() => checkAdvert({ ...advert, x25519: mitm.keys.publicKey }, 'b', context, caPem), /key advertised for b does not carry its signature/);
  assert.throws(() => checkAdvert({ ...mitm.advert, node: 'b' }, 'b', context, caPem), /certificate for 'CN=a'/);
  const rogue = await federation(['b']);
  const forged = makeAdvert(rogue.creds[0]!, context, systemRandom).advert;
  assert.throws(() => checkAdvert(forged, 'b', context, caPem), /b has a certificate not issued by the federation CA/);
  const otherRun = createHash('sha256').update('run-2').digest();
  assert.throws(() => checkAdvert(advert, 'b', otherRun, caPem), /replay from another run/);
  assert.throws(() => checkAdvert(advert, 'c', context, caPem), /advertised for c names node 'b'/);
});
