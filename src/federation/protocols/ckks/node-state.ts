/**
 * A node's side of the CKKS protocol, independent of the transport: key
 * setup (signed X25519 advert, CKG share, Shamir dealing sealed to each
 * peer, the consortium key), then per round: encrypt the weighted update,
 * answer one decryption request per aggregate (ledger: same bytes on
 * retry), open the combined result. Secrets (S(h), the consortium key)
 * stay in this object and the node's directory.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PrivmedError } from '../../../common/errors.js';
import { systemRandom, type RandomSource, type X25519KeyPair } from '../../../crypto/index.js';
import {
  HeError,
  ShareLedger,
  aggregateCkgShares,
  collectiveEncryptor,
  collectivePublicKeyBytes,
  crsPolynomial,
  crsSeed,
  dealShares,
  decryptionShare,
  encryptChunks,
  frame,
  generateKeyShare,
  loadCollectivePublicKey,
  openCombinedChunks,
  parseWords,
  partialKey,
  sumShares,
  wordsPayload,
  type Encryptor,
  type HeContext,
} from '../../../he/index.js';
import { firstWordOutOfRange } from '../../../he/rns.js';
import { checkAdvert, makeAdvert, openFromPeer, pairwiseKey, sealToPeer, type KeyAdvert, type NodeCredentials } from './key-setup.js';
import { checkRun, holderId, publicContext, runDigest, type CkksRun } from './run-context.js';
import { CkksPool, POOL_MIN_CHUNKS, workerThreads } from './worker-pool.js';

export interface DealOutput {
  ckgShare: Uint8Array;
  /** Shamir shares of this node's key, sealed to each peer. */
  sealedShares: Map<string, Uint8Array>;
  /** The consortium key sealed to each peer (from the roster's first node only). */
  sealedConsortium: Map<string, Uint8Array>;
}

export class CkksNode {
  readonly id: number;
  private readonly digest: Uint8Array;
  private x25519?: X25519KeyPair;
  private pairKeys = new Map<string, Uint8Array>();
  private ownShares?: Map<number, Uint32Array>;
  private ownConsortium?: Uint8Array;
  private keyShare?: Uint32Array;
  private consortiumKey?: Uint8Array;
  private encryptor?: Encryptor;
  private ledger?: ShareLedger;
  private publicKey?: { bytes: Uint8Array; seed: Uint8Array };
  private pool?: CkksPool;

  constructor(
    private readonly he: HeContext,
    private readonly creds: NodeCredentials,
    private readonly run: CkksRun,
    private readonly dir: string,
    private readonly random: RandomSource = systemRandom,
  ) {
    checkRun(run);
    this.id = holderId(run, creds.name);
    this.digest = runDigest(run);
  }

  advertise(): KeyAdvert {
    const { advert, keys } = makeAdvert(this.creds, this.digest, this.random);
    this.x25519 = keys;
    return advert;
  }

  /** Checks every peer's advert (CA, CN, signature over this run), then deals. */
  deal(adverts: ReadonlyMap<string, KeyAdvert>): DealOutput {
    if (!this.x25519) throw new PrivmedError('ckks: deal before advertise');
    for (const peer of this.run.roster) {
      if (peer === this.creds.name) continue;
      const advert = adverts.get(peer);
      if (!advert) throw new PrivmedError(`ckks key setup: no key advertised for ${peer}`);
      const pub = checkAdvert(advert, peer, this.digest, this.creds.caPem);
      this.pairKeys.set(peer, pairwiseKey(this.x25519, this.creds.name, peer, pub, this.digest));
    }
    const he = this.he;
    const share = generateKeyShare(he, crsPolynomial(he, crsSeed(publicContext(this.run))));
    const ids = this.run.roster.map((_, i) => i + 1);
    const dataWords = 2 * he.data.n * he.data.q.length;
    this.ownShares = dealShares(he, share.secret.subarray(0, dataWords), ids, this.run.threshold, this.random);
    const sealedShares = new Map<string, Uint8Array>();
    const sealedConsortium = new Map<string, Uint8Array>();
    if (this.id === 1) this.ownConsortium = this.random(32);
    for (const peer of this.pairKeys.keys()) {
      const key = this.pairKeys.get(peer)!;
      sealedShares.set(peer, sealToPeer(key, 'key share', this.creds.name, peer, wordsPayload(this.ownShares.get(holderId(this.run, peer))!), this.random));
      if (this.ownConsortium) sealedConsortium.set(peer, sealToPeer(key, 'consortium key', this.creds.name, peer, this.ownConsortium, this.random));
    }
    return { ckgShare: wordsPayload(share.ckgShare).slice(), sealedShares, sealedConsortium };
  }

  /**
   * Aggregates the CKG shares itself (it does not trust a key the coordinator
   * computed), opens the shares sealed to it; returns the collective key.
   */
  finish(ckgShares: ReadonlyMap<string, Uint8Array>, sealedForMe: ReadonlyMap<string, Uint8Array>, consortiumForMe: Uint8Array | null): Uint8Array {
    if (!this.ownShares) throw new PrivmedError('ckks: finish before deal');
    const he = this.he;
    const ckg = this.run.roster.map((peer) => this.words(ckgShares.get(peer), he.key, `CKG share of ${peer}`));
    const seed = crsSeed(publicContext(this.run));
    const publicKey = collectivePublicKeyBytes(he, aggregateCkgShares(he, ckg), seed);
    const received = this.run.roster.map((peer) => {
      if (peer === this.creds.name) return this.ownShares!.get(this.id)!;
      const sealed = sealedForMe.get(peer);
      if (!sealed) throw new PrivmedError(`ckks key setup: no key share from ${peer}`);
      return this.words(openFromPeer(this.pairKeys.get(peer)!, 'key share', peer, this.creds.name, sealed), he.data, `key share from ${peer}`);
    });
    this.keyShare = sumShares(he, received);
    if (this.id === 1) this.consortiumKey = this.ownConsortium;
    else {
      const lead = this.run.roster[0]!;
      if (!consortiumForMe) throw new PrivmedError(`ckks key setup: no consortium key from ${lead}`);
      this.consortiumKey = openFromPeer(this.pairKeys.get(lead)!, 'consortium key', lead, this.creds.name, consortiumForMe);
      if (this.consortiumKey.length !== 32) throw new PrivmedError(`ckks key setup: the consortium key from ${lead} has ${this.consortiumKey.length} bytes, expected 32`);
    }
    this.ownShares = undefined;
    this.encryptor = collectiveEncryptor(he, loadCollectivePublicKey(he, publicKey, seed));
    this.publicKey = { bytes: publicKey, seed };
    const keyId = createHash('sha256').update(publicKey).digest('hex');
    this.ledger = new ShareLedger(join(this.dir, 'ckks-ledger'), keyId, he.params.maxDecryptionsPerKey);
    return publicKey;
  }

  /**
   * values = weight * update (already clipped), then the weight itself as the
   * last coordinate. Large updates are encrypted on worker threads.
   */
  async upload(values: Float32Array, weight: number, round: Uint8Array): Promise<Uint8Array[]> {
    if (!this.encryptor || !this.publicKey) throw new PrivmedError('ckks: upload before the key setup finished');
    if (!(weight > 0 && weight <= 1)) throw new HeError('invalid-input', `the sample weight ${weight} is outside (0, 1]`);
    const n = this.he.params.polyModulusDegree;
    const all = new Float32Array(values.length + 1);
    all.set(values);
    all[values.length] = weight;
    const what = `${this.creds.name}'s update`;
    let cts: Uint8Array[];
    if (Math.ceil(all.length / n) >= POOL_MIN_CHUNKS && workerThreads() > 1) {
      this.pool ??= new CkksPool(this.publicKey.bytes, this.publicKey.seed);
      cts = await this.pool.encrypt(all, n, what);
    } else {
      const chunks = [];
      for (let at = 0; at < all.length; at += n) chunks.push(all.subarray(at, Math.min(all.length, at + n)));
      cts = encryptChunks(this.he, this.encryptor, chunks, what);
    }
    return cts.map((ct, chunk) => frame('upload', { node: this.id, chunk, id: round }, ct));
  }

  /** Stops the encryption threads (a new key setup replaces this object). */
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }

  /**
   * One share per chunk of the aggregate, for active set `active`; the same
   * bytes on every retry. Large aggregates are shared on the worker threads.
   */
  async share(aggregate: Uint8Array, active: readonly number[], c1Frames: readonly Uint8Array[]): Promise<Uint8Array[]> {
    if (!this.ledger || !this.keyShare || !this.consortiumKey || !this.publicKey) throw new PrivmedError('ckks: decryption before the key setup finished');
    if (active.length < this.run.threshold) throw new HeError('below-threshold', `asked to decrypt with ${active.length} nodes, the run's threshold is ${this.run.threshold}`);
    const ids = new Set(active);
    if (ids.size !== active.length || active.some((h) => !Number.isInteger(h) || h < 1 || h > this.run.roster.length) || !ids.has(this.id)) {
      throw new HeError('protocol', `active set [${active.join(', ')}] must be distinct roster positions 1..${this.run.roster.length} including this node (${this.id})`);
    }
    const hex = Buffer.from(aggregate).toString('hex');
    // What the coordinator sent is checked here, before any thread uses it.
    const c1s = () => c1Frames.map((f, chunk) => parseWords(this.he, 'combined', f, { node: 0, chunk, id: aggregate }, `c1 of chunk ${chunk} from the coordinator`));
    const frameOf = (w: Uint32Array, chunk: number) => frame('share', { node: this.id, chunk, id: aggregate }, wordsPayload(w));
    const job = { keyShare: this.keyShare, holder: this.id, active: [...active], consortiumKey: this.consortiumKey, aggregateId: aggregate };
    if (c1Frames.length >= POOL_MIN_CHUNKS && workerThreads() > 1) {
      this.pool ??= new CkksPool(this.publicKey.bytes, this.publicKey.seed);
      const pool = this.pool;
      return this.ledger.sharesAsync(hex, active, c1Frames.length, async () => (await pool.shares(job, c1s())).map(frameOf));
    }
    let key: ReturnType<typeof partialKey> | undefined;
    let parsed: Uint32Array[] | undefined;
    try {
      return this.ledger.shares(hex, active, c1Frames.length, (chunk) => {
        parsed ??= c1s();
        key ??= partialKey(this.he, this.keyShare!, this.id, active);
        return frameOf(decryptionShare(this.he, key, parsed[chunk]!, { ...job, chunk }, this.random), chunk);
      });
    } finally {
      key?.delete();
    }
  }

  /** The weighted mean update from the combined result (sum / sum of weights), and the weight sum. */
  open(aggregate: Uint8Array, combinedFrames: readonly Uint8Array[], parameters: number): { mean: Float64Array; weightSum: number } {
    if (!this.consortiumKey) throw new PrivmedError('ckks: open before the key setup finished');
    const n = this.he.params.polyModulusDegree;
    const words = combinedFrames.map((f, chunk) => parseWords(this.he, 'combined', f, { node: 0, chunk, id: aggregate }, `combined result of chunk ${chunk}`));
    const counts = words.map((_, c) => Math.min(n, parameters + 1 - c * n));
    const parts = openCombinedChunks(this.he, words, this.consortiumKey, aggregate, 0, counts);
    const sum = new Float64Array(parameters + 1);
    parts.forEach((p, c) => sum.set(p, c * n));
    const weightSum = sum[parameters]!;
    if (!(weightSum > 0)) throw new HeError('protocol', `the decrypted weight sum is ${weightSum}`);
    return { mean: sum.subarray(0, parameters).map((v) => v / weightSum), weightSum };
  }

  private words(bytes: Uint8Array | undefined, basis: HeContext['key'], what: string): Uint32Array {
    const expected = 8 * basis.n * basis.q.length;
    if (!bytes || bytes.length !== expected) throw new HeError('malformed', `${what}: expected ${expected} bytes, got ${bytes?.length ?? 'nothing'}`);
    const w = new Uint32Array(bytes.slice().buffer);
    if (firstWordOutOfRange(basis, w) >= 0) throw new HeError('malformed', `${what}: a word is not below its prime`);
    return w;
  }
}
