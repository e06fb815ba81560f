/**
 * FedProx (Li et al. 2020): aggregation is FedAvg's; the difference is the
 * proximal term mu/2 * ||w - w_global||^2 that each node adds to its local
 * loss, which keeps local models near the global one on heterogeneous data.
 * The coordinator only sends mu (fit config key `proximalMu`); the local
 * trainer applies the term.
 */
import { PrivmedError } from '../../common/errors.js';
import type { ConfigRecord } from '../wire/config-values.js';
import { FedAvg, type FedAvgOptions } from './fedavg.js';

export interface FedProxOptions extends FedAvgOptions {
  mu: number;
}

export class FedProx extends FedAvg {
  override readonly name: string = 'fedprox';

  constructor(private readonly proxOptions: FedProxOptions) {
    super(proxOptions);
    if (!(proxOptions.mu >= 0)) throw new PrivmedError(`FedProx mu must be >= 0, got ${proxOptions.mu}`);
  }

  protected override extraFitConfig(): ConfigRecord {
    return { proximalMu: this.proxOptions.mu };
  }
}
