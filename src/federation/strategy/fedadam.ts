/**
 * FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization"): the
 * difference between the nodes' weighted-average model and the current global
 * model is a pseudo-gradient, applied with Adam on the coordinator:
 *
 *   delta = avg_k(w_k) - x
 *   m = beta1 * m + (1 - beta1) * delta
 *   v = beta2 * v + (1 - beta2) * delta^2
 *   x = x + eta * m / (sqrt(v) + tau)
 *
 * As in the paper, without bias correction; tau bounds the step when v is small.
 * m and v are part of the persisted strategy state, so a restarted coordinator
 * continues the same optimisation.
 */
import { PrivmedError } from '../../common/errors.js';
import { FedAvg, type FedAvgOptions } from './fedavg.js';
import type { AggregateFitContext, FitAggregate, FitResult, StrategyState, Weights } from './types.js';

export interface FedAdamOptions extends FedAvgOptions {
  /** Server learning rate. */
  eta?: number;
  beta1?: number;
  beta2?: number;
  tau?: number;
}

export class FedAdam extends FedAvg {
  override readonly name: string = 'fedadam';
  private readonly eta: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly tau: number;
  private m: Weights | null = null;
  private v: Weights | null = null;
  private steps = 0;

  constructor(options: FedAdamOptions = {}) {
    super(options);
    this.eta = options.eta ?? 0.1;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.99;
    this.tau = options.tau ?? 1e-3;
    if (!(this.eta > 0) || !(this.beta1 >= 0 && this.beta1 < 1) || !(this.beta2 >= 0 && this.beta2 < 1) || !(this.tau > 0)) {
      throw new PrivmedError('FedAdam needs eta > 0, 0 <= beta1, beta2 < 1 and tau > 0');
    }
  }

  override aggregateFit(round: number, results: readonly FitResult[], context: AggregateFitContext): FitAggregate {
    const averaged = super.aggregateFit(round, results, context);
    const x = context.current;
    this.m ??= x.map((t) => new Float32Array(t.length));
    this.v ??= x.map((t) => new Float32Array(t.length));
    const next = x.map((xt, t) => {
      const avg = averaged.weights[t]!;
      const m = this.m![t]!;
      const v = this.v![t]!;
      const out = new Float32Array(xt.length);
      for (let i = 0; i < xt.length; i++) {
        const delta = avg[i]! - xt[i]!;
        m[i] = this.beta1 * m[i]! + (1 - this.beta1) * delta;
        v[i] = this.beta2 * v[i]! + (1 - this.beta2) * delta * delta;
        out[i] = xt[i]! + (this.eta * m[i]!) / (Math.sqrt(v[i]!) + this.tau);
      }
      return out;
    });
    this.steps++;
    return { weights: next, metrics: averaged.metrics };
  }

  override saveState(): StrategyState | null {
    if (!this.m || !this.v) return null;
    return { json: { steps: this.steps, tensors: this.m.length }, tensors: [...this.m, ...this.v] };
  }

  override loadState(state: StrategyState | null): void {
    if (!state) {
      this.m = this.v = null;
      this.steps = 0;
      return;
    }
    const { steps, tensors } = state.json as { steps: number; tensors: number };
    if (state.tensors.length !== 2 * tensors) throw new PrivmedError('FedAdam state is corrupt: wrong number of moment tensors');
    this.steps = steps;
    this.m = state.tensors.slice(0, tensors);
    this.v = state.tensors.slice(tensors);
  }
}
