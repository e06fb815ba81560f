/**
 * Per-sample gradients from one forward and one backward pass over the batch.
 *
 * The model's layer graph is re-run functionally: parameter-free layers
 * through their own call(), layers with trainable weights through a rule
 * (layer-rules.ts) that exposes the pre-activation output z. Every such z
 * passes through a "tap", an identity that records the gradient reaching it
 * when the summed per-sample loss is differentiated: each layer's delta =
 * dLoss/dz for all samples at once (samples do not interact: BatchNorm is refused). Each
 * sample's weight gradient then follows from its layer input and delta.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../../common/errors.js';
import type { Batch } from '../../data/dataset.js';
import type { GradientSink, SampleRows } from '../sgd/clipping.js';
import { materialise, ruleFor, type PerSampleGrad, type PerSampleRule, type Tap } from './layer-rules.js';
import { batchImages } from './batch-images.js';
import { classLabels, type BatchLabels, type PerSampleGradients } from './types.js';
import type { PerSampleLoss } from '../../training/loss.js';
import { trainableVariables, type DpVariable } from './variables.js';
import { readInPlace } from '../../engine/read-in-place.js';

interface GraphStep {
  readonly layer: tfl.layers.Layer;
  readonly inputIds: readonly number[];
  readonly outputId: number;
  /** Set for layers with trainable weights. */
  readonly rule?: PerSampleRule;
}

export class VectorisedGradients implements PerSampleGradients {
  readonly method = 'vectorised' as const;
  readonly variables: readonly DpVariable[];
  private readonly steps: GraphStep[];

  constructor(
    readonly model: tfl.LayersModel,
    private readonly loss: PerSampleLoss,
    private readonly labels: BatchLabels = classLabels,
  ) {
    this.variables = trainableVariables(model);
    this.steps = planGraph(model);
    const covered = new Set(this.steps.filter((s) => s.rule).flatMap((s) => s.layer.trainableWeights.map((w) => (w.read() as tf.Variable).name)));
    const missed = this.variables.filter((v) => !covered.has(v.name));
    if (missed.length) {
      throw new PrivmedError(`vectorised per-sample gradients do not reach variable${missed.length > 1 ? 's' : ''} ${missed.map((v) => `'${v.name}'`).join(', ')}`, {
        hint: 'use perSampleGradients: loop',
      });
    }
  }

  async accumulate(batch: Batch, sink: GradientSink): Promise<number> {
    const size = batch.size;
    const paramSteps = this.steps.filter((s) => s.rule);
    // One scalar anchor per tapped layer: differentiating with respect to them makes the backward pass reach every tap.
    const anchors = paramSteps.map(() => tf.scalar(0));
    const deltas: (tf.Tensor | undefined)[] = paramSteps.map(() => undefined);
    const saved: tf.Tensor[][] = [];
    const kept: { losses?: tf.Tensor1D } = {};
    const x = batchImages(this.model, batch.x, size);
    const labels = this.labels(batch);
    const forward = (...anchor: tf.Tensor[]): tf.Scalar => {
      const values = new Map<number, tf.Tensor>([[this.model.inputs[0]!.id, x]]);
      let k = 0;
      for (const step of this.steps) {
        const inputs = step.inputIds.map((id) => values.get(id)!);
        const input = inputs.length === 1 ? inputs[0]! : inputs;
        if (step.rule) {
          const r = step.rule.forward(step.layer, input as tf.Tensor, tapFor(deltas, k, anchor[k]!));
          k++;
          saved.push(r.saved.map((t) => tf.keep(t)));
          values.set(step.outputId, r.output);
        } else {
          values.set(step.outputId, step.layer.apply(input, { training: true }) as tf.Tensor);
        }
      }
      kept.losses = tf.keep(this.loss(values.get(this.model.outputs[0]!.id)!, labels));
      return tf.sum(kept.losses);
    };
    tf.dispose(tf.grads(forward)(anchors));
    const missing = deltas.findIndex((d) => d === undefined);
    if (missing >= 0) throw new Error(`vectorised per-sample gradients: layer '${paramSteps[missing]!.layer.name}' got no output gradient`);
    const perVariable = new Map<string, PerSampleGrad>();
    const all: tf.Tensor[] = [];
    // A sink that takes whole batches takes factored gradients as they are (ghost clipping); the others get rows.
    const factored = sink.addBatch !== undefined;
    for (let k = 0; k < paramSteps.length; k++) {
      const layer = paramSteps[k]!.layer;
      const grads = tf.tidy(() => {
        const g = paramSteps[k]!.rule!.perSample(layer, saved[k]!, deltas[k]!);
        return (factored ? g : Object.fromEntries(Object.entries(g).map(([name, v]) => [name, materialise(v)]))) as tf.TensorContainer;
      }) as Record<string, PerSampleGrad>;
      all.push(...Object.values(grads).flatMap((g) => (g instanceof tf.Tensor ? [g] : [...g.outer])));
      for (const w of layer.trainableWeights) {
        const short = w.originalName.split('/').pop()!;
        const g = grads[short];
        if (!g) throw new Error(`vectorised per-sample gradients: the ${layer.getClassName()} rule gave no gradient for '${w.originalName}'`);
        perVariable.set((w.read() as tf.Variable).name, g);
      }
    }
    let lossSum = 0;
    for (const l of (await kept.losses!.data()) as Float32Array) lossSum += l;
    try {
      // In place on the backend (no copy of every sample's gradients); nothing is allocated until the sink is done.
      const grads = this.variables.map((v) => perVariable.get(v.name)!);
      const views = readInPlace(grads.flatMap((g) => (g instanceof tf.Tensor ? [g] : [...g.outer])));
      let next = 0;
      const rows: SampleRows[] = grads.map((g) => {
        if (g instanceof tf.Tensor) return views[next++]!;
        const [a, d] = [views[next++]!, views[next++]!];
        return { a, d, n: g.outer[0].shape[1], u: g.outer[1].shape[1] };
      });
      if (sink.addBatch) sink.addBatch(rows, size);
      else for (let b = 0; b < size; b++) sink.add(rows as Float32Array[], b);
    } finally {
      // After reading: a rule may hand back a delta itself (a bias gradient).
      tf.dispose([x, labels, ...anchors, ...(deltas as tf.Tensor[]), ...saved.flat(), kept.losses!, ...all]);
    }
    return lossSum;
  }
}

/**
 * An identity on a layer's pre-activation output z that records dLoss/dz (the
 * delta) when the backward pass reaches it: no zero probe added to z, so no
 * activation-sized fill and add forward. The anchor (a scalar) only gives
 * tf.grads something to differentiate with respect to; its gradient is 0.
 */
function tapFor(deltas: (tf.Tensor | undefined)[], k: number, anchor: tf.Tensor): Tap {
  const tap = tf.customGrad(((value: tf.Tensor, a: tf.Tensor) => ({
    value: tf.clone(value), // the Identity kernel: shares z's data on wasm and cpu (no copy)
    gradFunc: (dy: tf.Tensor) => {
      deltas[k]?.dispose();
      deltas[k] = tf.keep(tf.clone(dy));
      return [dy, tf.zerosLike(a)];
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (z) => tap(z, anchor);
}

function outputShape(layer: tfl.layers.Layer): number[] {
  const shape = layer.outputShape as (number | null)[];
  if (shape.slice(1).some((d) => typeof d !== 'number')) {
    throw new PrivmedError(`vectorised per-sample gradients need fixed layer output shapes; layer '${layer.name}' has ${JSON.stringify(shape)}`, {
      hint: 'use perSampleGradients: loop',
    });
  }
  return shape as number[];
}

/** The layers in execution order, with where their inputs come from; refuses graphs it cannot replay. */
function planGraph(model: tfl.LayersModel): GraphStep[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new PrivmedError(`vectorised per-sample gradients need a model with one input and one output, got ${model.inputs.length} and ${model.outputs.length}`);
  }
  const known = new Set<number>([model.inputs[0]!.id]);
  const steps: GraphStep[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const where = `layer '${layer.name}' (${layer.getClassName()})`;
    if (Array.isArray((layer as Partial<tfl.LayersModel>).layers)) {
      throw new PrivmedError(`vectorised per-sample gradients cannot look inside the nested model ${where}`, { hint: 'use perSampleGradients: loop' });
    }
    if (layer.getClassName() === 'BatchNormalization') {
      throw new PrivmedError(`${where} mixes samples within a batch, so it has no per-sample gradients`, { hint: "convert it with convertBatchNorm(model, 'group')" });
    }
    if (layer.inboundNodes.length !== 1) {
      throw new PrivmedError(`vectorised per-sample gradients cannot handle the shared ${where}, used ${layer.inboundNodes.length} times`, { hint: 'use perSampleGradients: loop' });
    }
    const node = layer.inboundNodes[0]!;
    if (node.outputTensors.length !== 1) throw new PrivmedError(`vectorised per-sample gradients cannot handle ${where} with ${node.outputTensors.length} outputs`, { hint: 'use perSampleGradients: loop' });
    const inputIds = node.inputTensors.map((t) => t.id);
    if (inputIds.some((id) => !known.has(id))) throw new Error(`vectorised per-sample gradients: ${where} comes before its inputs`);
    const rule = layer.trainableWeights.length > 0 ? ruleFor(layer) : undefined;
    if (rule) outputShape(layer);
    steps.push({ layer, inputIds, outputId: node.outputTensors[0]!.id, ...(rule ? { rule } : {}) });
    known.add(node.outputTensors[0]!.id);
  }
  if (!known.has(model.outputs[0]!.id)) throw new Error('vectorised per-sample gradients: the replayed graph never reaches the model output');
  return steps;
}
