/** What a training run reports as it goes; the CLI renders these as a progress bar or JSON lines. */
import type { ClassificationMetrics } from '../metrics/classification.js';

export type TrainEvent<M = ClassificationMetrics> =
  | { type: 'start'; epochs: number; stepsPerEpoch: number; trainSize: number; valSize: number; resumedFromEpoch: number; params: number }
  | { type: 'batch'; epoch: number; step: number; stepsPerEpoch: number; loss: number; samplesPerSec: number; etaSec: number }
  | { type: 'epoch'; epoch: number; epochs: number; trainLoss: number; lr: number; val: M; best: boolean; seconds: number; samplesPerSec: number }
  | { type: 'skip'; item: string; reason: string }
  | { type: 'early-stop'; epoch: number; bestEpoch: number }
  | { type: 'done'; bestEpoch: number | null; bestMetric: number | null; seconds: number };

export type TrainListener<M = ClassificationMetrics> = (e: TrainEvent<M>) => void;
