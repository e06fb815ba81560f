/**
 * Model surgery for DP: rebuilds a model with every BatchNorm layer replaced
 * by GroupNorm (min(32, C) groups, adjusted to divide C), LayerNorm, or
 * nothing, keeping every other layer's weights. The replaced layers keep
 * BatchNorm's learned scale and offset (the same per-channel affine map);
 * its running statistics have no counterpart and are dropped.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../../common/errors.js';
import { defaultGroups } from '../../models/group-norm.js';

export type BatchNormReplacement = 'group' | 'layer' | 'none';

interface LayerConfig {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inboundNodes: unknown[][];
}

interface ModelConfig {
  name: string;
  layers: LayerConfig[];
  inputLayers: unknown[];
  outputLayers: [string, number, number][];
}

type NodeRef = [string, number, number, Record<string, unknown>];

export function convertBatchNorm(model: tfl.LayersModel, to: BatchNormReplacement): tfl.LayersModel {
  if (!['group', 'layer', 'none'].includes(to)) throw new PrivmedError(`convertBatchNorm: unknown replacement '${String(to)}'`, { hint: "use 'group', 'layer' or 'none'" });
  const config = structuredClone(model.getConfig()) as unknown as ModelConfig;
  if (!Array.isArray(config.layers)) throw new PrivmedError('convertBatchNorm works on functional models (tfl.model); rebuild this one with the functional API');
  const replaced = new Set<string>();
  const bypass = new Map<string, NodeRef>();
  const layers: LayerConfig[] = [];
  for (const layer of config.layers) {
    if (layer.className !== 'BatchNormalization') {
      layers.push(layer);
      continue;
    }
    const axis = Number(layer.config.axis ?? -1);
    const rank = (model.getLayer(layer.name).outputShape as number[]).length;
    if (axis !== -1 && axis !== rank - 1) {
      throw new PrivmedError(`convertBatchNorm: layer '${layer.name}' normalises axis ${axis}; only channels-last BatchNorm (axis -1) can be converted`);
    }
    if (layer.inboundNodes.length !== 1) throw new PrivmedError(`convertBatchNorm: layer '${layer.name}' is shared by several inputs; rebuild the model instead`);
    replaced.add(layer.name);
    if (to === 'none') {
      bypass.set(layer.name, (layer.inboundNodes[0] as NodeRef[])[0]!);
      continue;
    }
    const channels = (model.getLayer(layer.name).outputShape as number[])[rank - 1]!;
    const epsilon = layer.config.epsilon;
    layers.push(
      to === 'group'
        ? { ...layer, className: 'GroupNormalization', config: { name: layer.name, trainable: true, groups: defaultGroups(channels), epsilon } }
        : { ...layer, className: 'LayerNormalization', config: { name: layer.name, trainable: true, axis: -1, epsilon, center: true, scale: true } },
    );
  }
  // Without the layer, its consumers read what it read (possibly through a chain of removed layers).
  const resolve = (ref: NodeRef): NodeRef => {
    let r = ref;
    while (bypass.has(r[0])) r = bypass.get(r[0])!;
    return r;
  };
  for (const layer of layers) layer.inboundNodes = layer.inboundNodes.map((node) => (node as NodeRef[]).map(resolve));
  config.outputLayers = config.outputLayers.map((ref) => {
    const [name, node, index] = resolve([ref[0], ref[1], ref[2], {}]);
    return [name, node, index];
  });
  config.layers = layers;
  const rebuilt = tfl.LayersModel.fromConfig(tfl.LayersModel, config as unknown as tf.serialization.ConfigDict) as tfl.LayersModel;
  copyWeights(model, rebuilt, replaced);
  return rebuilt;
}

function copyWeights(from: tfl.LayersModel, to: tfl.LayersModel, replaced: Set<string>): void {
  for (const layer of to.layers) {
    if (layer.weights.length === 0) continue;
    const source = from.getLayer(layer.name);
    if (!replaced.has(layer.name)) {
      layer.setWeights(source.getWeights());
      continue;
    }
    // gamma and beta carry over; BatchNorm's moving statistics do not.
    const byName = new Map(source.weights.map((w, i) => [w.originalName.split('/').pop()!, source.getWeights()[i]!]));
    const values = layer.weights.map((w) => byName.get(w.originalName.split('/').pop()!) ?? w.read());
    layer.setWeights(values);
  }
}
