/** What DP training reports as it goes; each event carries a one-line message for people. */
import type { Sampling } from '../accounting/index.js';

export type PrivacyEvent =
  | {
      type: 'privacy-plan';
      noiseMultiplier: number;
      /** True when the noise multiplier was calibrated to the target epsilon. */
      calibrated: boolean;
      clipNorm: number;
      sampling: Sampling;
      sampleRate: number;
      stepsPerEpoch: number;
      perSampleGradients: string;
      message: string;
    }
  | { type: 'privacy-statistics'; epsilon: number; delta: number; reused: boolean; message: string }
  | { type: 'privacy-charge'; epoch: number; steps: number; epsilon: number; delta: number; reused: boolean; message: string }
  | { type: 'budget-stop'; epoch: number; beforeStep: number; epsilon: number; targetEpsilon: number; delta: number; checkpointDir: string; message: string };

export type PrivacyListener = (e: PrivacyEvent) => void;
