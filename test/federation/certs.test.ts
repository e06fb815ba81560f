import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerCertsCommand } from '../../src/cli/commands/certs.js';
import { addNode, initPki, nodeCertPaths, pkiPaths } from '../../src/net/certs/pki-files.js';
import { captureStdout } from './helpers/capture-stdout.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const cert = (path: string) => new X509Certificate(readFileSync(path));
const mode = (path: string) => statSync(path).mode & 0o777;

describe('privmed certs', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'privmed-certs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('init creates a CA, a coordinator certificate and one per node, keys 0600', async () => {
    const out = join(dir, 'pki');
    const program = new Command().exitOverride();
    registerCertsCommand(program);
    const printed = await captureStdout(() =>
      program.parseAsync(['node', 'privmed', 'certs', 'init', '--out', out, '--nodes', 'alice,bob,charlie', '--hosts', 'coord.example.org,10.1.2.3']),
    );
    assert.match(printed, /node charlie: /);

    const p = pkiPaths(out);
    const ca = cert(p.caCert);
    assert.ok(ca.ca, 'the CA certificate is a CA');
    const coordinator = cert(p.coordinatorCert);
    assert.ok(coordinator.checkIssued(ca) && coordinator.verify(ca.publicKey), 'coordinator certificate chains to the CA');
    assert.ok(!coordinator.ca);
    assert.deepEqual(coordinator.keyUsage, [SERVER_AUTH]);
    const san = coordinator.subjectAltName!.split(', ').sort();
    assert.deepEqual(san, ['DNS:coord.example.org', 'DNS:localhost', 'IP Address:10.1.2.3', 'IP Address:127.0.0.1']);
    assert.ok(coordinator.checkIP('127.0.0.1') && coordinator.checkHost('localhost'));

    for (const name of ['alice', 'bob', 'charlie']) {
      const n = nodeCertPaths(out, name);
      const c = cert(n.cert);
      assert.equal(c.subject, `CN=${name}`);
      assert.ok(c.checkIssued(ca) && c.verify(ca.publicKey), `${name} chains to the CA`);
      assert.deepEqual(c.keyUsage, [CLIENT_AUTH]);
      assert.equal(mode(n.key), 0o600);
      assert.ok(c.checkPrivateKey(createPrivateKey(readFileSync(n.key))), `${name}'s key matches its certificate`);
    }
    assert.equal(mode(p.caKey), 0o600);
    assert.equal(mode(p.coordinatorKey), 0o600);
  });

  it('refuses to overwrite, and rejects unsafe node names', async () => {
    const out = join(dir, 'again');
    await initPki({ outDir: out, nodes: ['alice'] });
    await assert.rejects(initPki({ outDir: out, nodes: ['alice'] }), /refusing to overwrite .*ca\.crt/);
    await assert.rejects(initPki({ outDir: join(dir, 'bad'), nodes: ['../etc'] }), /invalid node name '\.\.\/etc'/);
    await assert.rejects(initPki({ outDir: join(dir, 'dup'), nodes: ['a', 'a'] }), /given twice/);
  });

  it('--force rewrites keys with 0600 even if they were readable before', async () => {
    const out = join(dir, 'force');
    await initPki({ outDir: out, nodes: ['alice'] });
    const key = nodeCertPaths(out, 'alice').key;
    writeFileSync(key, 'x', { mode: 0o644 });
    (await import('node:fs')).chmodSync(key, 0o644);
    await initPki({ outDir: out, nodes: ['alice'], force: true });
    assert.equal(mode(key), 0o600);
  });

  it('add-node issues a certificate from the existing CA', async () => {
    const out = join(dir, 'grow');
    await initPki({ outDir: out, nodes: ['alice'] });
    const program = new Command().exitOverride();
    registerCertsCommand(program);
    await captureStdout(() => program.parseAsync(['node', 'privmed', 'certs', 'add-node', '--dir', out, '--name', 'dave']));
    const dave = cert(nodeCertPaths(out, 'dave').cert);
    assert.equal(dave.subject, 'CN=dave');
    assert.ok(dave.verify(cert(pkiPaths(out).caCert).publicKey));
    assert.equal(mode(nodeCertPaths(out, 'dave').key), 0o600);
    await assert.rejects(addNode(join(dir, 'nothing-here'), 'eve'), /ca\.crt not found/);
  });
});
