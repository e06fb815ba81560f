import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FederationView } from '../../src/cli/live/federation-view.js';
import { LiveFederation } from '../../src/cli/live/live-federation.js';
import { StatusArea } from '../../src/cli/live/status-area.js';
import type { CoordinatorEvent } from '../../src/federation/coordinator/events.js';
import { eventLine, parseEventLine } from '../../src/simulation/event-lines.js';
import { FakeTty } from '../helpers/fake-tty.js';

const T0 = 1_000_000;
const sites = ['hospital-1', 'hospital-2'];
const view = () => new FederationView({ runName: 'demo-x', protocol: 'secagg', totalRounds: 4, sites, metric: 'mcc', now: T0 });

/** Round 1 of a two-site run, as the coordinator reports it. */
const round1: CoordinatorEvent[] = [
  { type: 'node-joined', node: 'hospital-1', rejoined: false },
  { type: 'node-joined', node: 'hospital-2', rejoined: false },
  { type: 'run-started', runName: 'demo-x', resumedAfterRound: null, totalRounds: 4 },
  { type: 'round-started', round: 1, attempt: 1, nodes: sites },
  { type: 'result', round: 1, attempt: 1, node: 'hospital-1', phase: 'fit', status: 'accepted' },
  { type: 'result', round: 1, attempt: 1, node: 'hospital-2', phase: 'fit', status: 'dropped', reason: 'deadline passed' },
];
const completed1: CoordinatorEvent = { type: 'round-completed', round: 1, attempt: 1, fitMetrics: { loss: 0.5, nodes: 1 }, evalMetrics: { auc: 0.8765, mcc: 0.4321, loss: 0.4444 }, best: true };

test('the live view shows the run, each site, the latest global metrics and the best round', () => {
  const v = view();
  const before = v.render(T0);
  assert.match(before[0]!, /^run demo-x \| secagg \| rounds 0\/4 \| starting \| elapsed 0:00 \| ETA --:--$/);
  assert.match(before[1]!, /hospital-1 +offline +waiting/);
  assert.equal(before[3], 'global: no round completed yet');
  for (const e of round1) v.coordinator(e, T0 + 10_000);
  const mid = v.render(T0 + 20_000);
  assert.match(mid[1]!, /hospital-1 +connected +round 1 uploaded/);
  assert.match(mid[2]!, /hospital-2 +connected +round 1 dropped/);
  assert.equal(mid[4], 'last: hospital-2 fit dropped: deadline passed');
  v.coordinator(completed1, T0 + 40_000);
  const after = v.render(T0 + 40_000);
  assert.match(after[0]!, /rounds 1\/4 \| round 1 done \| elapsed 0:40 \| ETA 1:30$/, 'ETA: 30 s per round since the run started, 3 rounds left');
  assert.match(after[1]!, /round 1 done/);
  assert.equal(v.unfinished(), 'stopped at: round 1 done; best round 1 (mcc 0.4321)');
  v.coordinator({ type: 'run-finished', status: 'completed', message: '1 rounds completed' }, T0 + 41_000);
  assert.equal(v.unfinished(), null, 'a finished run needs no stop line');
  assert.match(after[3]!, /^global round 1: AUC 0\.8765 {2}MCC 0\.4321 {2}loss 0\.4444 {2}\| best round 1 \(mcc 0\.4321\)$/);
});

test('node events refine a site: training, samples and epsilon; a late coordinator event does not move it back', () => {
  const v = view();
  v.node('hospital-1', { type: 'site-opened', trainImages: 1193, valImages: 130 });
  assert.match(v.render(T0)[1]!, /1193 images$/);
  v.node('hospital-1', { type: 'joined', rejoined: false });
  v.node('hospital-1', { type: 'task', kind: 'fit', round: 2 });
  assert.match(v.render(T0)[1]!, /connected +round 2 training/);
  v.node('hospital-1', { type: 'fit-progress', batches: 12, totalBatches: 38 });
  assert.match(v.render(T0)[1]!, /round 2 training 12\/38 batches/);
  v.node('hospital-1', { type: 'fit-done', numSamples: 1184, epsilon: 1.2345 });
  assert.doesNotMatch(v.render(T0)[1]!, /batches/, 'progress ends with the fit');
  v.node('hospital-1', { type: 'task', kind: 'evaluate', round: 2 });
  v.coordinator({ type: 'round-started', round: 2, attempt: 1, nodes: sites }, T0);
  const line = v.render(T0)[1]!;
  assert.match(line, /round 2 evaluating +eps 1\.23 +1184 samples$/);
  v.node('hospital-2', { type: 'submitted', kind: 'fit', round: 2, accepted: false, reason: 'budget spent' });
  assert.match(v.render(T0)[2]!, /round 2 refused/);
});

test('on a TTY the live federation draws the view, keeps round results above it and writes every log line to its file', () => {
  const tty = new FakeTty(true, 60);
  const log = join(mkdtempSync(join(tmpdir(), 'privmed-live-')), 'demo.log');
  let now = T0;
  const live = new LiveFederation(new StatusArea(tty, { minIntervalMs: 0, now: () => now }), view(), log, () => now);
  live.start();
  live.log('privmed coordinator: listening on 127.0.0.1:1 (mutual TLS)');
  for (const e of round1) live.coordinatorEvent(e);
  now += 40_000;
  live.coordinatorEvent(completed1);
  const screen = tty.screen();
  assert.equal(screen[0], `full log: ${log}`);
  assert.match(screen[1]!, /^round 1\/4 completed: AUC 0\.8765  MCC 0\.4321  loss 0\.4444  \(best so far\)$/, 'the round result stays on screen');
  assert.match(screen[2]!, /^run demo-x \| secagg \| rounds 1\/4/);
  assert.ok(screen.slice(2).every((l) => l.length < 60), 'live lines fit the 60 columns');
  assert.ok(!screen.some((l) => l.includes('listening on')), 'log lines go to the file, not the screen');
  live.finish();
  live.close();
  const end = tty.screen();
  assert.equal(end.at(-1), `full log: ${log}`);
  assert.match(end.at(-2)!, /^stopped at: round 1 done; best round 1 \(mcc 0\.4321\)$/, 'a run that did not report its end says where it stopped');
  assert.ok(!end.some((l) => l.startsWith('run demo-x')), 'the live view is cleared at the end');
  const file = readFileSync(log, 'utf8');
  assert.match(file, /^privmed coordinator: listening on 127\.0\.0\.1:1 \(mutual TLS\)$/m);
});

test('event lines round-trip and ordinary log lines are not events', () => {
  const e: CoordinatorEvent = { type: 'node-joined', node: 'hospital-1', rejoined: true };
  assert.deepEqual(parseEventLine(eventLine(e)), e);
  assert.equal(parseEventLine('privmed coordinator: node hospital-1 joined'), null);
  assert.equal(parseEventLine(eventLine(e).slice(0, 30)), null, 'a garbled event line is dropped');
});

test('the coordinator alone shows what a node released in the clear: its samples and epsilon', () => {
  const v = view();
  v.coordinator({ type: 'round-started', round: 1, attempt: 1, nodes: sites }, T0);
  v.coordinator({ type: 'result', round: 1, attempt: 1, node: 'hospital-2', phase: 'fit', status: 'accepted', numSamples: 640, epsilon: 2.5 }, T0);
  assert.match(v.render(T0)[2]!, /round 1 uploaded +eps 2\.50 +640 samples$/);
});
