/**
 * Tail probabilities of the hypergeometric distribution, in log space so
 * that populations of millions and probabilities of 2^-60 stay accurate.
 * Used to size the neighbour graph: a node's neighbours are a uniformly
 * random subset of the others, so the number of dropped (or corrupted)
 * nodes among them is hypergeometric.
 */

/** P[X >= atLeast] for X ~ Hypergeometric(population, successes, draws). */
export function hypergeometricUpperTail(population: number, successes: number, draws: number, atLeast: number): number {
  const lowest = Math.max(0, draws - (population - successes));
  const highest = Math.min(draws, successes);
  if (atLeast <= lowest) return 1;
  if (atLeast > highest) return 0;
  let logTerm = logPmf(population, successes, draws, atLeast);
  let total = 0;
  for (let x = atLeast; x <= highest; x++) {
    const term = Math.exp(logTerm);
    total += term;
    if (term < total * 1e-17) break; // the pmf falls geometrically past the mode
    logTerm += Math.log(((successes - x) * (draws - x)) / ((x + 1) * (population - successes - draws + x + 1)));
  }
  return Math.min(1, total);
}

function logPmf(population: number, successes: number, draws: number, x: number): number {
  return logChoose(successes, x) + logChoose(population - successes, draws - x) - logChoose(population, draws);
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const SMALL = 256;
const SMALL_LOG_FACTORIALS = (() => {
  const table = new Float64Array(SMALL);
  for (let i = 1; i < SMALL; i++) table[i] = table[i - 1]! + Math.log(i);
  return table;
})();

function logFactorial(n: number): number {
  if (n < SMALL) return SMALL_LOG_FACTORIALS[n]!;
  // Stirling series; the first omitted term is below 1e-17 relative for n >= 256.
  const inv = 1 / n;
  const inv2 = inv * inv;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}
