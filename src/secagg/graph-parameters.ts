import { SecAggError } from './errors.js';
import { hypergeometricUpperTail } from './hypergeometric.js';
import { minimumThreshold } from './params.js';

/**
 * Picks the neighbour-graph degree k and the threshold t for n nodes, in the
 * spirit of SecAgg+ (Bell et al. 2020): the smallest k for which a random
 * Harary graph meets, with union bounds over the n nodes,
 *
 *  - security (failure <= 2^-securityBits): with c corrupted holders among
 *    a node's k+1, neither its self-mask seed nor its mask key can be
 *    collected even by a coordinator that lies to holders about who dropped:
 *    c < 2t - (k+1); and the graph of honest surviving nodes stays connected,
 *    so the coordinator learns only the total of all of them;
 *  - correctness (failure <= 2^-correctnessBits): every node keeps at least
 *    t surviving share holders.
 *
 * Corruptions and dropouts are assumed independent of the graph (the seed is
 * fixed only after keys are advertised). Small federations (and any n for
 * which no sparse k qualifies) get the complete graph, where both conditions
 * hold deterministically: for a handful of hospitals the union bounds say
 * little (floor(0.1 * 10) = 1 dropout) and the sparse graph saves little.
 */
export interface GraphParameterOptions {
  /** Largest fraction of nodes that may drop out during a round (default 0.1). */
  maxDropoutFraction?: number;
  /** Largest fraction of nodes that may collude with the coordinator (default 0.05). */
  maxCorruptFraction?: number;
  /** -log2 of the allowed probability of a privacy failure (default 40). */
  securityBits?: number;
  /** -log2 of the allowed probability that a round cannot finish (default 20). */
  correctnessBits?: number;
  /** Federations up to this size always use the complete graph (default 32). */
  completeGraphMaxNodes?: number;
}

export interface GraphParameters {
  degree: number;
  threshold: number;
  complete: boolean;
}

export function chooseGraphParameters(n: number, options: GraphParameterOptions = {}): GraphParameters {
  const delta = options.maxDropoutFraction ?? 0.1;
  const gamma = options.maxCorruptFraction ?? 0.05;
  const sigma = options.securityBits ?? 40;
  const eta = options.correctnessBits ?? 20;
  if (!Number.isInteger(n) || n < 2) throw new SecAggError('invalid-params', `need at least 2 nodes, got ${n}`);
  if (!(delta >= 0 && delta < 1 && gamma >= 0 && gamma < 1)) {
    throw new SecAggError('invalid-params', 'dropout and corruption fractions must lie in [0, 1)');
  }
  const dropouts = Math.floor(delta * n);
  const corrupt = Math.floor(gamma * n);
  const securityBudget = 2 ** -sigma;
  const correctnessBudget = 2 ** -eta;

  const sparseAllowed = n > (options.completeGraphMaxNodes ?? 32);
  for (let k = 2; sparseAllowed && k < n - 1; k += 2) {
    if (n * disconnectionBound(n, corrupt + dropouts, k / 2) > securityBudget) continue;
    let t = minimumThreshold(k + 1);
    // A corrupted share holder reveals both secrets, so t must beat c + (k+1-c)/2.
    while (t <= k + 1 && n * hypergeometricUpperTail(n - 1, corrupt, k, 2 * t - k - 1) > securityBudget) t++;
    if (t > k + 1) continue;
    // The node itself may be among the dropped, so count it as lost.
    if (n * hypergeometricUpperTail(n - 1, dropouts, k, k - t + 1) > correctnessBudget) continue;
    return { degree: k, threshold: t, complete: false };
  }
  const t = Math.max(minimumThreshold(n), Math.floor((n + corrupt) / 2) + 1);
  if (t > n - dropouts) {
    throw new SecAggError(
      'invalid-params',
      `${n} nodes cannot tolerate ${dropouts} dropouts with ${corrupt} corrupted nodes (threshold ${t} > ${n - dropouts} survivors)`,
      { hint: 'lower maxDropoutFraction or maxCorruptFraction, or invite more nodes' },
    );
  }
  return { degree: n - 1, threshold: t, complete: true };
}

/**
 * Upper bound on the probability that removing `removed` random nodes from
 * the Harary graph with `half` links per side disconnects it. Disconnection
 * needs two disjoint runs of >= half removed nodes on the cycle; union bound
 * over the < n^2/2 pairs of run starts.
 */
function disconnectionBound(n: number, removed: number, half: number): number {
  if (removed < 2 * half) return 0;
  let logP = 0;
  for (let j = 0; j < 2 * half; j++) logP += Math.log((removed - j) / (n - j));
  return Math.min(1, (n * n) / 2 * Math.exp(logP));
}
