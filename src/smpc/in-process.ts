/**
 * All three roles in one process over an in-memory link: the dealer's
 * material, the session's masked weights, both parties concurrently. For
 * tests and for checking a compiled plan; the real deployment runs them as
 * three processes (src/secure-inference).
 */
import { dealImage } from './dealer.js';
import { CountingLink, memoryLinkPair } from './link.js';
import { precompute, runImage, type ImageResult } from './party.js';
import { planSteps, type OpWeights, type Plan } from './plan.js';
import { deltaWeights, maskWeights, newSessionSeed, weightMask } from './session.js';

export interface InProcessStats {
  onlineBytes: number;
  rounds: number;
}

export async function runInProcess(
  plan: Plan,
  weights: Map<number, OpWeights>,
  inputs: BigUint64Array[],
  tamper?: (material: ReturnType<typeof dealImage>) => void,
): Promise<{ results: ImageResult[]; stats: InProcessStats }> {
  const mask = weightMask(plan, newSessionSeed());
  const deltas = deltaWeights(plan, maskWeights(plan, weights, mask));
  const steps = planSteps(plan);
  const [l0, l1] = memoryLinkPair();
  const link0 = new CountingLink(l0);
  const link1 = new CountingLink(l1);
  const results: ImageResult[] = [];
  for (const input of inputs) {
    const material = dealImage(plan, steps, mask);
    tamper?.(material);
    const ctx0 = { party: 0 as const, plan, link: link0, weights: deltas };
    const ctx1 = { party: 1 as const, plan, link: link1, weights };
    precompute(ctx0, material[0]);
    const [r0] = await Promise.all([runImage(ctx0, material[0], input), runImage(ctx1, material[1])]);
    results.push(r0);
  }
  return { results, stats: { onlineBytes: link0.sentBytes + link1.sentBytes, rounds: link0.rounds } };
}
