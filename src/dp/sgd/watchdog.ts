/**
 * The privacy budget watchdog: DP-SGD's batch source for the trainer. Before
 * each epoch it charges the epoch's steps to the privacy ledger; when a
 * target epsilon is set and a full epoch would exceed it, it charges only the
 * steps that fit, the epoch ends after them (the trainer saves a checkpoint),
 * and training stops with a 'budget-stop' event. No step runs uncharged.
 *
 * Kill and resume: the charge is appended BEFORE the epoch's first step and
 * the checkpoint written after its last, so a kill mid-epoch leaves a charge
 * whose results were never persisted. The resumed run redoes that epoch under
 * the same charge (found by run id and epoch in the ledger note) instead of
 * paying again. If the killed attempt had already saved its epoch into the
 * best-model folder (a kill between that save and the checkpoint), its result
 * is out, so the redo is charged anew.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeReleases, type AccountantName, type PrivacyLedger, type ReleaseMechanism } from '../../accounting/index.js';
import type { BatchSource } from '../../training/core.js';
import type { PrivacyListener } from '../events.js';
import { runNote } from '../ledger-charges.js';
import type { Batch, BatchOptions, Dataset } from '../../data/dataset.js';
import { loadViews } from './multiplicity.js';
import type { DpSampler, SubsampledGaussian } from './samplers.js';

export interface WatchdogOptions {
  /** Augmentation multiplicity: views loaded per sampled image (multiplicity.ts); default 1. */
  readonly multiplicity?: number;
  readonly ledger: PrivacyLedger;
  readonly site: string;
  readonly runId: string;
  readonly sampler: DpSampler;
  readonly noiseMultiplier: number;
  readonly delta: number;
  /** Stop before the step that would bring the site past this epsilon. */
  readonly targetEpsilon?: number;
  readonly accountant: AccountantName;
  /** The trainer's output folder (checkpoint/ and best/ inside). */
  readonly outputDir: string;
  readonly onEvent?: PrivacyListener;
  /** Called after each charge is on the ledger (the run records the ledger's new head). */
  readonly onCharged?: () => void;
}

export class PrivacyWatchdog implements BatchSource {
  /** Set once training was stopped by the budget. */
  stoppedByBudget = false;
  private stepsThisEpoch = 0;

  constructor(private readonly o: WatchdogOptions) {}

  stepsPerEpoch(): number {
    return this.o.sampler.stepsPerEpoch;
  }

  /** What the site has spent so far, by the ledger. */
  spent(): number {
    return this.epsilonOf([]);
  }

  async beginEpoch(epoch: number): Promise<boolean> {
    const { ledger, site, sampler, noiseMultiplier } = this.o;
    const note = runNote(this.o.runId, `epoch ${epoch + 1}`);
    const wanted = sampler.mechanism(noiseMultiplier, 1);
    const earlier = ledger
      .entries(site)
      .filter((e) => e.note === note && e.kind === 'dp-sgd')
      .map((e) => e.mechanism)
      .find((m): m is SubsampledGaussian => m.type === 'subsampled-gaussian' && m.noiseMultiplier === wanted.noiseMultiplier && m.sampleRate === wanted.sampleRate && m.sampling === wanted.sampling);
    if (earlier && !this.bestHoldsEpoch(epoch + 1)) {
      this.stepsThisEpoch = earlier.steps;
      this.report(epoch, true);
      return true;
    }
    const steps = this.stepsWithinBudget();
    if (steps === 0) {
      this.stop(epoch, 0);
      return false;
    }
    ledger.append({ site, kind: 'dp-sgd', mechanism: sampler.mechanism(noiseMultiplier, steps), note });
    this.o.onCharged?.();
    this.stepsThisEpoch = steps;
    this.report(epoch, false);
    return true;
  }

  async *batches(train: Dataset, _epoch: number, opts: Pick<BatchOptions, 'strict' | 'onSkip'>): AsyncGenerator<Batch> {
    for (let s = 0; s < this.stepsThisEpoch; s++) yield await loadViews(train, this.o.sampler.drawBatch(), this.o.multiplicity ?? 1, opts);
  }

  async endEpoch(epoch: number): Promise<boolean> {
    if (this.stepsThisEpoch >= this.o.sampler.stepsPerEpoch) return true;
    this.stop(epoch, this.stepsThisEpoch);
    return false;
  }

  /** The most steps, up to a full epoch, that keep the site within the target. */
  private stepsWithinBudget(): number {
    const full = this.o.sampler.stepsPerEpoch;
    const target = this.o.targetEpsilon;
    if (target === undefined) return full;
    const fits = (steps: number): boolean => steps === 0 || this.epsilonOf([this.mechanism(steps)]) <= target;
    if (fits(full)) return full;
    let lo = 0; // fits
    let hi = full; // does not fit
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  private mechanism(steps: number): ReleaseMechanism {
    return this.o.sampler.mechanism(this.o.noiseMultiplier, steps);
  }

  private epsilonOf(extra: ReleaseMechanism[]): number {
    const past = this.o.ledger.entries(this.o.site).map((e) => e.mechanism);
    return composeReleases([...past, ...extra], this.o.delta, this.o.accountant).epsilon;
  }

  private bestHoldsEpoch(epoch: number): boolean {
    const file = join(this.o.outputDir, 'best', 'privmed.json');
    if (!existsSync(file)) return false;
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { metrics?: { epoch?: number } }).metrics?.epoch === epoch;
    } catch {
      return true; // unreadable: assume the worst, charge again
    }
  }

  private report(epoch: number, reused: boolean): void {
    const epsilon = this.spent();
    const steps = this.stepsThisEpoch;
    this.o.onEvent?.({
      type: 'privacy-charge',
      epoch: epoch + 1,
      steps,
      epsilon,
      delta: this.o.delta,
      reused,
      message: `privacy: epoch ${epoch + 1}: ${steps} DP-SGD steps ${reused ? 'already charged (resumed run)' : 'charged'}; ${this.o.site} has spent epsilon ${fmt(epsilon)} at delta ${this.o.delta}`,
    });
  }

  private stop(epoch: number, stepsRun: number): void {
    this.stoppedByBudget = true;
    const checkpointDir = join(this.o.outputDir, 'checkpoint');
    const epsilon = this.spent();
    const target = this.o.targetEpsilon ?? epsilon;
    const saved = stepsRun > 0 ? `checkpoint saved in ${checkpointDir}` : epoch > 0 ? `the checkpoint of epoch ${epoch} in ${checkpointDir} stands` : 'no step was run';
    this.o.onEvent?.({
      type: 'budget-stop',
      epoch: epoch + 1,
      beforeStep: stepsRun + 1,
      epsilon,
      targetEpsilon: target,
      delta: this.o.delta,
      checkpointDir,
      message:
        `privacy budget: stopped before step ${stepsRun + 1} of epoch ${epoch + 1}, which would exceed epsilon ${target} at delta ${this.o.delta} ` +
        `(spent: epsilon ${fmt(epsilon)}); ${saved}`,
    });
  }
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
