/**
 * `privmed attack audit|inversion|membership`: the attacks of src/attacks on
 * real training runs, each writing its results as JSON (and grids as PNG)
 * into --out, where `privmed report --attacks` finds them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { datasetStats } from '../../data/preprocess/normalize.js';
import { SubsetDataset } from '../../data/dataset.js';
import { loadAttackPool, runAudit, runInversion, runMembership, TARGET_KINDS, type TargetKind } from '../../attacks/index.js';
import { printJson } from '../output.js';

const num = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new PrivmedError(`${name}: expected a number, got '${v}'`);
  return n;
};
const int = (name: string, min = 1) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new PrivmedError(`${name}: expected a whole number >= ${min}, got '${v}'`);
  return n;
};
const list = <T>(name: string, parse: (s: string) => T) => (v: string): T[] => {
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new PrivmedError(`${name}: expected a comma-separated list, got '${v}'`);
  return items.map(parse);
};

interface Common {
  data: string;
  out: string;
  seed: number;
  backend: BackendName;
  json: boolean;
}

async function start(o: Common): Promise<(line: string) => void> {
  mkdirSync(o.out, { recursive: true });
  const line = await initBackend(o.backend);
  const log = (s: string): void => void process.stderr.write(s + '\n');
  if (!o.json) log(line);
  return log;
}

function common(c: Command): Command {
  return c
    .option('--data <name|file>', 'MedMNIST name or .npz (a .dcm file for a one-image inversion pool)', 'pneumoniamnist')
    .option('--out <dir>', 'folder for the results (JSON, PNG grids)', 'attack-results')
    .option('--seed <n>', 'seed of the data draws and initial weights (not of any DP noise)', int('--seed', 0), 1)
    .option('--backend <name>', 'wasm, cpu or tensorflow', 'wasm')
    .option('--json', 'print the results as one JSON object', false);
}

export function registerAttackCommand(program: Command): void {
  const attack = program.command('attack').description('attack what privmed protects: gradient inversion, membership inference, and the one-run DP audit');

  common(attack.command('audit'))
    .description('one-run DP audit (Steinke et al. 2023): canaries in a real DP-SGD run; fails when eps_lb exceeds the accountant epsilon')
    .option('--canaries <m>', 'canaries, each included with probability 1/2', int('--canaries', 2), 1000)
    .option('--base <n>', 'non-canary training images', int('--base', 1), 2000)
    .option('--epsilon <eps>', 'target epsilon of the DP-SGD run', num('--epsilon'), 8)
    .option('--delta <d>', 'delta', num('--delta'), 1e-5)
    .option('--clip <c>', 'per-sample clipping norm', num('--clip'), 1)
    .option('--epochs <n>', 'epochs', int('--epochs'), 3)
    .option('--batch-size <n>', 'expected batch size (Poisson)', int('--batch-size'), 64)
    .option('--lr <lr>', 'SGD learning rate (momentum 0.9)', num('--lr'), 0.05)
    .option('--control', 'negative control: the same canaries and attack on a run WITHOUT DP (writes audit-control.json): what the attack detects when nothing is protected', false)
    .option('--claim <eps>', 'with --control: hold the run to this epsilon, as a DP run whose noise silently failed would claim; the audit must then fail', num('--claim'))
    .action(async (o: Common & { canaries: number; base: number; epsilon: number; delta: number; clip: number; epochs: number; batchSize: number; lr: number; control: boolean; claim?: number }) => {
      if (o.claim !== undefined && !o.control) throw new PrivmedError('--claim needs --control: a DP run is held to its own accountant\'s epsilon');
      if (o.claim !== undefined && !(o.claim > 0)) throw new PrivmedError(`--claim: expected an epsilon > 0, got ${o.claim}`);
      const log = await start(o);
      const pool = await loadAttackPool(o.data);
      const audited = await runAudit({ pool: pool.train, canaries: o.canaries, baseSize: o.base, epsilon: o.control ? null : o.epsilon, delta: o.delta, clipNorm: o.clip, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, seed: o.seed, ledger: join(o.out, 'audit-ledger.sqlite') });
      // A claimed epsilon turns the control into the bug the audit exists to catch: a run reporting eps while adding no noise.
      const r = o.claim !== undefined ? { ...audited, epsilon: o.claim, passed: audited.epsLb <= o.claim } : audited;
      const held = o.claim !== undefined;
      const result = { data: pool.name, control: o.control, ...r, epsilon: o.control && !held ? null : r.epsilon, inScores: undefined, outScores: undefined };
      writeFileSync(join(o.out, o.control ? 'audit-control.json' : 'audit.json'), JSON.stringify({ ...result, inScores: r.inScores, outScores: r.outScores }, null, 1));
      if (o.json) printJson(result);
      else
        log(
          `audit: ${r.canaries} canaries (${r.included} included), ${r.trainSize} training images, ${r.steps} ${o.control ? 'SGD steps without DP' : `DP-SGD steps at noise ${r.noiseMultiplier.toFixed(3)}`}\n` +
            `${o.control ? (held ? `no DP (control), held to a claimed epsilon ${r.epsilon}` : 'no DP (control)') : `accountant epsilon ${r.epsilon.toFixed(3)}`} at delta ${r.delta}; empirical lower bound eps_lb ${r.epsLb.toFixed(4)} at ${(1 - r.significance) * 100}% confidence ` +
            `(${r.correct}/${r.guesses} correct guesses, ${r.thresholds} thresholds tried)\n${o.control && !held ? 'control: no DP, no epsilon to hold' : r.passed ? 'PASS: eps_lb <= epsilon' : 'FAIL: eps_lb > epsilon'}`,
        );
      if (!r.passed) throw new PrivmedError(`the audit's lower bound eps_lb ${r.epsLb.toFixed(4)} exceeds the ${held ? 'claimed' : 'accountant\'s'} epsilon ${r.epsilon.toFixed(4)}: the DP guarantee does not hold (a bug)`);
    });

  common(attack.command('inversion'))
    .description('gradient inversion (Geiping et al. 2020) of updates a curious coordinator receives in a real round (or from the site trainer): plain, secagg aggregate, dp, ckks')
    .option('--targets <list>', `targets (${TARGET_KINDS.join(', ')})`, list('--targets', (s) => s as TargetKind), ['plain', 'secagg', 'dp', 'ckks'])
    .option('--batches <list>', 'images per node', list('--batches', int('--batches')), [1, 4])
    .option('--nodes <n>', 'nodes in the secagg aggregate', int('--nodes'), 8)
    .option('--iterations <n>', 'attack iterations per restart', int('--iterations'), 2000)
    .option('--restarts <n>', 'restarts (best objective kept)', int('--restarts'), 2)
    .option('--tv <w>', 'total-variation weight', num('--tv'), 1e-2)
    .option('--noise <sigma>', 'noise multiplier of the dp target', num('--noise'), 1)
    .option('--clip <c>', 'clipping norm of the dp target', num('--clip'), 1)
    .option('--site-lr <lr>', 'the nodes\' SGD learning rate', num('--site-lr'), 0.01)
    .option('--from <source>', 'federation: capture each update in a real round (coordinator here, node processes over mTLS); trainer: the site trainer in this process', 'federation')
    .option('--name <file>', 'results file in --out (default inversion.json, inversion-<size>px.json off 28 px); the report reads every inversion*.json')
    .action(async (o: Common & { targets: TargetKind[]; batches: number[]; nodes: number; iterations: number; restarts: number; tv: number; noise: number; clip: number; siteLr: number; from: string; name?: string }) => {
      if (o.from !== 'federation' && o.from !== 'trainer') throw new PrivmedError(`--from: expected federation or trainer, got '${o.from}'`);
      if (o.name !== undefined && !/^inversion[\w.-]*\.json$/.test(o.name)) throw new PrivmedError(`--name: expected a file name inversion*.json (the report reads those), got '${o.name}'`);
      for (const t of o.targets) if (!TARGET_KINDS.includes(t)) throw new PrivmedError(`--targets: unknown target '${t}' (use ${TARGET_KINDS.join(', ')})`);
      const log = await start(o);
      const pool = await loadAttackPool(o.data);
      // The attack's working space (and, from the trainer, the node's normalisation); a federation's nodes here train on pixels.
      const normalisation = await datasetStats(pool.train.length > 2000 ? new SubsetDataset(pool.train, Array.from({ length: 2000 }, (_, i) => i)) : pool.train);
      if (normalisation.std.some((s) => !(s > 0))) normalisation.std = normalisation.std.map((s) => (s > 0 ? s : 1));
      const resultsFile = o.name ?? `inversion${pool.train.info.height === 28 ? '' : `-${pool.train.info.height}px`}.json`;
      const rows = await runInversion({
        pool: pool.train,
        normalisation,
        targets: o.targets,
        batches: o.batches,
        nodes: o.nodes,
        iterations: o.iterations,
        restarts: o.restarts,
        tv: o.tv,
        lr: o.siteLr,
        seed: o.seed,
        dp: { noiseMultiplier: o.noise, clipNorm: o.clip, delta: 1e-5, ledger: join(o.out, 'inversion-ledger.sqlite') },
        source: o.from as 'federation' | 'trainer',
        outDir: o.out,
        gridPrefix: resultsFile.replace(/\.json$/, ''),
        log: o.json ? undefined : log,
      });
      const settings = { data: pool.name, size: `${pool.train.info.height}x${pool.train.info.width}`, model: 'small-cnn (norm none), round-1 weights', source: o.from, iterations: o.iterations, restarts: o.restarts, tv: o.tv, nodes: o.nodes, noise: o.noise, clip: o.clip };
      writeFileSync(join(o.out, resultsFile), JSON.stringify({ settings, rows }, null, 1));
      if (o.json) printJson({ settings, rows: rows.map((r) => ({ ...r, grid: undefined })) });
      else for (const r of rows) if (r.refused) log(`inversion ${r.target}: refused: ${r.refused}`);
    });

  common(attack.command('membership'))
    .description('membership inference (Yeom loss threshold, offline LiRA) on non-private and DP models trained on random halves')
    .option('--pool <n>', 'training images the halves are drawn from', int('--pool', 4), 1000)
    .option('--models <n>', 'models per setting (even; each is target once, the others its shadows)', int('--models', 4), 6)
    .option('--epochs <n>', 'epochs per model', int('--epochs'), 10)
    .option('--batch-size <n>', 'batch size', int('--batch-size'), 64)
    .option('--lr <lr>', 'SGD learning rate (momentum 0.9)', num('--lr'), 0.05)
    .option('--epsilons <list>', 'DP settings to attack besides the non-private one (none: only the non-private one)', (v: string) => (v === 'none' ? [] : list('--epsilons', num('--epsilons'))(v)), [8, 1])
    .option('--delta <d>', 'delta of the DP models', num('--delta'), 1e-5)
    .option('--clip <c>', 'clipping norm of the DP models', num('--clip'), 1)
    .action(async (o: Common & { pool: number; models: number; epochs: number; batchSize: number; lr: number; epsilons: number[]; delta: number; clip: number }) => {
      const log = await start(o);
      const data = await loadAttackPool(o.data);
      const n = Math.min(o.pool, data.train.length);
      const rows = await runMembership({
        pool: new SubsetDataset(data.train, Array.from({ length: n - (n % 2) }, (_, i) => i)),
        test: data.test ?? undefined,
        models: o.models,
        epochs: o.epochs,
        batchSize: o.batchSize,
        lr: o.lr,
        seed: o.seed,
        settings: [{ name: 'non-private', privacy: null }, ...o.epsilons.map((e) => ({ name: `eps ${e}`, privacy: { epsilon: e, delta: o.delta, clipNorm: o.clip, ledger: join(o.out, 'membership-ledger.sqlite') } }))],
        log: o.json ? undefined : log,
      });
      const settings = { data: data.name, pool: n, models: o.models, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, delta: o.delta, clip: o.clip };
      writeFileSync(join(o.out, 'membership.json'), JSON.stringify({ settings, rows }, null, 1));
      if (o.json) printJson({ settings, rows: rows.map((r) => ({ ...r, yeom: { ...r.yeom, roc: undefined }, lira: { ...r.lira, roc: undefined } })) });
      else
        for (const r of rows)
          log(
            `membership ${r.model}${r.epsilon !== null ? ` (ledger epsilon ${r.epsilon.toFixed(3)}, Yeom bound on advantage ${r.yeomBound!.toPrecision(4)})` : ''}: ` +
              `train acc ${r.trainAccuracy.toFixed(3)}, test acc ${r.testAccuracy.toFixed(3)}; Yeom AUC ${r.yeom.auc.toFixed(4)} TPR@0.1%FPR ${(r.yeom.tprAt01 * 100).toFixed(2)}% adv ${r.yeom.advantage.toFixed(4)}; ` +
              `LiRA AUC ${r.lira.auc.toFixed(4)} TPR@0.1%FPR ${(r.lira.tprAt01 * 100).toFixed(2)}% adv ${r.lira.advantage.toFixed(4)}`,
          );
    });
}
