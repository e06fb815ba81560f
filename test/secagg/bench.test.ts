import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchSecAgg, type BenchResult } from '../../bench/secagg.js';

test('the quick secure-aggregation bench reports every configuration within the byte budget', async () => {
  const results: BenchResult[] = [];
  await benchSecAgg((r) => results.push(r), { quick: true });
  const byMetric = new Map(results.map((r) => [r.metric, r]));
  for (const n of [3, 10, 50]) {
    for (const metric of ['node_sent_bytes', 'coordinator_ms', 'node_cpu_ms', 'round_extra_ms']) {
      const r = byMetric.get(`secagg.n${n}.d0.3M.${metric}`);
      assert.ok(r && Number.isFinite(r.value), `missing secagg.n${n}.d0.3M.${metric}`);
    }
    const sent = byMetric.get(`secagg.n${n}.d0.3M.node_sent_bytes`)!;
    if (n <= 10) assert.ok(sent.value <= 1.1 * sent.baseline!, `n=${n}: ${sent.value} bytes vs plain ${sent.baseline}`);
  }
});
