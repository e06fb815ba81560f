/**
 * Keeps the best round by the chosen evaluation metric (MCC by default), or
 * the last evaluated one (select: 'last', the choice under DP), and
 * decides global early stopping: stop when `patience` evaluations in a row
 * brought no improvement. Rebuilt from the stored rounds on resume, so a
 * restart neither forgets the best round nor resets the patience.
 */
import type { Metrics } from '../strategy/types.js';

export interface BestRoundOptions {
  metric: string;
  mode: 'max' | 'min';
  patience?: number;
  /** 'last': every evaluated round replaces the kept one and nothing stops early (the choice under DP). */
  select?: 'best' | 'last';
}

export class BestRoundTracker {
  best: { round: number; metric: number } | null = null;
  private evaluationsSinceBest = 0;

  constructor(private readonly options: BestRoundOptions) {}

  /** Records a round's evaluation; returns true when it is the new best. */
  observe(round: number, evalMetrics: Metrics | null): boolean {
    const value = evalMetrics?.[this.options.metric];
    if (value === undefined || !Number.isFinite(value)) return false;
    const better = this.options.select === 'last' || this.best === null || (this.options.mode === 'max' ? value > this.best.metric : value < this.best.metric);
    if (better) {
      this.best = { round, metric: value };
      this.evaluationsSinceBest = 0;
    } else {
      this.evaluationsSinceBest++;
    }
    return better;
  }

  shouldStop(): boolean {
    return this.options.select !== 'last' && this.options.patience !== undefined && this.best !== null && this.evaluationsSinceBest >= this.options.patience;
  }

  describeStop(): string {
    return `no improvement of ${this.options.metric} for ${this.evaluationsSinceBest} evaluations (best: round ${this.best?.round}, ${this.best?.metric.toFixed(4)})`;
  }
}
