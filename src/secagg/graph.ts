import { createCipheriv, createHash } from 'node:crypto';
import { domainBytes } from './domain.js';
import type { ParticipantKeys } from './messages.js';

/**
 * The neighbour graph of SecAgg+ (Bell et al. 2020): a random Harary graph.
 * Participants are put on a cycle in an order drawn from a seed, and each is
 * linked to the degree/2 nearest on either side. With degree >= n - 1 it is
 * the complete graph of the original SecAgg (Bonawitz et al. 2017).
 *
 * The seed mixes a nonce the coordinator committed to in `setup` (before it
 * saw any key) with all the fresh public keys, so neither the coordinator
 * nor any single node can pick the graph, and every node can recompute it.
 */
export function graphNonceCommitment(roundId: string, nonce: Uint8Array): Uint8Array {
  return sha256(domainBytes('graph-nonce-commitment', roundId), nonce);
}

export function graphSeed(roundId: string, nonce: Uint8Array, participants: readonly ParticipantKeys[]): Uint8Array {
  const hash = createHash('sha256').update(domainBytes('graph-seed', roundId)).update(nonce);
  for (const p of [...participants].sort((a, b) => a.nodeId - b.nodeId)) {
    hash.update(domainBytes('participant', roundId, p.nodeId)).update(p.encryptionPublicKey).update(p.maskPublicKey);
  }
  return new Uint8Array(hash.digest());
}

/** Sorted neighbour lists of every node. */
export function neighbourGraph(nodeIds: readonly number[], degree: number, seed: Uint8Array): Map<number, number[]> {
  const m = nodeIds.length;
  const sorted = [...nodeIds].sort((a, b) => a - b);
  const graph = new Map<number, number[]>();
  if (degree >= m - 1) {
    for (const id of sorted) graph.set(id, sorted.filter((v) => v !== id));
    return graph;
  }
  const cycle = seededShuffle(sorted, seed);
  const half = degree / 2;
  cycle.forEach((id, position) => {
    const neighbours: number[] = [];
    for (let step = 1; step <= half; step++) {
      neighbours.push(cycle[(position + step) % m]!, cycle[(position - step + m) % m]!);
    }
    graph.set(id, neighbours.sort((a, b) => a - b));
  });
  return graph;
}

/** Fisher-Yates with unbiased integers drawn from an AES-256-CTR stream keyed by the seed. */
function seededShuffle(items: readonly number[], seed: Uint8Array): number[] {
  const out = [...items];
  const stream = createCipheriv('aes-256-ctr', seed, new Uint8Array(16));
  const block = new Uint8Array(4 * 256);
  let words = new DataView(new ArrayBuffer(0));
  let next = 0;
  const nextU32 = (): number => {
    if (next >= words.byteLength) {
      const bytes = stream.update(block);
      words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      next = 0;
    }
    const v = words.getUint32(next, true);
    next += 4;
    return v;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % bound); // reject the tail so every j is equally likely
    let r = nextU32();
    while (r >= limit) r = nextU32();
    const j = r % bound;
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return new Uint8Array(hash.digest());
}
