import { PrivmedError } from '../common/errors.js';
import { ACCOUNTANT_NAMES, type AccountantName, type EpsilonReport, type PrivacyAccountant } from './accountant.js';
import type { MechanismEvent } from './events.js';
import { GdpAccountant } from './gdp.js';
import { PrvAccountant, type PrvOptions } from './prv.js';
import { RdpAccountant, type RdpOptions } from './rdp.js';

export interface AccountantOptions {
  readonly rdp?: RdpOptions;
  readonly prv?: PrvOptions;
}

/** A fresh accountant by name: 'rdp' (default choice), 'prv', or 'gdp' (CLT approximation). */
export function createAccountant(name: AccountantName, options: AccountantOptions = {}): PrivacyAccountant {
  switch (name) {
    case 'rdp':
      return new RdpAccountant(options.rdp);
    case 'gdp':
      return new GdpAccountant();
    case 'prv':
      return new PrvAccountant(options.prv);
    default:
      throw new PrivmedError(`unknown accountant '${String(name)}': expected one of ${ACCOUNTANT_NAMES.join(', ')}`);
  }
}

/** One-shot: the (epsilon, delta) report for a list of events. */
export function explainEpsilon(
  events: readonly MechanismEvent[],
  delta: number,
  name: AccountantName = 'rdp',
  options: AccountantOptions = {},
): EpsilonReport {
  return createAccountant(name, options).compose(events).explain(delta);
}
