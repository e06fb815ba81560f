import type { AccountantName } from './accountant.js';
import { explainEpsilon, type AccountantOptions } from './create-accountant.js';
import { releaseCost, type ReleaseMechanism } from './release.js';

/** The (epsilon, delta) of a set of releases from one dataset. */
export interface ComposedCost {
  /** accountantEpsilon + pureEpsilon: the guarantee at `delta`. */
  readonly epsilon: number;
  readonly delta: number;
  /** Gaussian mechanisms composed by the accountant. */
  readonly accountantEpsilon: number;
  /** Laplace and other pure-DP releases, added up (basic composition). */
  readonly pureEpsilon: number;
  readonly accountant: AccountantName;
  /** Set when the accountant's part is GDP's central-limit approximation. */
  readonly approximation?: 'CLT';
}

/**
 * Composes releases: Gaussian mechanisms with the chosen accountant into
 * (eps_a, delta), pure-DP ones by adding their epsilons into (eps_p, 0); the two
 * compose to (eps_a + eps_p, delta). Adding is loose for many Laplace releases
 * but never under-reports.
 */
export function composeReleases(
  mechanisms: readonly ReleaseMechanism[],
  delta: number,
  accountant: AccountantName = 'rdp',
  options: AccountantOptions = {},
): ComposedCost {
  const costs = mechanisms.map(releaseCost);
  const events = costs.flatMap((c) => c.events);
  const pureEpsilon = costs.reduce((sum, c) => sum + c.pureEpsilon, 0);
  if (events.length === 0) return { epsilon: pureEpsilon, delta, accountantEpsilon: 0, pureEpsilon, accountant };
  const report = explainEpsilon(events, delta, accountant, options);
  const approximation = report.accountant === 'gdp' && report.approximation === 'CLT' ? ('CLT' as const) : undefined;
  return {
    epsilon: report.epsilon + pureEpsilon,
    delta,
    accountantEpsilon: report.epsilon,
    pureEpsilon,
    accountant,
    ...(approximation ? { approximation } : {}),
  };
}
