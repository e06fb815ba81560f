import { HeError } from './errors.js';
import { ciphertextImage, parseCiphertext, plaintextImage, wordsOf, CIPHERTEXT_DATA_OFFSET, PLAINTEXT_DATA_OFFSET, type Expected } from './layout.js';
import { checkParams, type CkksParams } from './params.js';
import { polyWords, rnsBasis, type RnsBasis } from './rns.js';
import { loadSeal, type SealCipherText, type SealContext, type SealEvaluator, type SealLibrary, type SealPlainText } from './seal.js';

/**
 * A SEAL context for a run's parameters plus the byte templates and wasm
 * helpers the threshold layer builds on. SEAL has no API for raw
 * polynomials; we write words into images of objects SEAL itself made and
 * let SEAL load (and validate) them. Pointwise products and the NTT run in
 * SEAL's wasm: a ciphertext image holding our polynomial, `multiplyPlain` by
 * a plaintext image, `cipherTransformTo/FromNtt`.
 */
export interface HeContext {
  readonly seal: SealLibrary;
  readonly ctx: SealContext;
  readonly params: CkksParams;
  readonly data: RnsBasis; // the data primes: ciphertexts, shares
  readonly key: RnsBasis; // data primes + special prime: keys
  readonly dataParmsId: readonly bigint[];
  readonly keyParmsId: readonly bigint[];
  readonly evaluator: SealEvaluator;
  readonly templates: {
    ciphertext: Uint8Array; // data level, 2 polys
    plaintext: Uint8Array; // data level
    secretKey: Uint8Array; // key level
    publicKey: Uint8Array; // key level, 2 polys
    seededPublicKey: Uint8Array; // key level, c0 + 64-byte seed
  };
}

const none = (seal: SealLibrary) => seal.ComprModeType.none;

export async function createHeContext(params: CkksParams): Promise<HeContext> {
  checkParams(params);
  const seal = await loadSeal();
  const n = params.polyModulusDegree;
  const tc128 = seal.SecurityLevel.tc128;
  const totalBits = params.coeffModulusBits.reduce((a, b) => a + b, 0);
  const maxBits = seal.CoeffModulus.MaxBitCount(n, tc128);
  if (totalBits > maxBits) {
    throw new HeError('invalid-params', `coefficient modulus of ${totalBits} bits exceeds ${maxBits}, the 128-bit security limit for N = ${n} (HE standard)`);
  }
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks);
  parms.setPolyModulusDegree(n);
  parms.setCoeffModulus(seal.CoeffModulus.Create(n, Int32Array.from(params.coeffModulusBits)));
  const ctx = seal.Context(parms, true, tc128);
  if (!ctx.parametersSet()) throw new HeError('invalid-params', `SEAL refused the parameters: ${ctx.toHuman()}`);
  const data = rnsBasis(n, Array.from(ctx.firstContextData.parms.coeffModulus));
  const key = rnsBasis(n, Array.from(ctx.keyContextData.parms.coeffModulus));
  const kg = seal.KeyGenerator(ctx);
  const pk = kg.createPublicKey();
  const enc = seal.Encryptor(ctx, pk);
  const pt = seal.PlainText();
  seal.CKKSEncoder(ctx).encode(Float64Array.of(0), 2 ** params.scaleBits, pt);
  const templates = {
    ciphertext: enc.encrypt(pt)!.saveArray(none(seal)),
    plaintext: pt.saveArray(none(seal)),
    secretKey: kg.secretKey().saveArray(none(seal)),
    publicKey: pk.saveArray(none(seal)),
    seededPublicKey: kg.createPublicKeySerializable().saveArray(none(seal)),
  };
  return {
    seal, ctx, params, data, key,
    dataParmsId: Array.from(ctx.firstParmsId.values),
    keyParmsId: Array.from(ctx.keyParmsId.values),
    evaluator: seal.Evaluator(ctx),
    templates,
  };
}

function expectAtData(he: HeContext, what: string): Expected {
  return { what, basis: he.data, parmsId: he.dataParmsId };
}

/** A SEAL ciphertext at data level holding (c0, c1) = (x0, x1). */
export function loadPair(he: HeContext, x0: Uint32Array, x1: Uint32Array, ntt: boolean, scale = 1): SealCipherText {
  const words = new Uint32Array(x0.length + x1.length);
  words.set(x0);
  words.set(x1, x0.length);
  const ct = he.seal.CipherText();
  ct.loadArray(he.ctx, ciphertextImage(he.templates.ciphertext, words, ntt, scale));
  return ct;
}

/** (c0, c1) words of a data-level ciphertext SEAL holds. */
export function pairOf(he: HeContext, ct: SealCipherText): [Uint32Array, Uint32Array] {
  const w = 2 * polyWords(he.data);
  const all = wordsOf(ct.saveArray(none(he.seal)), CIPHERTEXT_DATA_OFFSET, w);
  return [all.subarray(0, w), all.subarray(w)];
}

/** A data-level plaintext (NTT form, as CKKS plaintexts are) holding the given words. */
export function loadPlain(he: HeContext, words: Uint32Array, scale: number): SealPlainText {
  const pt = he.seal.PlainText();
  pt.loadArray(he.ctx, plaintextImage(he.templates.plaintext, words, scale));
  return pt;
}

export function plainWords(he: HeContext, pt: SealPlainText): Uint32Array {
  return wordsOf(pt.saveArray(none(he.seal)), PLAINTEXT_DATA_OFFSET, polyWords(he.data));
}

export function fromNtt(he: HeContext, x: Uint32Array): Uint32Array {
  const ct = loadPair(he, x, x, true);
  he.evaluator.cipherTransformFromNtt(ct, ct);
  const out = pairOf(he, ct)[0];
  ct.delete();
  return out;
}

/** Pointwise x * y mod q_j (both data-level polynomials), in SEAL's wasm. */
export function mulPoly(he: HeContext, x: Uint32Array, y: Uint32Array): Uint32Array {
  const ct = loadPair(he, x, x, true);
  const pt = loadPlain(he, y, 1);
  he.evaluator.multiplyPlain(ct, pt, ct);
  const out = pairOf(he, ct)[0];
  ct.delete();
  pt.delete();
  return out;
}

/** Parse a ciphertext someone sent, at data level, refusing anything else; errors name `what`. */
export function parseDataCiphertext(he: HeContext, bytes: Uint8Array, what: string, scale: number) {
  const p = parseCiphertext(bytes, expectAtData(he, what));
  if (!p.ntt) throw new HeError('malformed', `${what}: expected an NTT-form ciphertext`);
  if (p.scale !== scale) throw new HeError('malformed', `${what}: expected scale 2^${Math.log2(scale)}, got ${p.scale}`);
  return p;
}
