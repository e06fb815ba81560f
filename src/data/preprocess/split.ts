/**
 * Seeded stratified train/validation split: each class is shuffled and cut
 * at round(n_c * fraction), so class proportions match on both sides; a
 * class with at least two items keeps at least one on each side.
 */
import { PrivmedError } from '../../common/errors.js';
import { Rng } from '../../common/rng.js';

export function stratifiedSplit(labels: ArrayLike<number>, validationFraction: number, seed: number): { train: Int32Array; validation: Int32Array } {
  if (!(validationFraction > 0 && validationFraction < 1)) throw new PrivmedError(`validation fraction must be in (0, 1), got ${validationFraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]!);
    if (list) list.push(i);
    else byClass.set(labels[i]!, [i]);
  }
  const rng = new Rng(seed);
  const train: number[] = [];
  const validation: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = rng.fork(cls).shuffle(byClass.get(cls)!);
    let nVal = Math.round(idx.length * validationFraction);
    if (idx.length >= 2) nVal = Math.min(idx.length - 1, Math.max(1, nVal));
    validation.push(...idx.slice(0, nVal));
    train.push(...idx.slice(nVal));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), validation: Int32Array.from(validation.sort((a, b) => a - b)) };
}
