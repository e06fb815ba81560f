/**
 * The weights of round 0 when the coordinator owns them: built from the declared
 * architecture (`model:`), loaded from a saved folder (`initialModel:`), or both
 * (then the folder must be that architecture). Null: the first node's INIT decides.
 */
import { dirname, resolve } from 'node:path';
import { PrivmedError } from '../../common/errors.js';
import type { CoordinatorConfig } from '../../federation/coordinator/config.js';
import { initBackend } from '../../engine/backend.js';
import { buildModel } from '../../models/build.js';
import { initWeights } from '../../training/init.js';
import { readModelWeights, readWeights, type NamedWeights } from '../../training/weights.js';

export async function coordinatorInitialWeights(config: CoordinatorConfig, configFile: string): Promise<NamedWeights[] | null> {
  if (!config.model && !config.initialModel) return null;
  await initBackend('cpu');
  let declared: NamedWeights[] | null = null;
  if (config.model) {
    const { seed, ...spec } = config.model;
    const model = buildModel(spec);
    initWeights(model, seed);
    declared = readWeights(model);
    model.dispose();
  }
  if (!config.initialModel) return declared;
  const folder = resolve(dirname(resolve(configFile)), config.initialModel);
  const loaded = await readModelWeights(folder);
  if (declared) checkArchitecture(loaded, declared, folder, config.model!.arch);
  return loaded;
}

function checkArchitecture(loaded: NamedWeights[], declared: NamedWeights[], folder: string, arch: string): void {
  const describe = (w: NamedWeights | undefined) => (w ? `'${w.name}' [${w.shape.join(', ')}]` : 'nothing');
  const n = Math.max(loaded.length, declared.length);
  for (let i = 0; i < n; i++) {
    const a = loaded[i];
    const b = declared[i];
    if (!a || !b || a.name !== b.name || a.shape.join() !== b.shape.join()) {
      throw new PrivmedError(`initialModel ${folder} is not the declared model (${arch}): tensor ${i + 1} is ${describe(a)}, expected ${describe(b)}`, {
        hint: 'make model: and initialModel: agree, or drop one of them',
      });
    }
  }
}
