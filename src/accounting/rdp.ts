import { ComposingAccountant, type EpsilonReport } from './accountant.js';
import { mergeEvents, type MechanismEvent } from './events.js';
import { rdpToDp, type RdpConversion } from './rdp-conversion.js';
import { poissonGaussianRdp } from './rdp-poisson.js';
import { uniformGaussianRdp } from './rdp-uniform.js';

/** Opacus's default order grid: 1.1, 1.2, ..., 10.9, then 12, 13, ..., 63. */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 52 }, (_, x) => 12 + x),
]);

export interface RdpOptions {
  /** RDP orders (each > 1) to optimise over; default DEFAULT_RDP_ORDERS. */
  readonly orders?: readonly number[];
  /** RDP to (epsilon, delta) conversion; default 'improved'. */
  readonly conversion?: RdpConversion;
}

/** RDP of one step of an event's mechanism at each order. */
export function stepRdp(event: MechanismEvent, orders: readonly number[]): number[] {
  const rdp = event.sampling === 'poisson' ? poissonGaussianRdp : uniformGaussianRdp;
  return orders.map((alpha) => rdp(event.sampleRate, event.noiseMultiplier, alpha));
}

/** RDP of a whole history at each order: RDP composes by addition. */
export function historyRdp(events: readonly MechanismEvent[], orders: readonly number[]): number[] {
  const total = orders.map(() => 0);
  for (const event of mergeEvents(events)) {
    stepRdp(event, orders).forEach((r, i) => {
      total[i]! += event.steps * r;
    });
  }
  return total;
}

/**
 * Renyi-DP accountant (Mironov 2017). Poisson sampling uses the exact RDP of the
 * sampled Gaussian mechanism (as Opacus and TF-Privacy); uniform fixed-size
 * sampling uses the Wang-Balle-Kasiviswanathan bound under replace-one
 * neighbours. The reported epsilon is a guaranteed upper bound.
 */
export class RdpAccountant extends ComposingAccountant {
  readonly name = 'rdp' as const;
  private readonly orders: readonly number[];
  private readonly conversion: RdpConversion;

  constructor(options: RdpOptions = {}) {
    super();
    this.orders = options.orders ?? DEFAULT_RDP_ORDERS;
    if (this.orders.length === 0 || this.orders.some((a) => !(a > 1))) {
      throw new RangeError(`RDP orders must all be > 1, got [${this.orders.join(', ')}]`);
    }
    this.conversion = options.conversion ?? 'improved';
  }

  protected report(events: readonly MechanismEvent[], delta: number): EpsilonReport {
    // Nothing released, nothing spent (the conversion alone would print ~0.1).
    if (events.length === 0) return { accountant: 'rdp', epsilon: 0, delta, order: NaN, conversion: this.conversion };
    const { epsilon, order } = rdpToDp(this.orders, historyRdp(events, this.orders), delta, this.conversion);
    return { accountant: 'rdp', epsilon, delta, order, conversion: this.conversion };
  }
}
