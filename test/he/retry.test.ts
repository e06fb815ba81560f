import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemRandom } from '../../src/crypto/random.js';
import { HeError, ShareLedger, decryptionShare, partialKey, wordsPayload } from '../../src/he/index.js';
import { heContext, setupCommittee } from './helpers.js';

test('retry returns the identical share, across a restart; another active set or a worn-out key is refused', async (t) => {
  const he = await heContext();
  const dir = mkdtempSync(join(tmpdir(), 'privmed-he-ledger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = setupCommittee(he, 3, 2, 'retry');
  const c1 = new Uint32Array(2 * he.data.n * he.data.q.length);
  c1.set(c.keyShares.get(1)!); // any data-level polynomial will do as the aggregate's c1
  const aggregate = createHash('sha256').update('run/round 1/aggregate').digest();
  const hex = aggregate.toString('hex');
  let made = 0;
  const make = () => {
    made++;
    const dec = partialKey(he, c.keyShares.get(2)!, 2, [2, 3]);
    const share = decryptionShare(he, dec, c1, { consortiumKey: c.consortiumKey, aggregateId: aggregate, active: [2, 3], holder: 2, chunk: 0 }, systemRandom);
    dec.delete();
    return Uint8Array.from(wordsPayload(share));
  };
  const ledger = new ShareLedger(dir, 'key-1', 5);
  const first = ledger.shares(hex, [2, 3], 2, make);
  assert.deepEqual(ledger.shares(hex, [3, 2], 2, make), first);
  assert.equal(made, 2);
  assert.notDeepEqual(make(), first[0], 'a fresh computation differs (new smudging noise): that is what a retry must not send');
  made = 0;
  const restarted = new ShareLedger(dir, 'key-1', 5);
  assert.deepEqual(restarted.shares(hex, [2, 3], 2, make), first);
  assert.equal(made, 0);
  assert.equal(restarted.decryptions, 2);
  assert.throws(() => restarted.shares(hex, [1, 2], 2, make), (e: unknown) => e instanceof HeError && e.code === 'refused' && /under active set \[2, 3\]/.test(e.message));
  const other = createHash('sha256').update('run/round 2/aggregate').digest('hex');
  restarted.shares(other, [1, 2], 3, () => new Uint8Array(8));
  assert.throws(() => restarted.shares(createHash('sha256').update('3').digest('hex'), [1, 2], 1, make), (e: unknown) => e instanceof HeError && e.code === 'refused' && /budget of 5/.test(e.message));
  assert.throws(() => new ShareLedger(dir, 'key-2', 5), /belongs to key key-1/);
});

test('a retry that arrives while the shares are still being made gets the same shares, made once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-he-ledger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ledger = new ShareLedger(dir, 'key-1', 10);
  const hex = createHash('sha256').update('in flight').digest('hex');
  let made = 0;
  const makeAll = async () => {
    made++;
    await new Promise((r) => setTimeout(r, 20));
    return [systemRandom(16), systemRandom(16)];
  };
  const [a, b] = await Promise.all([ledger.sharesAsync(hex, [1, 2], 2, makeAll), ledger.sharesAsync(hex, [2, 1], 2, makeAll)]);
  assert.equal(made, 1);
  assert.deepEqual(a, b);
  assert.deepEqual(await ledger.sharesAsync(hex, [1, 2], 2, makeAll), a, 'later: from disk');
  assert.equal(ledger.decryptions, 2, 'counted once');
  await assert.rejects(() => ledger.sharesAsync(hex, [1, 3], 2, makeAll), /refusing set/);
});
