/**
 * `npm run bench -- NAME [--json] [--quick] [--only PART,...]`. Each bench
 * prints ratios against a baseline measured in the same process (see
 * bench/harness.ts). --only picks parts of a bench that has them (many-nodes).
 */
import { silenceIpServerNameWarning } from '../src/common/warnings.js';
import { makeReporter, type Report } from './harness.js';
import { benchAccounting } from './accounting.js';
import { benchAttack } from './attack.js';
import { benchCkks } from './ckks.js';
import { benchDp } from './dp.js';
import { benchEngine } from './engine.js';
import { benchFederation } from './federation.js';
import { benchIo } from './io.js';
import { benchKernels } from './kernels.js';
import { benchManyNodes } from './many-nodes.js';
import { benchSecAgg } from './secagg.js';
import { benchSmpc } from './smpc.js';
import { benchSeg } from './seg.js';

const BENCHES: Record<string, (report: Report, quick: boolean, only: string[] | null) => Promise<void>> = {
  accounting: (r, quick) => benchAccounting(r, { quick }),
  attack: (r, quick) => benchAttack(r, { quick }),
  ckks: (r, quick) => benchCkks(r, { quick }),
  dp: (r, quick) => benchDp(r, { quick }),
  engine: (r, quick) => benchEngine(r, { quick }),
  federation: (r, quick) => benchFederation(r, { quick }),
  io: (r, quick) => benchIo(r, { quick }),
  kernels: (r) => benchKernels(r),
  'many-nodes': (r, _quick, only) => benchManyNodes(r, only),
  secagg: (r, quick) => benchSecAgg(r, { quick }),
  smpc: (r, quick) => benchSmpc(r, { quick }),
  seg: (r, quick) => benchSeg(r, { quick }),
};

silenceIpServerNameWarning();
const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
// --only A,B or --only=A,B
const onlyAt = args.findIndex((a) => a === '--only' || a.startsWith('--only='));
const onlyArg = onlyAt < 0 ? null : args[onlyAt]!.startsWith('--only=') ? args[onlyAt]!.slice(7) : (args[onlyAt + 1] ?? '');
const only = onlyArg === null ? null : onlyArg.split(',').filter(Boolean);
const names = args.filter((a, i) => !a.startsWith('--') && !(onlyAt >= 0 && args[onlyAt] === '--only' && i === onlyAt + 1));
if (names.length === 0 || names.some((n) => !BENCHES[n]) || (only !== null && only.length === 0)) {
  process.stderr.write(`usage: npm run bench -- NAME [--json] [--quick] [--only PART,...]\n  NAME: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(2);
}
for (const name of names) await BENCHES[name]!(makeReporter(name, json), quick, only);
