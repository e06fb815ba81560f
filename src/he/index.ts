/**
 * CKKS with a threshold key (issue #12): the scheme as a pure library over
 * node-seal 6.0.x. Parameters and bounds (params), SEAL byte layout (layout),
 * RNS arithmetic (rns), coefficient packing (packing), collective key
 * generation (keygen), Shamir re-sharing (threshold), encryption and the sum
 * (encrypt), smudged, padded decryption shares (decrypt), their ledger
 * (ledger) and wire frames (frames). Depends only on common/ and crypto/.
 */
export { HeError, type HeErrorCode } from './errors.js';
export { DEFAULT_CKKS_PARAMS, checkParams, errorBound, type CkksParams } from './params.js';
export { createHeContext, fromNtt, type HeContext } from './context.js';
export { parseCiphertext, parsePlaintext, readSeeded } from './layout.js';
export { encodeChunks, encodeCoefficients, decodeCoefficients } from './packing.js';
export { aggregateCkgShares, collectivePublicKeyBytes, crsPolynomial, crsSeed, generateKeyShare, loadCollectivePublicKey, type KeyShare } from './keygen.js';
export { dealShares, defaultThreshold, lagrangeAtZero, sumShares } from './threshold.js';
export { CiphertextSum, collectiveEncryptor, encryptChunk, encryptChunks, type Encryptor } from './encrypt.js';
export { additiveKey, combineShares, decryptionShare, openCombined, openCombinedChunks, padPoly, partialKey, smudgedShare, smudgedShares, smudgingNoise, type PadBinding } from './decrypt.js';
export { ShareLedger } from './ledger.js';
export { frame, parseUpload, parseWords, wordsPayload, type Binding, type FrameKind } from './frames.js';
export { inProcessCommittee, type Committee } from './committee.js';
