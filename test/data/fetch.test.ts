import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fetchDataset, type RemoteFile } from '../../src/data/fetch.js';

/** A loopback server standing in for Zenodo; counts requests. */
async function serve(body: Buffer): Promise<{ url: string; hits: () => number; close: () => void }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/x.npz`, hits: () => hits, close: () => server.close() };
}

test('fetch verifies the MD5, caches, and re-downloads a corrupt copy', async () => {
  const body = Buffer.from('pretend npz contents');
  const srv = await serve(body);
  try {
    const root = mkdtempSync(join(tmpdir(), 'privmed-fetch-'));
    const remote: RemoteFile = { name: 'x', file: 'x/x.npz', urls: [srv.url], md5: createHash('md5').update(body).digest('hex') };
    const first = await fetchDataset(remote, root);
    assert.equal(first.cached, false);
    assert.equal(srv.hits(), 1);
    const second = await fetchDataset(remote, root);
    assert.equal(second.cached, true);
    assert.equal(srv.hits(), 1);
    writeFileSync(first.path, 'corrupted');
    const third = await fetchDataset(remote, root);
    assert.equal(third.cached, false);
    assert.equal(srv.hits(), 2);
  } finally {
    srv.close();
  }
});

test('a checksum mismatch fails and leaves no file behind', async () => {
  const srv = await serve(Buffer.from('tampered'));
  try {
    const root = mkdtempSync(join(tmpdir(), 'privmed-fetch-'));
    const remote: RemoteFile = { name: 'y', file: 'y/y.npz', urls: [srv.url], md5: '28209eda62fecd6e6a2d98b1501bb15f' };
    await assert.rejects(fetchDataset(remote, root), /could not fetch y: .*MD5 .* does not match the published 28209eda/);
    assert.equal(existsSync(join(root, 'y/y.npz')), false);
    assert.deepEqual(readdirSync(join(root, 'y')), []);
  } finally {
    srv.close();
  }
});
