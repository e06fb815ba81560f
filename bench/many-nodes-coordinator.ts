/**
 * The coordinator process of bench/many-nodes.ts: runs a federation from the
 * JSON spec file in argv[2] ({ config, length }) with a one-tensor model of
 * `length` zeros, and prints one line `RESULT <json>`: the run's outcome, its
 * resident memory once listening (before any round) and its peak
 * (process.resourceUsage().maxRSS), and each round's wall time.
 */
import { readFileSync } from 'node:fs';
import { startCoordinator } from '../src/federation/coordinator/run-coordinator.js';
import { silenceIpServerNameWarning } from '../src/common/warnings.js';

silenceIpServerNameWarning();
const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { config: unknown; length: number };
const roundMs: number[] = [];
let roundStart = 0;
let rssListening = 0;
const handle = await startCoordinator(spec.config, {
  // PRIVMED_MANY_LOG=1: the coordinator's log on stderr (to see where a run waits).
  log: process.env.PRIVMED_MANY_LOG ? undefined : false,
  initialWeights: [{ name: 'w', shape: [spec.length], data: new Float32Array(spec.length) }],
  onEvent: (e) => {
    if (e.type === 'round-started' && e.attempt === 1) roundStart = performance.now();
    if (e.type === 'round-completed') roundMs.push(performance.now() - roundStart);
  },
});
rssListening = process.memoryUsage().rss;
process.stdout.write(`PORT ${handle.port}\n`);
const result = await handle.finished;
const peakRss = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`RESULT ${JSON.stringify({ status: result.status, message: result.message, rssListening, peakRss, roundMs })}\n`);
