/**
 * Finds the run to work on: a new one, or - with the same run name - the one
 * a previous coordinator process left, to be resumed. Resuming with settings
 * that change what the rounds compute (strategy, fit, evaluation) is refused,
 * because the stored checkpoints and strategy state were made with the old ones.
 */
import { createHash } from 'node:crypto';
import { PrivmedError } from '../../common/errors.js';
import type { RunRow, RunStore } from '../store/run-store.js';
import type { CoordinatorConfig } from './config.js';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function runFingerprint(config: CoordinatorConfig): string {
  const essentials = {
    strategy: config.strategy,
    fit: config.fit,
    evaluate: { metric: config.evaluate.metric, mode: config.evaluate.mode, config: config.evaluate.config },
    // The nodes' input normalisation; left out when off, so runs from before the option keep their fingerprint.
    exchangeStatistics: config.exchangeStatistics || undefined,
    // Likewise the tiles' stain normalisation.
    exchangeStain: config.exchangeStain || undefined,
  };
  return createHash('sha256').update(canonicalJson(essentials)).digest('hex').slice(0, 16);
}

export interface PreparedRun {
  run: RunRow;
  resumed: boolean;
  interruptedAttempts: number;
}

export function prepareRun(store: RunStore, config: CoordinatorConfig): PreparedRun {
  const fingerprint = runFingerprint(config);
  const existing = store.findRun(config.runName);
  if (!existing) {
    return { run: store.createRun(config.runName, JSON.stringify(config), fingerprint, config.rounds), resumed: false, interruptedAttempts: 0 };
  }
  if (existing.fingerprint !== fingerprint) {
    throw new PrivmedError(
      `run '${config.runName}' in ${store.db.name} was started with different strategy/fit/evaluate settings`,
      { hint: 'restore the original settings to resume it, or choose a new runName' },
    );
  }
  if (existing.status === 'failed') store.reopenRun(existing.runId);
  store.setTotalRounds(existing.runId, config.rounds);
  const interruptedAttempts = store.markInterrupted(existing.runId);
  return { run: store.findRun(config.runName)!, resumed: true, interruptedAttempts };
}
