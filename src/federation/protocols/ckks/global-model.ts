/**
 * The global model a node decoded, one file per round under
 * `<node state folder>/global-model/`: under CKKS no other party holds it,
 * so this is where `privmed simulate` and `demo` read the model they test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../common/atomic.js';
import { PrivmedError } from '../../../common/errors.js';
import { decodeTensors, encodeTensors, specsOf, type NamedTensor } from '../../wire/tensors.js';

export function globalModelDir(stateDir: string): string {
  return join(stateDir, 'global-model');
}

export function writeGlobalModel(stateDir: string, round: number, tensors: readonly NamedTensor[]): void {
  const dir = globalModelDir(stateDir);
  writeFileAtomic(join(dir, `round-${round}.bin`), encodeTensors(tensors));
  writeFileAtomic(join(dir, `round-${round}.json`), JSON.stringify(specsOf(tensors)));
}

export function readGlobalModel(stateDir: string, round: number): Float32Array[] {
  const file = join(globalModelDir(stateDir), `round-${round}`);
  if (!existsSync(`${file}.bin`)) throw new PrivmedError(`${file}.bin: no global model of round ${round} at this node (did it take part in that round's decryption?)`);
  const specs = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as { name: string; shape: number[] }[];
  return decodeTensors(specs, readFileSync(`${file}.bin`)).map((t) => t.data);
}
