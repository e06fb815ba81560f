/**
 * Privacy accounting: how much (epsilon, delta) a history of DP mechanisms has
 * spent, which noise meets a budget, and the ledger that records every release.
 *
 * Accountants: 'rdp' (guaranteed bound; default), 'prv' (guaranteed and
 * tighter, Poisson sampling only, slower), 'gdp' (central-limit
 * APPROXIMATION, labelled so in every result).
 */
export type { AccountantName, EpsilonReport, PrivacyAccountant, StepMechanism } from './accountant.js';
export { ACCOUNTANT_NAMES } from './accountant.js';
export type { MechanismEvent, Sampling } from './events.js';
export { createAccountant, explainEpsilon, type AccountantOptions } from './create-accountant.js';
export { RdpAccountant, DEFAULT_RDP_ORDERS, type RdpOptions } from './rdp.js';
export type { RdpConversion } from './rdp-conversion.js';
export { GdpAccountant, gdpEpsilon, gdpDelta } from './gdp.js';
export { PrvAccountant, type PrvOptions } from './prv.js';
export { calibrateNoise, type Calibration, type CalibrationTarget } from './calibrate.js';
export { RELEASE_KINDS, type Release, type ReleaseKind, type ReleaseMechanism } from './release.js';
export { composeReleases, type ComposedCost } from './release-cost.js';
export {
  PrivacyLedger,
  type LedgerDatabase,
  type LedgerEntry,
  type LedgerOptions,
  type LedgerReport,
  type PrivacyBudget,
  type SiteReport,
} from './ledger.js';
export { LedgerIntegrityError, type LedgerHead } from './ledger-chain.js';
