/** Builds the configured strategy. */
import type { ConfigRecord } from '../wire/config-values.js';
import { FedAdam } from './fedadam.js';
import { FedAvg } from './fedavg.js';
import { FedProx } from './fedprox.js';
import type { Strategy } from './types.js';

export type StrategyConfig =
  | { name: 'fedavg' }
  | { name: 'fedprox'; mu: number }
  | { name: 'fedadam'; eta?: number; beta1?: number; beta2?: number; tau?: number };

export interface StrategyEnvironment {
  fitConfig: ConfigRecord;
  evaluateConfig: ConfigRecord;
  fractionFit: number;
}

export function strategyFromConfig(config: StrategyConfig, env: StrategyEnvironment): Strategy {
  switch (config.name) {
    case 'fedavg':
      return new FedAvg(env);
    case 'fedprox':
      return new FedProx({ ...env, mu: config.mu });
    case 'fedadam':
      return new FedAdam({ ...env, ...config });
  }
}
