/** Learning-rate schedules as a pure function of progress (in epochs, fractional). */
export interface ScheduleConfig {
  name: 'constant' | 'cosine' | 'step';
  warmupEpochs: number;
  stepEpochs: number;
  gamma: number;
}

export function learningRateAt(base: number, s: ScheduleConfig, epoch: number, totalEpochs: number): number {
  if (s.warmupEpochs > 0 && epoch < s.warmupEpochs) return (base * (epoch + 1e-3)) / s.warmupEpochs;
  switch (s.name) {
    case 'constant':
      return base;
    case 'step':
      return base * Math.pow(s.gamma, Math.floor(epoch / s.stepEpochs));
    case 'cosine': {
      const span = Math.max(totalEpochs - s.warmupEpochs, 1e-9);
      const t = Math.min(Math.max((epoch - s.warmupEpochs) / span, 0), 1);
      return 0.5 * base * (1 + Math.cos(Math.PI * t));
    }
  }
}
