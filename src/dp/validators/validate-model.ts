/** Checks that a model can be trained with per-sample privacy before any data is touched. */
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../../common/errors.js';

/** Layers whose training-mode output for one sample depends on the other samples in the batch. */
const MIXING_LAYERS: Readonly<Record<string, string>> = { BatchNormalization: 'BatchNorm' };

/** Every layer (nested models included) that mixes samples, as [layer name, kind]. */
export function sampleMixingLayers(model: tfl.LayersModel): [string, string][] {
  const found: [string, string][] = [];
  const visit = (layer: tfl.layers.Layer): void => {
    const nested = (layer as Partial<tfl.LayersModel>).layers;
    if (Array.isArray(nested)) nested.forEach(visit);
    const kind = MIXING_LAYERS[layer.getClassName()];
    if (kind) found.push([layer.name, kind]);
  };
  model.layers.forEach(visit);
  return found;
}

/** Refuses models DP-SGD cannot train privately, with the fix in the message. */
export function validateForDp(model: tfl.LayersModel): void {
  const mixing = sampleMixingLayers(model);
  if (mixing.length) {
    const [name, kind] = mixing[0]!;
    const more = mixing.length > 1 ? ` and ${mixing.length - 1} more` : '';
    throw new PrivmedError(
      `model uses ${kind} (layer '${name}'${more}), which mixes samples and breaks per-sample privacy; ` +
        `use norm: group, or convertBatchNorm(model, 'group')`,
      { hint: "GroupNorm normalises each sample on its own; 'layer' (LayerNorm) and 'none' work too" },
    );
  }
  if (model.trainableWeights.length === 0) throw new PrivmedError('DP-SGD: the model has no trainable weights');
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new PrivmedError(`DP-SGD trains classifiers with one image input and one logits output; this model has ${model.inputs.length} inputs and ${model.outputs.length} outputs`);
  }
}
