/**
 * Differential privacy for training: DP-SGD (per-sample clipping, exact
 * Gaussian noise from the CSPRNG, Poisson or fixed-size sampling, a budget
 * watchdog charging the privacy ledger), DP dataset statistics, and the model
 * checks and surgery DP needs. makePrivate is the one entry point that
 * assembles DP-SGD; the rest are its parts, for those who need them.
 */
export { makePrivate, BudgetExceededError, type MakePrivateOptions, type PrivateTraining, type PrivacyOptions } from './make-private.js';
export { PrivacySchema, type PrivacyConfig } from './privacy-config.js';
export { setupDpTraining, type DpTraining, type DpTrainingOptions, type PrivacyOutcome } from './private-run.js';
export { dpSgdStep, type DpSgdStep, type DpSgdStepOptions } from './sgd/dp-sgd-step.js';
export { perSampleGradients, resolvePerSampleMethod, type PerSampleChoice, type PerSampleGradients, type PerSampleMethod } from './per-sample/per-sample.js';
export { weightedCrossEntropyPerSample, type PerSampleLoss } from '../training/loss.js';
export { planClipping, ClippedSum, type ClipPlan, type ClipSpec } from './sgd/clipping.js';
export { createSampler, PoissonSampler, UniformSampler, type DpSampler } from './sgd/samplers.js';
export { PrivacyWatchdog, type WatchdogOptions } from './sgd/watchdog.js';
export { dpDatasetStatistics, type DpStatistics, type DpStatisticsOptions, type Neighbouring, type StatisticsMechanism } from './statistics/dataset-statistics.js';
export { validateForDp, sampleMixingLayers } from './validators/validate-model.js';
export { convertBatchNorm, type BatchNormReplacement } from './validators/convert-batch-norm.js';
export { planGaussianGrid, GaussianGridMechanism, type GaussianGridPlan } from './mechanisms/grid-gaussian.js';
export { planLaplaceGrid, LaplaceGridMechanism, type LaplaceGridPlan } from './mechanisms/grid-laplace.js';
export { exactSums, channelStatsFromSums, type ExactSums } from './statistics/exact-sums.js';
export { exactStatistics, releaseStatistics, type DatasetStatistics } from './statistics/federated-statistics.js';
export type { PrivacyEvent, PrivacyListener } from './events.js';
