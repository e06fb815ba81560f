/**
 * Attacks on what privmed protects, and an empirical audit of its accountant.
 * Nothing in training, dp, site or federation imports this folder: it drives
 * them from outside, as an attacker or auditor would.
 */
export { auditOneRun, oneRunPValue, oneRunEpsilon, normalQuantile, type OneRunAudit } from './audit-bound.js';
export { runAudit, type AuditRunOptions, type AuditRunResult } from './audit-run.js';
export { runMembership, attackMetrics, type MembershipOptions, type MembershipRow, type AttackMetrics } from './membership.js';
export { runInversion, type InversionExperiment, type InversionRow } from './inversion/experiment.js';
export { invertGradient, inferLabels, type InversionOptions, type InversionResult } from './inversion/invert.js';
export { captureTarget, CKKS_REFUSAL, TARGET_KINDS, type TargetKind, type CapturedTarget } from './inversion/targets.js';
export { ssim, psnr, mse, assign, matchAndScore } from './inversion/image-metrics.js';
export { loadAttackPool } from './pool.js';
