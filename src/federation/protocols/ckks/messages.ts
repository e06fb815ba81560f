/** The JSON payloads of the CKKS tasks and replies, and their checks (everything a remote party sends is checked before use). */
import type { CkksParams } from '../../../he/index.js';

export interface RunJson {
  runId: string;
  roster: string[];
  threshold: number;
  params: CkksParams;
}

export interface AdvertJson {
  node: string;
  certPem: string;
  x25519: string;
  signature: string;
}

export interface FitJson {
  /** The round id the uploads are bound to (base64). */
  round: string;
  maxSamples: number;
  maxUpdateNorm: number | null;
}

export interface ShareJson {
  aggregate: string;
  active: number[];
  chunks: number;
}

export interface OpenJson {
  aggregate: string;
  chunks: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max = 1 << 16): v is string => typeof v === 'string' && v.length <= max;
const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 4096;

export function isRunJson(v: unknown): v is RunJson {
  return isObj(v) && str(v.runId, 256) && Array.isArray(v.roster) && v.roster.length <= 64 && v.roster.every((n) => str(n, 256)) && count(v.threshold) && isObj(v.params);
}

export function isAdvertJson(v: unknown): v is AdvertJson {
  return isObj(v) && str(v.node, 256) && str(v.certPem) && str(v.x25519, 256) && str(v.signature, 4096);
}

export function isFitJson(v: unknown): v is FitJson {
  return (
    isObj(v) &&
    str(v.round, 64) &&
    Number.isSafeInteger(v.maxSamples) &&
    (v.maxSamples as number) >= 1 &&
    (v.maxUpdateNorm === null || (typeof v.maxUpdateNorm === 'number' && v.maxUpdateNorm > 0))
  );
}

export function isShareJson(v: unknown): v is ShareJson {
  return isObj(v) && str(v.aggregate, 64) && count(v.chunks) && Array.isArray(v.active) && v.active.length <= 64 && v.active.every((h) => Number.isSafeInteger(h));
}

export function isOpenJson(v: unknown): v is OpenJson {
  return isObj(v) && str(v.aggregate, 64) && count(v.chunks);
}

export interface KeyJson {
  publicKey: string;
}

export function isKeyJson(v: unknown): v is KeyJson {
  return isObj(v) && str(v.publicKey, 64);
}

export function isModelJson(v: unknown): v is { model: string } {
  return isObj(v) && str(v.model, 64);
}
