/** The budget rule of the privacy ledger: a release that would take its site past the budget is refused, nothing written. */
import { PrivmedError } from '../common/errors.js';
import type { AccountantName } from './accountant.js';
import type { AccountantOptions } from './create-accountant.js';
import type { Release, ReleaseMechanism } from './release.js';
import { composeReleases, type ComposedCost } from './release-cost.js';

export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

export function refuseOverBudget(
  budget: PrivacyBudget,
  release: Release,
  past: readonly ReleaseMechanism[],
  accountant: Exclude<AccountantName, 'gdp'>,
  accountantOptions: AccountantOptions | undefined,
): void {
  const compose = (mechanisms: readonly ReleaseMechanism[]): ComposedCost => composeReleases([...mechanisms], budget.delta, accountant, accountantOptions);
  const after = compose([...past, release.mechanism]);
  if (after.epsilon <= budget.epsilon) return;
  const alone = compose([release.mechanism]);
  const before = compose(past);
  throw new PrivmedError(
    `site '${release.site}': ${release.kind} release refused, it would exceed the privacy budget ` +
      `(epsilon ${fmt(budget.epsilon)} at delta ${budget.delta}): on its own it costs epsilon ${fmt(alone.epsilon)}, ` +
      `and it would bring the site from epsilon ${fmt(before.epsilon)} to ${fmt(after.epsilon)} (${accountant} accountant)`,
    { hint: 'nothing was recorded; release less (more noise, fewer steps) or raise the budget with the data protection officer' },
  );
}

export function checkBudget(budget: PrivacyBudget, site: string): void {
  if (!(budget.epsilon > 0) || !Number.isFinite(budget.epsilon)) {
    throw new PrivmedError(`privacy budget for ${site}: epsilon must be a finite number > 0, got ${budget.epsilon}`);
  }
  if (!(budget.delta > 0 && budget.delta < 1)) {
    throw new PrivmedError(`privacy budget for ${site}: delta must be in (0, 1), got ${budget.delta}`);
  }
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(5))) : String(x);
}
