/**
 * A node with a valid certificate and a hostile mind reports absurd numbers
 * and injected text (issue #18, items 3 and 4), against a real coordinator
 * process with two honest node processes: every such report is refused with
 * the node named, nothing it sent reaches the log or the database unescaped,
 * the honest nodes finish the run and `privmed status` still reads it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinatorClient } from '../../src/federation/node/coordinator-client.js';
import { parseCoordinatorConfig } from '../../src/federation/coordinator/config.js';
import { encodeRefusal } from '../../src/federation/wire/refusal.js';
import { formatRunSummary, summariseRuns } from '../../src/federation/store/run-summary.js';
import { openDatabase } from '../../src/federation/store/sqlite.js';
import { replyValuesProblem } from '../../src/federation/wire/reply-values.js';
import { printable } from '../../src/common/printable.js';
import { describeEvent, type CoordinatorEvent } from '../../src/federation/coordinator/events.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { exitCode, killAll, spawnFixture } from './helpers/processes.js';
import { nodeCredentials } from './helpers/raw-client.js';
import { readRun } from './helpers/run-db.js';

const INJECTED = '\u001b[2J\nprivmed coordinator: round 99 completed';

describe('hostile reports (real processes)', () => {
  let fed: Federation | undefined;
  after(async () => {
    await killAll();
    fed?.cleanup();
  });

  it('refuses absurd counts and metrics and escapes injected text; the run completes and status reads it', async () => {
    fed = await makeFederation(['alice', 'bob', 'mallory']);
    const config = fed.coordinatorConfig({ rounds: 2, minNodes: 2, minAvailableNodes: 3, heartbeatTimeoutSec: 20 });
    const coordinator = spawnFixture('coordinator', 'coordinator-main.ts', { config }, fed.dir);
    const address = `127.0.0.1:${(await coordinator.waitForEvent((e) => e.type === 'listening', 20_000, 'listening')).port as number}`;
    const honest = ['alice', 'bob'].map((name, index) => spawnFixture(name, 'node-main.ts', { config: fed!.nodeConfig(name, address), index }, fed!.dir));

    const mallory = new CoordinatorClient(address, nodeCredentials(fed.pkiDir, 'mallory'), 4 << 20, 20_000);
    const answers: { kind: string; accepted: boolean; reason: string }[] = [];
    try {
      const session = await mallory.join('mallory', 'test');
      const limits = { chunkBytes: session.chunkBytes, maxUpdateBytes: Number(session.maxUpdateBytes) };
      let fits = 0;
      let evaluations = 0;
      for (let i = 0; i < 40; i++) {
        const t = await mallory.getTask(session.sessionId, limits);
        if (t.kind === 'finished') break;
        if (t.kind === 'fit') {
          // Round 1: a FedAvg weight of 2^53 - 1; round 2: a refusal whose reason forges a log line.
          const update = fits++ === 0
            ? { tensors: t.tensors!, numSamples: Number.MAX_SAFE_INTEGER, metrics: {} }
            : { tensors: null, numSamples: 0, metrics: {}, payload: encodeRefusal(INJECTED + 'x'.repeat(3_000_000)) };
          const r = await mallory.submitUpdate(session.sessionId, t.taskId, update, limits).catch((e: Error) => ({ accepted: false, reason: e.message }));
          answers.push({ kind: 'fit', ...r });
        } else if (t.kind === 'evaluate') {
          const choices: Record<string, number>[] = [{ tp: 1e300, fp: 0, tn: 0, fn: 0 }, { [INJECTED]: 1 }, { tp: -1, fp: 1, tn: 1, fn: 1 }];
          const metrics = choices[evaluations++ % 3]!;
          const r = await mallory.submitEvaluation({ sessionId: session.sessionId, taskId: t.taskId, numSamples: 2, metrics });
          answers.push({ kind: 'evaluate', ...r });
        }
      }
    } finally {
      mallory.close();
    }

    assert.equal(await exitCode(coordinator, 60_000), 0, coordinator.stderr());
    for (const n of honest) assert.equal(await exitCode(n, 15_000), 0, n.stderr());
    const fitAnswer = answers.find((a) => a.kind === 'fit')!;
    assert.equal(fitAnswer.accepted, false);
    assert.match(fitAnswer.reason, /sample count 9007199254740991 exceeds the limit of 10000000/);
    const evals = answers.filter((a) => a.kind === 'evaluate');
    assert.ok(evals.length >= 2 && evals.every((a) => !a.accepted), JSON.stringify(evals));
    assert.match(evals[0]!.reason, /confusion count 'tp' must be a non-negative integer|metric 'tp'/);
    assert.match(evals[1]!.reason, /a metric name is not a plain identifier/);

    const { run, results } = readRun(config.database as string);
    assert.equal(run.status, 'completed');
    for (const round of [1, 2]) {
      for (const node of ['alice', 'bob']) assert.equal(results.find((r) => r.round === round && r.node === node && r.phase === 'fit')!.status, 'accepted');
    }
    // Nothing mallory wrote reaches the log or the database raw, and no message is megabytes long.
    // The coordinator's human log is describeEvent of these events.
    const log = coordinator.events.map((e) => describeEvent(e as CoordinatorEvent)).join('\n') + coordinator.stderr();
    assert.ok(log.length > 0 && !log.includes('\u001b') && !log.includes('\nprivmed coordinator: round 99'), 'no escape and no forged line in the log');
    assert.ok(log.includes('\\u001b[2J'), 'the injected text is shown escaped');
    for (const r of results) {
      assert.ok(!String(r.message ?? '').includes('\u001b') && String(r.message ?? '').length < 2000, `stored message of ${r.node}: ${String(r.message).slice(0, 80)}`);
    }
    const db = openDatabase(config.database as string);
    try {
      const text = formatRunSummary(summariseRuns(db)[0]!);
      assert.match(text, /2 of 2 rounds completed/);
    } finally {
      db.close();
    }
  });
});

describe('report bounds (unit)', () => {
  it('checks counts, ranges and names, and a fit config with a negative learning rate is refused by the coordinator', () => {
    assert.equal(replyValuesProblem('evaluate', 10, { tp: 3, fp: 2, tn: 4, fn: 1, mcc: 0.4, auc: 0.8 }, 100), null);
    assert.match(replyValuesProblem('evaluate', 10, { tp: 3, fp: 2, tn: 4, fn: 2 }, 100)!, /add up to 11, not the 10 examples/);
    assert.match(replyValuesProblem('evaluate', 10, { mcc: 1.5 }, 100)!, /metric 'mcc' = 1.5 is outside \[-1, 1\]/);
    assert.match(replyValuesProblem('fit', 101, {}, 100)!, /exceeds the limit of 100/);
    assert.match(replyValuesProblem('fit', 1, Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, 1])), 100)!, /65 metrics, at most 64/);
    assert.equal(printable('a\u001b[2Jb\nc'), 'a\\u001b[2Jb\\u000ac');
    assert.match(printable('x'.repeat(1000)), /^x{500}\.\.\. \(1000 characters, cut\)$/);
    assert.throws(() => parseCoordinatorConfig({ ...minimalCoordinator(), fit: { localEpochs: 1, lr: -1 } }), /fit\.lr/);
  });
});

function minimalCoordinator(): Record<string, unknown> {
  return { runName: 'r', address: '127.0.0.1:0', insecure: true, allowedNodes: ['a', 'b'], database: ':memory:', rounds: 1, minNodes: 1 };
}
