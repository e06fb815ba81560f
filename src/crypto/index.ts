/**
 * Cryptographic building blocks shared by the privacy protocols (SecAgg+
 * today; threshold keys and secure inference next): ring arithmetic over
 * Z_{2^32}, fixed-point encoding, Shamir sharing over GF(2^255-19), X25519,
 * HKDF, AES-GCM, an AES-CTR mask generator and the CSPRNG. Depends only on
 * common/, node:crypto and @noble/*.
 */
export { CryptoError, type CryptoErrorCode } from './errors.js';
export { systemRandom, type RandomSource } from './random.js';
export { equalBytes } from './bytes.js';
export { RING_BITS, RING_ELEMENT_BYTES, addInto, ringFromLittleEndian, ringToLittleEndian } from './ring.js';
export { applyMask } from './prg.js';
export {
  SIGNED_MAX,
  decodeFixedPoint,
  encodeFixedPoint,
  perPartyBudget,
  randomWords,
  roundStochastic,
} from './fixed-point.js';
export { SECRET_BYTES, isFieldElement, randomFieldElementBytes, reconstructSecret, shareSecret, type Share } from './shamir.js';
export {
  X25519_KEY_BYTES,
  generateX25519KeyPair,
  isClampedScalar,
  privateKeyObject,
  x25519Agree,
  x25519PublicKey,
  type X25519KeyPair,
} from './x25519.js';
export { SYMMETRIC_KEY_BYTES, hkdfSha256 } from './hkdf.js';
export { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, aeadCiphertextBytes, openAead, sealAead } from './aead.js';
