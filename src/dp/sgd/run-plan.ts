/**
 * What a DP training run must remember across a kill and resume, in
 * <output>/privacy-run.json: its id (which names its ledger charges) and the
 * released dataset statistics (re-releasing them on resume would cost budget
 * and change the normalisation).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic.js';
import { FileFormatError } from '../../common/errors.js';
import { LedgerIntegrityError, type LedgerHead } from '../../accounting/index.js';

export interface DpRunPlan {
  readonly runId: string;
  readonly site: string;
  readonly createdAt: string;
  statistics?: { mean: number[]; std: number[]; classCounts: number[] };
  /** Fixed when the run starts (calibrated or configured), so a resume cannot change it. */
  noiseMultiplier?: number;
  /** The ledger's chain head after this run's last charge: a resume refuses a ledger that does not extend it. */
  ledgerHead?: LedgerHead;
}

export function runPlanPath(outputDir: string): string {
  return join(outputDir, 'privacy-run.json');
}

/** A resumed run keeps its plan (same site); a fresh run always starts a new one. */
export function openRunPlan(outputDir: string, site: string, resume: boolean): { plan: DpRunPlan; resumed: boolean } {
  const file = runPlanPath(outputDir);
  if (resume && !existsSync(file) && existsSync(join(outputDir, 'checkpoint'))) {
    // The plan is written before the first checkpoint: a checkpoint without it means the privacy record was removed.
    throw new LedgerIntegrityError(`${file}: missing, but ${join(outputDir, 'checkpoint')} exists: this run's record of what it charged is gone, so it cannot resume with DP`);
  }
  if (resume && existsSync(file)) {
    let plan: DpRunPlan;
    try {
      plan = JSON.parse(readFileSync(file, 'utf8')) as DpRunPlan;
    } catch (cause) {
      throw new FileFormatError(file, 'not a valid privmed DP run plan (JSON)', { cause, hint: 'start the run afresh without --resume' });
    }
    if (typeof plan.runId !== 'string' || !plan.runId) throw new FileFormatError(file, 'the DP run plan has no run id');
    if (plan.site === site) return { plan, resumed: true };
  }
  const plan: DpRunPlan = { runId: randomUUID(), site, createdAt: new Date().toISOString() };
  saveRunPlan(outputDir, plan);
  return { plan, resumed: false };
}

export function saveRunPlan(outputDir: string, plan: DpRunPlan): void {
  writeFileAtomic(runPlanPath(outputDir), JSON.stringify(plan, null, 1));
}
