import * as sealModule from 'node-seal/allows_wasm_node_umd.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';

/**
 * node-seal 6.0.x (SEAL 4.1) loaded once per process, its "allows" build:
 * the default build throws when an evaluator result has c1 = 0
 * ("transparent"), which our polynomial images hit whenever a chunk is all
 * zeros (a frozen layer, the zero used for re-randomisation). Real
 * encryptions come from the Encryptor and are never transparent. The
 * package is CommonJS (UMD); its factory is the default export, nested once
 * more under some loaders.
 */
export type SealLibrary = SEALLibrary;
export type SealContext = ReturnType<SealLibrary['Context']>;
export type SealCipherText = ReturnType<SealLibrary['CipherText']>;
export type SealPlainText = ReturnType<SealLibrary['PlainText']>;
export type SealPublicKey = ReturnType<SealLibrary['PublicKey']>;
export type SealSecretKey = ReturnType<SealLibrary['SecretKey']>;
export type SealEvaluator = ReturnType<SealLibrary['Evaluator']>;

type Factory = () => Promise<SealLibrary>;
let loading: Promise<SealLibrary> | undefined;

function factory(): Factory {
  let f: unknown = sealModule;
  for (let i = 0; i < 3 && typeof f !== 'function'; i++) f = (f as { default?: unknown }).default;
  if (typeof f !== 'function') throw new Error('node-seal did not export its factory');
  return f as Factory;
}

export function loadSeal(): Promise<SealLibrary> {
  loading ??= factory()();
  return loading;
}
