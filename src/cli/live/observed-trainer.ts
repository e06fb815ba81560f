/**
 * A node's trainer seen from outside: reports each fit's sample count and the
 * site's spent epsilon (the DP fit metric) without touching the site layer,
 * which has no progress hooks of its own.
 */
import type { LocalTrainer } from '../../site/local-trainer.js';
import type { SiteEvent } from '../../simulation/event-lines.js';

export function observedTrainer(trainer: LocalTrainer, emit: (e: SiteEvent) => void): LocalTrainer {
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
