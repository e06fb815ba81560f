/** What the coordinator reports while it runs: for logs, tests and UIs. */
import type { Metrics } from '../strategy/types.js';

export type CoordinatorEvent =
  | { type: 'listening'; address: string; port: number; insecure: boolean }
  | { type: 'run-started'; runName: string; resumedAfterRound: number | null; totalRounds: number }
  | { type: 'node-joined'; node: string; rejoined: boolean }
  | { type: 'node-lost'; node: string; reason: string }
  | { type: 'access-denied'; peer: string; reason: string }
  | { type: 'waiting-for-nodes'; have: string[]; need: number }
  | { type: 'statistics'; mean: number[]; std: number[]; nodes: number; reused: boolean; warning?: string }
  | { type: 'stain-reference'; mean: number[]; std: number[]; nodes: number; reused: boolean }
  | { type: 'statistics-failed'; what?: 'statistics' | 'stain'; attempt: number; reason: string; willRetry: boolean }
  | { type: 'round-started'; round: number; attempt: number; nodes: string[] }
  | {
      type: 'result';
      round: number;
      attempt: number;
      node: string;
      phase: 'fit' | 'evaluate';
      status: 'accepted' | 'rejected' | 'dropped';
      reason?: string;
      /** An accepted fit's sample count and the node's spent epsilon, when it released them (plain aggregation). */
      numSamples?: number;
      epsilon?: number;
    }
  | { type: 'late-result'; node: string; taskId: string }
  | { type: 'round-failed'; round: number; attempt: number; reason: string; willRetry: boolean }
  | { type: 'round-completed'; round: number; attempt: number; fitMetrics: Metrics; evalMetrics: Metrics | null; best: boolean }
  | { type: 'run-finished'; status: 'completed' | 'stopped_early' | 'failed'; message: string };

export type EventSink = (event: CoordinatorEvent) => void;

function formatMetrics(m: Metrics | null): string {
  if (!m) return '-';
  return Object.entries(m)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' ');
}

export function describeEvent(e: CoordinatorEvent): string {
  switch (e.type) {
    case 'listening':
      return `listening on ${e.address}${e.insecure ? ' (INSECURE)' : ' (mutual TLS)'}`;
    case 'run-started':
      return e.resumedAfterRound === null
        ? `run '${e.runName}': starting, ${e.totalRounds} rounds`
        : `run '${e.runName}': resuming after round ${e.resumedAfterRound} of ${e.totalRounds}`;
    case 'node-joined':
      return `node ${e.node} ${e.rejoined ? 'rejoined' : 'joined'}`;
    case 'node-lost':
      return `node ${e.node} lost: ${e.reason}`;
    case 'access-denied':
      return `refused ${e.peer}: ${e.reason}`;
    case 'waiting-for-nodes':
      return `waiting for nodes: ${e.have.length} of ${e.need} connected (${e.have.join(', ') || 'none'})`;
    case 'statistics':
      return `normalisation ${e.reused ? 'from the stored exchange' : `exchanged with ${e.nodes} nodes`}: mean ${e.mean.map((v) => v.toFixed(4)).join(',')} std ${e.std.map((v) => v.toFixed(4)).join(',')}${e.warning ? `\nWARNING: ${e.warning}` : ''}`;
    case 'stain-reference':
      return `stain reference (Reinhard) ${e.reused ? 'from the stored exchange' : `exchanged with ${e.nodes} nodes`}: L*a*b* mean ${e.mean.map((v) => v.toFixed(2)).join(',')} std ${e.std.map((v) => v.toFixed(2)).join(',')}`;
    case 'statistics-failed':
      return `${e.what === 'stain' ? 'stain statistics' : 'statistics'} exchange attempt ${e.attempt} failed: ${e.reason}${e.willRetry ? ' - retrying' : ''}`;
    case 'round-started':
      return `round ${e.round} (attempt ${e.attempt}): fit on ${e.nodes.join(', ')}`;
    case 'result':
      return `round ${e.round}: ${e.phase} result of ${e.node} ${e.status}${e.reason ? `: ${e.reason}` : ''}`;
    case 'late-result':
      return `discarded a late or unknown result of ${e.node} (task ${e.taskId})`;
    case 'round-failed':
      return `round ${e.round} attempt ${e.attempt} failed: ${e.reason}${e.willRetry ? ' - retrying' : ''}`;
    case 'round-completed':
      return `round ${e.round} completed: fit ${formatMetrics(e.fitMetrics)} | eval ${formatMetrics(e.evalMetrics)}${e.best ? ' (best so far)' : ''}`;
    case 'run-finished':
      return `run ${e.status}: ${e.message}`;
  }
}
