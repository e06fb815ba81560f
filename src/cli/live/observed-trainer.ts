/**
 * A node's trainer seen from outside: reports each fit's sample count and the
 * site's spent epsilon (the DP fit metric), and the batches of the fit in
 * progress, at most twice a second.
 */
import type { LocalTrainer } from '../../site/local-trainer.js';
import type { SiteEvent } from '../../simulation/event-lines.js';

/** Progress lines per second at most: a batch can take milliseconds, and each event is a line on a pipe. */
const PROGRESS_INTERVAL_MS = 500;

export function observedTrainer(trainer: LocalTrainer, emit: (e: SiteEvent) => void): LocalTrainer {
  let last = 0;
  trainer.setProgressListener?.((p) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS && p.batches !== p.totalBatches) return;
    last = now;
    emit({ type: 'fit-progress', batches: p.batches, totalBatches: p.totalBatches });
  });
  const observed: LocalTrainer = {
    fit: async (weights, config) => {
      const out = await trainer.fit(weights, config);
      const epsilon = out.metrics.epsilon;
      emit({ type: 'fit-done', numSamples: out.numSamples, ...(typeof epsilon === 'number' ? { epsilon } : {}) });
      return out;
    },
    evaluate: (weights, config) => trainer.evaluate(weights, config),
  };
  // Optional methods stay optional: the node asks for them only when the trainer has them.
  if (trainer.initialWeights) observed.initialWeights = () => trainer.initialWeights!();
  if (trainer.statistics) observed.statistics = () => trainer.statistics!();
  return observed;
}
