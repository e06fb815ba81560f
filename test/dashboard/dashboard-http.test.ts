/**
 * The dashboard without a browser: a live federation pushes its state over
 * server-sent events while it runs (the round counter advances), the JSON and
 * the charts hold what the run store and the federation ledger hold, every
 * path needs the token, nothing can be written, a non-loopback bind without
 * TLS is refused, TLS works, and `privmed dashboard --db` serves the finished run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { startDashboard } from '../../src/dashboard/server.js';
import { RunSnapshots, type DashboardSnapshot } from '../../src/dashboard/snapshot.js';
import { pkiPaths } from '../../src/net/certs/pki-files.js';
import { BUDGET, ROUNDS, SITES, startLiveFederation, type LiveFederation } from './helpers/live-federation.js';
import { readEvents } from './helpers/sse.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

describe('dashboard over HTTP (live federation, no browser)', () => {
  let live: LiveFederation;
  let base: string;
  let token: string;
  const seen: DashboardSnapshot[] = [];

  before(async () => {
    live = await startLiveFederation();
    token = live.dashboard.token;
    base = `http://127.0.0.1:${live.dashboard.port}`;
    // Subscribed before the nodes start: the stream shows the whole run.
    const stream = readEvents(`${base}/api/events?token=${token}`, (s) => seen.push(s), (s) => s.run?.status === 'completed', 240_000);
    const result = await live.run();
    assert.equal(result.status, 'completed', result.message);
    await stream;
  });
  after(() => live.close());

  it('pushed the run as it went: the round counter advanced to the last round', () => {
    const rounds = seen.map((s) => s.run?.roundsCompleted ?? 0);
    assert.ok(rounds.length >= 3, `${rounds.length} updates`);
    for (let i = 1; i < rounds.length; i++) assert.ok(rounds[i]! >= rounds[i - 1]!, `never backwards: ${rounds.join(',')}`);
    assert.equal(rounds[0], 0);
    assert.equal(rounds.at(-1), ROUNDS);
    assert.ok(new Set(rounds).size >= 3, `intermediate rounds were pushed: ${rounds.join(',')}`);
    assert.ok(seen.some((s) => s.sites.some((x) => x.roundStatus === 'training')), 'a round was seen in progress');
  });

  it('serves the sites, rounds, metrics, privacy ledger, configuration and log', async () => {
    const res = await fetch(`${base}/api/state`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const s = (await res.json()) as DashboardSnapshot;
    assert.equal(s.mode, 'live');
    assert.deepEqual(s.sites.map((x) => [x.node, x.connected]), SITES.map((n) => [n, true]));
    for (const site of s.sites) {
      assert.equal(site.dataSize, 32, 'the expected DP sample count the node released');
      assert.ok(site.lastSeen && Date.parse(site.lastSeen) > 0);
    }
    assert.deepEqual(s.rounds.map((r) => [r.round, r.status, r.participants, r.protocol]), [1, 2, 3].map((r) => [r, 'completed', SITES, 'plain']));
    assert.ok(s.rounds.every((r) => r.durationSec !== null && r.durationSec > 0 && r.evalMetrics && Number.isFinite(r.evalMetrics.mcc)));
    // Metrics: one global series and one per site, three points each.
    for (const k of ['loss', 'auc', 'mcc'] as const) {
      assert.equal((s.charts[k].match(/<path /g) ?? []).length >= 4, true, `${k}: global + 3 sites`);
      assert.ok((s.charts[k].match(/<circle /g) ?? []).length >= 4 * ROUNDS, k);
    }
    // Privacy: the federation ledger per site grows with the rounds, under the budget line.
    assert.deepEqual(s.privacy.sites.map((p) => [p.site, p.source]), SITES.map((n) => [n, 'ledger']));
    assert.ok(s.privacy.sites.every((p) => p.epsilon > 0 && p.epsilon < BUDGET));
    assert.equal(s.privacy.budget, BUDGET);
    assert.match(s.charts.epsilon, /class="budget"/);
    assert.match(s.charts.epsilon, /alice \(federation ledger\)/);
    assert.match(s.charts.epsilon, /alice \(reported by node\)/);
    assert.equal((s.config as { runName: string }).runName, 'test-run');
    assert.ok(s.log.some((l) => /round 3 completed/.test(l)) && s.log.some((l) => /node bob joined/.test(l)), s.log.join('\n'));
    const page = await fetch(`${base}/?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.match(await page.text(), new RegExp(`app\\.js\\?token=${token}`));
  });

  it('answers 401 without the token or with a wrong one, on every path; 405 to anything but reading', async () => {
    for (const path of ['/', '/app.js', '/api/state', '/api/events', '/nothing']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 401, path);
      assert.match(await res.text(), /access token/);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="privmed dashboard"');
    }
    assert.equal((await fetch(`${base}/api/state?token=${token}x`)).status, 401);
    assert.equal((await fetch(`${base}/api/state`, { headers: { Authorization: `Bearer ${token.slice(1)}` } })).status, 401);
    assert.equal((await fetch(`${base}/api/state`, { headers: { Authorization: `Basic ${token}` } })).status, 401);
    for (const method of ['POST', 'PUT', 'DELETE']) assert.equal((await fetch(`${base}/api/state?token=${token}`, { method })).status, 405, method);
  });

  it('refuses a non-loopback bind without TLS, and serves HTTPS with a certificate', async () => {
    const snapshots = new RunSnapshots(live.database);
    await assert.rejects(startDashboard({ host: '0.0.0.0', port: 0, snapshots }), /refuses to listen on 0\.0\.0\.0 without TLS: its access token would travel in the clear/);
    const p = pkiPaths(live.fed.pkiDir);
    const secure = await startDashboard({ host: '127.0.0.1', port: 0, snapshots, tls: { cert: p.coordinatorCert, key: p.coordinatorKey } });
    try {
      assert.match(secure.url, /^https:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const status = await new Promise<number>((resolve, reject) =>
        get(`${secure.url.replace('/?', '/api/state?')}`, { ca: readFileSync(p.caCert), timeout: 10_000 }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject),
      );
      assert.equal(status, 200);
    } finally {
      await secure.close();
    }
  });

  it('privmed dashboard --db serves the finished run, printing its URL and token', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'dashboard', '--db', live.database, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let err = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL within 60 s: ${err}`)), 60_000);
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /privmed dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=(\S+))\n[^]*access token (\S+) /.exec(err);
          if (m) (clearTimeout(timer), assert.equal(m[2], m[3]), resolve(m[1]!));
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      const s = (await (await fetch(url.replace('/?', '/api/state?'))).json()) as DashboardSnapshot;
      assert.equal(s.mode, 'database');
      assert.equal(s.run?.status, 'completed');
      assert.equal(s.run?.roundsCompleted, ROUNDS);
      assert.deepEqual(s.sites.map((x) => [x.node, x.connected]), SITES.map((n) => [n, null]));
      assert.ok(s.log.some((l) => /round 3 attempt 1 completed/.test(l)));
      assert.equal((await fetch(url.replace(/\?token=.*/, 'api/state'))).status, 401);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
