/** Reads a dashboard's server-sent events with fetch until a state satisfies `until` (or the time runs out). */
import type { DashboardSnapshot } from '../../../src/dashboard/snapshot.js';

export async function readEvents(url: string, onState: (s: DashboardSnapshot) => void, until: (s: DashboardSnapshot) => boolean, timeoutMs: number): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no final state within ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await fetch(url, { signal: abort.signal });
    if (res.status !== 200 || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^event: state\ndata: (.*)$/m.exec(message.replace(/^retry: \d+\n/, ''));
        if (!data) continue;
        const state = JSON.parse(data[1]!) as DashboardSnapshot;
        onState(state);
        if (until(state)) return;
      }
    }
    throw new Error('the event stream ended early');
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
