/**
 * The coordinator's side of a CKKS round, independent of the transport. It
 * holds ciphertexts, their sums and masked shares only: no key share, no
 * consortium key ever reaches it (the setup messages it relays are signed
 * public keys, public CKG shares and AEAD-sealed bytes). It persists each
 * round's sums (files, written atomically) so a restarted coordinator
 * resumes the round at decryption.
 *
 * Decryption: it picks an active set T of t nodes among those alive and
 * asks each for its share on the aggregate's c1. If a node of T falls
 * silent, it re-randomises the aggregate (adds a fresh encryption of zero
 * under the collective key: a new c1, a new aggregate id) and asks a new set:
 * no node ever decrypts the same c1 under two sets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../common/atomic.js';
import { PrivmedError } from '../../../common/errors.js';
import {
  CiphertextSum,
  aggregateCkgShares,
  collectiveEncryptor,
  collectivePublicKeyBytes,
  combineShares,
  crsSeed,
  encryptChunk,
  frame,
  loadCollectivePublicKey,
  parseCiphertext,
  parseUpload,
  parseWords,
  wordsPayload,
  type Encryptor,
  type HeContext,
} from '../../../he/index.js';
import { aggregateId, checkRun, holderId, publicContext, roundId, type CkksRun } from './run-context.js';

export interface DecryptionRequest {
  aggregate: Uint8Array;
  active: number[];
  /** Node names of T, for addressing. */
  nodes: string[];
  c1Frames: Uint8Array[];
}

export class CkksCoordinator {
  private encryptor?: Encryptor;
  private round = 0;
  private attempt = 0;
  private chunks = 0;
  private sums: Uint8Array[] = [];
  private contributors: string[] = [];
  private rerandomised = 0;
  private request?: DecryptionRequest;
  private shares = new Map<string, Uint32Array[]>();

  constructor(
    private readonly he: HeContext,
    private readonly run: CkksRun,
    private readonly dir: string,
  ) {
    checkRun(run);
  }

  /** The collective key from the public CKG shares (for re-randomisation; the nodes compute it themselves). */
  setCollectiveKey(ckgShares: ReadonlyMap<string, Uint8Array>): Uint8Array {
    const words = this.run.roster.map((node) => {
      const bytes = ckgShares.get(node);
      const expected = 8 * this.he.key.n * this.he.key.q.length;
      if (!bytes || bytes.length !== expected) throw new PrivmedError(`ckks: the CKG share of ${node} has ${bytes?.length ?? 0} bytes, expected ${expected}`);
      return new Uint32Array(bytes.slice().buffer);
    });
    const seed = crsSeed(publicContext(this.run));
    const publicKey = collectivePublicKeyBytes(this.he, aggregateCkgShares(this.he, words), seed);
    this.encryptor = collectiveEncryptor(this.he, loadCollectivePublicKey(this.he, publicKey, seed));
    return publicKey;
  }

  startRound(round: number, attempt: number, parameters: number): Uint8Array {
    this.round = round;
    this.attempt = attempt;
    this.chunks = Math.ceil((parameters + 1) / this.he.params.polyModulusDegree);
    this.sums = [];
    this.contributors = [];
    this.rerandomised = 0;
    this.request = undefined;
    return roundId(this.run, round, attempt);
  }

  /** All of a node's chunks, checked before any is added (a bad upload leaves the sums untouched). */
  receiveUpload(node: string, frames: readonly Uint8Array[]): void {
    const id = holderId(this.run, node);
    if (this.contributors.includes(node)) throw new PrivmedError(`ckks: ${node} uploaded twice in round ${this.round}`);
    if (frames.length !== this.chunks) throw new PrivmedError(`ckks: ${node} sent ${frames.length} ciphertexts, the round has ${this.chunks}`);
    const rid = roundId(this.run, this.round, this.attempt);
    const bodies = frames.map((f, chunk) => parseUpload(this.he, f, { node: id, chunk, id: rid }, `${node}'s upload, chunk ${chunk}`));
    this.sums = bodies.map((body, chunk) => {
      const sum = new CiphertextSum(this.he);
      if (this.sums[chunk]) sum.add(this.sums[chunk]!, 'running sum');
      sum.add(body, `${node}'s upload, chunk ${chunk}`);
      const bytes = sum.bytes();
      sum.dispose();
      return bytes;
    });
    this.contributors.push(node);
    this.persist();
  }

  /** The shares needed from t of `alive`; re-randomises when asked again for the same round. */
  decryptionRequest(alive: readonly string[]): DecryptionRequest {
    if (this.contributors.length === 0) throw new PrivmedError('ckks: no uploads to decrypt');
    const candidates = this.run.roster.filter((n) => alive.includes(n));
    if (candidates.length < this.run.threshold) {
      throw new PrivmedError(`ckks: ${candidates.length} nodes alive, ${this.run.threshold} needed to decrypt round ${this.round}`);
    }
    if (this.request) this.rerandomise();
    const nodes = candidates.slice(0, this.run.threshold);
    const aggregate = aggregateId(this.run, this.round, this.attempt, this.rerandomised);
    const words = 2 * this.he.data.n * this.he.data.q.length;
    const c1Frames = this.sums.map((s, chunk) => frame('combined', { node: 0, chunk, id: aggregate }, wordsPayload(this.aggregateWords(s).subarray(words))));
    this.request = { aggregate, active: nodes.map((n) => holderId(this.run, n)), nodes, c1Frames };
    this.shares.clear();
    return this.request;
  }

  receiveShares(node: string, frames: readonly Uint8Array[]): void {
    const r = this.request;
    if (!r || !r.nodes.includes(node)) throw new PrivmedError(`ckks: ${node} sent decryption shares it was not asked for`);
    if (frames.length !== this.chunks) throw new PrivmedError(`ckks: ${node} sent ${frames.length} shares, the round has ${this.chunks} chunks`);
    const id = holderId(this.run, node);
    this.shares.set(node, frames.map((f, chunk) => parseWords(this.he, 'share', f, { node: id, chunk, id: r.aggregate }, `${node}'s decryption share, chunk ${chunk}`)));
  }

  /** F = c0 + sum of the shares of T, per chunk: masked, for the nodes to open. */
  combined(): Uint8Array[] {
    const r = this.request;
    if (!r) throw new PrivmedError('ckks: no decryption in progress');
    const missing = r.nodes.filter((n) => !this.shares.has(n));
    if (missing.length > 0) throw new PrivmedError(`ckks: waiting for decryption shares from ${missing.join(', ')}`);
    const words = 2 * this.he.data.n * this.he.data.q.length;
    return this.sums.map((s, chunk) => {
      const c0 = this.aggregateWords(s).subarray(0, words);
      const f = combineShares(this.he, c0, r.nodes.map((n) => this.shares.get(n)![chunk]!));
      return frame('combined', { node: 0, chunk, id: r.aggregate }, wordsPayload(f));
    });
  }

  get roundContributors(): readonly string[] {
    return this.contributors;
  }

  /** Resume a round from disk after a restart (sums and contributors). */
  resume(round: number, attempt: number, parameters: number): boolean {
    this.startRound(round, attempt, parameters);
    const file = join(this.roundDir(), 'round.json');
    if (!existsSync(file)) return false;
    const state = JSON.parse(readFileSync(file, 'utf8')) as { contributors: string[]; chunks: number };
    if (state.chunks !== this.chunks) throw new PrivmedError(`ckks: ${file} has ${state.chunks} chunks, the round has ${this.chunks}`);
    this.contributors = state.contributors;
    this.sums = Array.from({ length: this.chunks }, (_, c) => new Uint8Array(readFileSync(join(this.roundDir(), `sum-${c}.bin`))));
    return true;
  }

  private rerandomise(): void {
    if (!this.encryptor) throw new PrivmedError('ckks: re-randomising needs the collective key (setCollectiveKey)');
    this.rerandomised++;
    this.sums = this.sums.map((s) => {
      const sum = new CiphertextSum(this.he);
      sum.add(s, 'aggregate');
      sum.add(encryptChunk(this.he, this.encryptor!, [], 'zero'), 'fresh encryption of zero');
      const bytes = sum.bytes();
      sum.dispose();
      return bytes;
    });
  }

  private aggregateWords(bytes: Uint8Array): Uint32Array {
    return parseCiphertext(bytes, { what: 'aggregate', basis: this.he.data, parmsId: this.he.dataParmsId }).words;
  }

  private roundDir(): string {
    return join(this.dir, `ckks-round-${this.round}-${this.attempt}`);
  }

  private persist(): void {
    this.sums.forEach((s, c) => writeFileAtomic(join(this.roundDir(), `sum-${c}.bin`), s));
    writeFileAtomic(join(this.roundDir(), 'round.json'), JSON.stringify({ contributors: this.contributors, chunks: this.chunks }));
  }
}
