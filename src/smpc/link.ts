/**
 * The data owner's and model owner's connection to each other, as the
 * protocol sees it: ordered messages both ways. Counts bytes and the rounds
 * in which this party waited for the other (what the latency depends on).
 */
export interface Link {
  send(bytes: Uint8Array): void;
  receive(): Promise<Uint8Array>;
}

export class CountingLink implements Link {
  sentBytes = 0;
  receivedBytes = 0;
  rounds = 0;
  private waitingSince = -1;
  constructor(private readonly inner: Link) {}
  send(bytes: Uint8Array): void {
    this.sentBytes += bytes.byteLength;
    this.waitingSince = -1;
    this.inner.send(bytes);
  }
  async receive(): Promise<Uint8Array> {
    // Several receives without a send in between are one round.
    if (this.waitingSince < 0) {
      this.rounds++;
      this.waitingSince = this.rounds;
    }
    const m = await this.inner.receive();
    this.receivedBytes += m.byteLength;
    return m;
  }
}

/** Two linked in-memory ends (tests and the in-process runner). */
export function memoryLinkPair(): [Link, Link] {
  const queues: Uint8Array[][] = [[], []];
  const waiters: ((m: Uint8Array) => void)[][] = [[], []];
  const end = (me: 0 | 1): Link => ({
    send(bytes) {
      const copy = bytes.slice();
      const w = waiters[1 - me]!.shift();
      if (w) w(copy);
      else queues[1 - me]!.push(copy);
    },
    receive() {
      const m = queues[me]!.shift();
      if (m) return Promise.resolve(m);
      return new Promise((resolve) => waiters[me]!.push(resolve));
    },
  });
  return [end(0), end(1)];
}
