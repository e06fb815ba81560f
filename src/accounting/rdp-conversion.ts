/**
 * Turning an RDP curve (epsilon_RDP at each order alpha) into an
 * (epsilon, delta)-DP guarantee, minimised over the orders on the grid.
 *
 * - 'improved' (default): Balle, Barthe, Gaboardi, Hsu & Sato 2020, "Hypothesis
 *   testing interpretations and Renyi differential privacy", Theorem 21:
 *     eps = rdp + log((alpha-1)/alpha) - (log(delta) + log(alpha)) / (alpha-1)
 *   What Opacus's get_privacy_spent and current TF-Privacy use.
 * - 'classic': Mironov 2017, Proposition 3: eps = rdp - log(delta) / (alpha-1).
 *   Always larger; kept so results from older tools can be reproduced.
 *
 * Both are valid upper bounds; neither is tight.
 */
export type RdpConversion = 'improved' | 'classic';

export interface RdpDpGuarantee {
  /** The smallest epsilon over the grid (>= 0); Infinity when every order is infinite. */
  readonly epsilon: number;
  /** The order that achieved it (NaN when epsilon is Infinity). */
  readonly order: number;
}

export function rdpToDp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
  conversion: RdpConversion = 'improved',
): RdpDpGuarantee {
  if (orders.length !== rdp.length) throw new RangeError(`${orders.length} orders but ${rdp.length} RDP values`);
  const logDelta = Math.log(delta);
  let best: RdpDpGuarantee = { epsilon: Infinity, order: NaN };
  orders.forEach((alpha, i) => {
    const r = rdp[i]!;
    const eps =
      conversion === 'improved'
        ? r + Math.log1p(-1 / alpha) - (logDelta + Math.log(alpha)) / (alpha - 1)
        : r - logDelta / (alpha - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: alpha };
  });
  // A negative value only says the (0, delta) guarantee already holds at this order.
  return best.epsilon < 0 ? { epsilon: 0, order: best.order } : best;
}
