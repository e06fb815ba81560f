/**
 * Splits one dataset among simulated hospitals: IID, Dirichlet(alpha) label
 * mixtures (Hsu et al. 2019; small alpha = strongly non-IID), or label skew
 * (each site dominated by one class). Seeded, and every item goes to exactly
 * one site.
 */
import { Rng } from '../common/rng.js';
import { PrivmedError } from '../common/errors.js';

export type Partitioning = { kind: 'iid' } | { kind: 'dirichlet'; alpha: number } | { kind: 'label-skew'; majority: number };

export function partition(labels: ArrayLike<number>, sites: number, how: Partitioning, seed: number): number[][] {
  if (!Number.isInteger(sites) || sites < 1) throw new PrivmedError(`number of sites must be a positive integer, got ${sites}`);
  if (sites > labels.length) throw new PrivmedError(`cannot split ${labels.length} items among ${sites} sites`);
  const rng = new Rng(seed);
  const out: number[][] = Array.from({ length: sites }, () => []);
  if (how.kind === 'iid') {
    const order = rng.shuffle(Array.from({ length: labels.length }, (_, i) => i));
    order.forEach((idx, k) => out[k % sites]!.push(idx));
    return out.map((s) => s.sort((a, b) => a - b));
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  classes.forEach((c, ci) => {
    const items = rng.shuffle(byClass.get(c)!);
    let shares: number[];
    if (how.kind === 'dirichlet') {
      if (!(how.alpha > 0)) throw new PrivmedError(`Dirichlet alpha must be > 0, got ${how.alpha}`);
      shares = Array.from({ length: sites }, () => gamma(how.alpha, rng));
    } else {
      if (!(how.majority > 0 && how.majority < 1)) throw new PrivmedError(`label-skew majority must be in (0, 1), got ${how.majority}`);
      // Class ci mostly goes to site ci mod n; the rest spreads evenly.
      shares = Array.from({ length: sites }, (_, s) => (s === ci % sites ? how.majority : (1 - how.majority) / Math.max(sites - 1, 1)));
    }
    const total = shares.reduce((a, b) => a + b, 0);
    let start = 0;
    let acc = 0;
    for (let s = 0; s < sites; s++) {
      acc += shares[s]! / total;
      const end = s === sites - 1 ? items.length : Math.round(acc * items.length);
      out[s]!.push(...items.slice(start, end));
      start = end;
    }
  });
  // Every site needs some data to train on: move items from the largest site if needed.
  for (const site of out) {
    while (site.length === 0) {
      const donor = out.reduce((a, b) => (b.length > a.length ? b : a));
      site.push(donor.pop()!);
    }
  }
  return out.map((s) => s.sort((a, b) => a - b));
}

/** Gamma(shape, 1) by Marsaglia-Tsang (with the boost for shape < 1). */
function gamma(shape: number, rng: Rng): number {
  if (shape < 1) return gamma(shape + 1, rng) * Math.pow(rng.next() || 1e-300, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}
