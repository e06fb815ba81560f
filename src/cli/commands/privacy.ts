/**
 * `privmed privacy ...`: epsilon of a DP-SGD run, the noise for a budget, and
 * the privacy ledger's per-site report. With --json each prints exactly one
 * JSON object on one line (other tools parse it); without, readable lines.
 * Bad flags throw PrivmedError naming the flag, what was expected and what came.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import {
  ACCOUNTANT_NAMES,
  PrivacyLedger,
  calibrateNoise,
  explainEpsilon,
  type AccountantName,
  type EpsilonReport,
  type LedgerHead,
  type LedgerReport,
  type Sampling,
} from '../../accounting/index.js';

/** Where command output goes; tests pass their own. */
export interface PrivacyCommandOutput {
  write(line: string): void;
}

const stdout: PrivacyCommandOutput = { write: (line) => process.stdout.write(line + '\n') };

export function registerPrivacyCommands(program: Command, output: PrivacyCommandOutput = stdout): void {
  const privacy = program.command('privacy').description('differential privacy accounting: epsilon, noise calibration, the privacy ledger');

  privacy
    .command('epsilon')
    .description('epsilon spent by a DP-SGD run (subsampled Gaussian mechanism)')
    .option('--accountant <name>', "rdp (guaranteed bound), prv (tighter bound, Poisson only) or gdp (CLT approximation)", 'rdp')
    .option('--sample-rate <q>', 'probability a record is in a batch (batch size / dataset size)')
    .option('--noise-multiplier <sigma>', 'noise standard deviation / clipping norm')
    .option('--steps <T>', 'number of steps (batches)')
    .option('--delta <delta>', 'target delta, e.g. 1e-5')
    .option('--sampling <how>', 'poisson (variable batches) or uniform (fixed-size batches)', 'poisson')
    .option('--eps-error <e>', 'prv only: width of the guaranteed interval (default 0.01)')
    .option('--json', 'print one JSON object')
    .action((flags: Record<string, string | boolean | undefined>) => {
      const accountant = accountantFlag(flags.accountant);
      const sampling = samplingFlag(flags.sampling);
      const sampleRate = numberFlag('--sample-rate', flags.sampleRate, { min: 0, minInclusive: false, max: 1, what: 'a number in (0, 1]' });
      const noiseMultiplier = numberFlag('--noise-multiplier', flags.noiseMultiplier, { min: 0, minInclusive: false, what: 'a number > 0' });
      const steps = integerFlag('--steps', flags.steps);
      const delta = deltaFlag(flags.delta);
      const epsError = flags.epsError === undefined ? undefined : numberFlag('--eps-error', flags.epsError, { min: 0, minInclusive: false, what: 'a number > 0' });
      const report = explainEpsilon([{ noiseMultiplier, sampleRate, steps, sampling }], delta, accountant, epsError ? { prv: { epsError } } : {});
      if (flags.json) {
        output.write(JSON.stringify({ ...report, sampleRate, noiseMultiplier, steps, sampling }));
      } else {
        const note =
          sampling === 'uniform' && accountant === 'rdp'
            ? '; fixed-size batches are accounted under replace-one neighbours, where one record moves the gradient sum by twice the clipping norm'
            : '';
        output.write(describeEpsilon(report) + note);
      }
    });

  privacy
    .command('noise')
    .description('smallest noise multiplier that keeps a DP-SGD run within a target epsilon')
    .option('--accountant <name>', 'rdp, prv or gdp (as for epsilon)', 'rdp')
    .option('--sample-rate <q>', 'probability a record is in a batch')
    .option('--steps <T>', 'number of steps (or give --epochs)')
    .option('--epochs <E>', 'number of epochs; steps = floor(E / sample rate)')
    .option('--delta <delta>', 'target delta, e.g. 1e-5')
    .option('--target-epsilon <eps>', 'the epsilon budget of the run')
    .option('--sampling <how>', 'poisson or uniform', 'poisson')
    .option('--json', 'print one JSON object')
    .action((flags: Record<string, string | boolean | undefined>) => {
      const accountant = accountantFlag(flags.accountant);
      const sampling = samplingFlag(flags.sampling);
      const sampleRate = numberFlag('--sample-rate', flags.sampleRate, { min: 0, minInclusive: false, max: 1, what: 'a number in (0, 1]' });
      if (flags.steps !== undefined && flags.epochs !== undefined) {
        throw new PrivmedError('--steps and --epochs: expected one of them, got both');
      }
      const epochs =
        flags.epochs === undefined ? undefined : numberFlag('--epochs', flags.epochs, { min: 0, minInclusive: false, what: 'a number > 0' });
      const steps = epochs === undefined ? integerFlag('--steps', flags.steps) : undefined;
      const delta = deltaFlag(flags.delta);
      const targetEpsilon = numberFlag('--target-epsilon', flags.targetEpsilon, { min: 0, minInclusive: false, what: 'a number > 0' });
      const found = calibrateNoise({ targetEpsilon, delta, sampleRate, steps, epochs, accountant, sampling });
      // Full-batch Gaussians are exactly GDP; anything subsampled is the CLT approximation.
      const approximation = accountant === 'gdp' ? { approximation: sampleRate === 1 ? ('exact' as const) : ('CLT' as const) } : {};
      if (flags.json) {
        output.write(JSON.stringify({ ...found, accountant, delta, targetEpsilon, sampleRate, sampling, ...approximation }));
      } else {
        output.write(
          `noise multiplier ${found.noiseMultiplier} gives epsilon ${fmt(found.epsilon)} <= ${targetEpsilon} at delta ${delta} ` +
            `over ${found.steps} steps at sample rate ${sampleRate} (${accountant} accountant${'approximation' in approximation && approximation.approximation === 'CLT' ? ', CLT APPROXIMATION, not a guaranteed bound' : ''})`,
        );
      }
    });

  privacy
    .command('report')
    .description("the privacy ledger's epsilon per site, and the maximum over sites")
    .option('--ledger <file>', 'the ledger SQLite file')
    .option('--delta <delta>', 'delta to report epsilon at', '1e-5')
    .option('--accountant <name>', 'rdp, prv or gdp', 'rdp')
    .option('--json', 'print one JSON object')
    .action((flags: Record<string, string | boolean | undefined>) => {
      if (typeof flags.ledger !== 'string' || flags.ledger === '') {
        throw new PrivmedError('--ledger: expected the path of a privacy ledger file, got nothing');
      }
      if (!existsSync(flags.ledger)) throw new PrivmedError(`--ledger: expected an existing ledger file, got '${flags.ledger}' (file not found)`);
      const delta = deltaFlag(flags.delta);
      const accountant = accountantFlag(flags.accountant);
      const ledger = PrivacyLedger.open(flags.ledger, { mustExist: true });
      let report: LedgerReport;
      let head: LedgerHead;
      try {
        // An edited chain is refused here: a report over rewritten entries would understate what was spent.
        head = ledger.head();
        report = ledger.report(delta, accountant);
      } finally {
        ledger.close();
      }
      if (flags.json) output.write(JSON.stringify({ ledger: flags.ledger, ...report, head }));
      else {
        const lines = describeLedger(flags.ledger, report);
        lines.splice(-1, 0, `hash chain: ${head.entries} entries, head ${head.hash} (record it to detect a deleted or rewritten ledger later)`);
        for (const line of lines) output.write(line);
      }
    });
}

function describeEpsilon(r: EpsilonReport): string {
  const head = `epsilon ${r.accountant === 'gdp' && r.approximation === 'CLT' ? '~' : '<='} ${fmt(r.epsilon)} at delta ${r.delta}`;
  switch (r.accountant) {
    case 'rdp':
      return `${head} (rdp accountant: guaranteed upper bound, best RDP order ${r.order}, ${r.conversion} conversion)`;
    case 'prv':
      return `${head} (prv accountant: guaranteed upper bound; estimate ${fmt(r.estimate)}, true epsilon in [${fmt(r.lower)}, ${fmt(r.upper)}])`;
    case 'gdp':
      return r.approximation === 'CLT'
        ? `${head} (gdp accountant: CLT APPROXIMATION, not a guaranteed bound; mu = ${fmt(r.mu)})`
        : `${head} (gdp accountant: exact, mu = ${fmt(r.mu)})`;
  }
}

function describeLedger(file: string, r: LedgerReport): string[] {
  const kind = r.approximation === 'CLT' ? 'CLT APPROXIMATION, not a guaranteed bound' : 'guaranteed upper bounds';
  const lines = [`privacy ledger ${file}: epsilon per site at delta ${r.delta} (${r.accountant} accountant, ${kind})`];
  if (r.sites.length === 0) lines.push('  no releases recorded');
  for (const s of r.sites) {
    const parts = s.pureEpsilon > 0 ? ` (${fmt(s.accountantEpsilon)} Gaussian + ${fmt(s.pureEpsilon)} pure)` : '';
    const budget = s.budget ? `, budget ${s.budget.epsilon}` : '';
    lines.push(`  ${s.site}: epsilon ${fmt(s.epsilon)}${parts} over ${s.releases} release${s.releases === 1 ? '' : 's'}${budget}`);
  }
  if (r.maxSite !== null) lines.push(`  max over sites: epsilon ${fmt(r.maxEpsilon)} (${r.maxSite})`);
  return lines;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

function shown(raw: unknown): string {
  return raw === undefined || raw === true ? 'nothing' : `'${String(raw)}'`;
}

function numberFlag(
  flag: string,
  raw: unknown,
  range: { min?: number; minInclusive?: boolean; max?: number; what: string },
): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  const belowMin = range.min !== undefined && (range.minInclusive === false ? !(value > range.min) : !(value >= range.min));
  const aboveMax = range.max !== undefined && !(value <= range.max);
  if (!Number.isFinite(value) || belowMin || aboveMax) throw new PrivmedError(`${flag}: expected ${range.what}, got ${shown(raw)}`);
  return value;
}

function integerFlag(flag: string, raw: unknown): number {
  const value = numberFlag(flag, raw, { min: 1, what: 'a whole number >= 1' });
  if (!Number.isSafeInteger(value)) throw new PrivmedError(`${flag}: expected a whole number >= 1, got ${shown(raw)}`);
  return value;
}

function deltaFlag(raw: unknown): number {
  const value = numberFlag('--delta', raw, { min: 0, minInclusive: false, max: 1, what: 'a number in (0, 1), e.g. 1e-5' });
  if (value === 1) throw new PrivmedError(`--delta: expected a number in (0, 1), e.g. 1e-5, got ${shown(raw)}`);
  return value;
}

function accountantFlag(raw: unknown): AccountantName {
  if (typeof raw === 'string' && (ACCOUNTANT_NAMES as readonly string[]).includes(raw)) return raw as AccountantName;
  throw new PrivmedError(`--accountant: expected one of ${ACCOUNTANT_NAMES.join(', ')}, got ${shown(raw)}`);
}

function samplingFlag(raw: unknown): Sampling {
  if (raw === 'poisson' || raw === 'uniform') return raw;
  throw new PrivmedError(`--sampling: expected poisson or uniform, got ${shown(raw)}`);
}
