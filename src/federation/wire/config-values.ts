/** Conversion of node configuration records (plain scalars) to and from the wire. */
import type { ConfigValue, ConfigValue__Output } from './messages.js';

import type { ConfigScalar } from '../../site/fit-config.js';

export type { ConfigScalar };
export type ConfigRecord = Record<string, ConfigScalar>;

export function configToWire(config: Readonly<Record<string, ConfigScalar | undefined>>): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (typeof value === 'number') out[key] = { number: value };
    else if (typeof value === 'string') out[key] = { text: value };
    else out[key] = { flag: value };
  }
  return out;
}

export function configFromWire(config: Readonly<Record<string, ConfigValue__Output>>): ConfigRecord {
  const out: ConfigRecord = {};
  for (const [key, v] of Object.entries(config)) {
    if (v.value === 'number' && v.number !== undefined) out[key] = v.number;
    else if (v.value === 'text' && v.text !== undefined) out[key] = v.text;
    else if (v.value === 'flag' && v.flag !== undefined) out[key] = v.flag;
  }
  return out;
}
