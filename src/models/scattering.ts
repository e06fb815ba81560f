/**
 * A fixed 2D scattering transform (Mallat; the "ScatterNet" front end of Tramer
 * & Boneh 2021, "Differentially private learning needs better features"):
 * Morlet wavelets at J scales and L angles, modulus, and a Gaussian low-pass
 * subsampled by 2^J. For one input channel it gives 1 + J*L + L^2*J(J-1)/2
 * channels (81 for J = 2, L = 8). Nothing in it is learned, so it costs no
 * privacy and holds no weights: a model with it exchanges and clips only what
 * comes after it.
 *
 * Computed in the image domain with reflect padding (kymatio works in Fourier
 * space; the filters are the same Morlet/Gaussian pair). Second-order paths
 * are computed at half resolution after the first scale, as kymatio does.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface ScatteringShape {
  readonly scales: number;
  readonly angles: number;
}

/** Output channels per input channel. */
export function scatteringChannels({ scales: J, angles: L }: ScatteringShape): number {
  return 1 + J * L + (L * L * J * (J - 1)) / 2;
}

const SIGMA0 = 0.8;
const SLANT_PER_ANGLE = 4;

interface Kernel {
  readonly size: number;
  /** [size, size, 1, 2L]: real parts of the L angles, then imaginary parts. */
  readonly values: Float32Array;
}

// Filters depend only on (scale, angles) or sigma: built once, not on every forward pass.
const morletCache = new Map<string, Kernel>();
const gaussianCache = new Map<number, Kernel>();

/** Morlet wavelets of scale j (sigma 0.8 * 2^j, xi 3pi/4 / 2^j) at L angles, zero mean, kymatio's normalisation. */
export function morletBank(j: number, angles: number): Kernel {
  const key = `${j}/${angles}`;
  let bank = morletCache.get(key);
  if (!bank) morletCache.set(key, (bank = buildMorletBank(j, angles)));
  return bank;
}

function buildMorletBank(j: number, angles: number): Kernel {
  const sigma = SIGMA0 * 2 ** j;
  const xi = (3 * Math.PI) / 4 / 2 ** j;
  const slant = SLANT_PER_ANGLE / angles;
  const radius = Math.ceil((3 * sigma) / slant);
  const size = 2 * radius + 1;
  const values = new Float32Array(size * size * 2 * angles);
  for (let l = 0; l < angles; l++) {
    const theta = ((angles - angles / 2 - 1 - l) * Math.PI) / angles;
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    const re = new Float64Array(size * size);
    const im = new Float64Array(size * size);
    const env = new Float64Array(size * size);
    let sumRe = 0;
    let sumIm = 0;
    let sumEnv = 0;
    for (let y = -radius; y <= radius; y++) {
      for (let x = -radius; x <= radius; x++) {
        const u = x * c + y * s;
        const v = -x * s + y * c;
        const e = Math.exp(-(u * u + slant * slant * v * v) / (2 * sigma * sigma));
        const k = (y + radius) * size + (x + radius);
        env[k] = e;
        re[k] = e * Math.cos(xi * u);
        im[k] = e * Math.sin(xi * u);
        sumRe += re[k]!;
        sumIm += im[k]!;
        sumEnv += e;
      }
    }
    // Subtract beta * envelope so the wavelet has zero mean (no response to flat regions).
    const betaRe = sumRe / sumEnv;
    const betaIm = sumIm / sumEnv;
    const norm = (2 * Math.PI * sigma * sigma) / slant;
    for (let k = 0; k < size * size; k++) {
      values[k * 2 * angles + l] = (re[k]! - betaRe * env[k]!) / norm;
      values[k * 2 * angles + angles + l] = (im[k]! - betaIm * env[k]!) / norm;
    }
  }
  return { size, values };
}

/** Gaussian low-pass of standard deviation sigma, summing to 1, as [size, size] values. */
export function gaussian(sigma: number): Kernel {
  let g = gaussianCache.get(sigma);
  if (!g) gaussianCache.set(sigma, (g = buildGaussian(sigma)));
  return g;
}

function buildGaussian(sigma: number): Kernel {
  const radius = Math.ceil(3 * sigma);
  const size = 2 * radius + 1;
  const values = new Float32Array(size * size);
  let sum = 0;
  for (let y = -radius; y <= radius; y++) {
    for (let x = -radius; x <= radius; x++) sum += values[(y + radius) * size + x + radius] = Math.exp(-(x * x + y * y) / (2 * sigma * sigma));
  }
  for (let k = 0; k < values.length; k++) values[k]! /= sum;
  return { size, values };
}

/** Reflect padding of `size >> 1` on each side (clamped for tiny maps), then a 'valid' convolution keeps H x W. */
function padFor(x: tf.Tensor4D, size: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const r = size >> 1;
  if (r < h && r < w) return tf.mirrorPad(x, [[0, 0], [r, r], [r, r], [0, 0]], 'reflect');
  return tf.pad(x, [[0, 0], [r, r], [r, r], [0, 0]]);
}

/** |x * psi| for a bank of L complex filters applied to each of C channels: [B, H/stride, W/stride, C*L]. */
function modulus(x: tf.Tensor4D, bank: Kernel, angles: number, stride: 1 | 2): tf.Tensor4D {
  const c = x.shape[3];
  const k = bank.size;
  // Real and imaginary filters as two depthwise banks: no split of a complex axis (slow on wasm).
  const part = (offset: number) => {
    const v = new Float32Array(k * k * angles);
    for (let p = 0; p < k * k; p++) for (let l = 0; l < angles; l++) v[p * angles + l] = bank.values[p * 2 * angles + offset + l]!;
    const f = tf.tensor4d(v, [k, k, 1, angles]);
    return (c === 1 ? f : tf.tile(f, [1, 1, c, 1])) as tf.Tensor4D;
  };
  const padded = padFor(x, k);
  const re = tf.depthwiseConv2d(padded, part(0), stride, 'valid');
  const im = tf.depthwiseConv2d(padded, part(angles), stride, 'valid');
  return tf.sqrt(tf.add(tf.add(tf.square(re), tf.square(im)), 1e-12)) as tf.Tensor4D;
}

/** Low-pass every channel and subsample by `stride`. */
function lowPass(x: tf.Tensor4D, sigma: number, stride: number): tf.Tensor4D {
  const g = gaussian(sigma);
  const c = x.shape[3];
  const filter = tf.tile(tf.tensor4d(g.values, [g.size, g.size, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
  return tf.depthwiseConv2d(padFor(x, g.size), filter, stride, 'valid');
}

/**
 * [B, H, W, C] -> [B, ceil(H/2^J), ceil(W/2^J), C * scatteringChannels]: per input
 * channel its zeroth order, then the first-order paths (scale-major), then the second.
 */
export function scattering2d(x: tf.Tensor4D, shape: ScatteringShape): tf.Tensor4D {
  const { scales: J, angles: L } = shape;
  return tf.tidy(() => {
    const out: tf.Tensor4D[] = [lowPass(x, SIGMA0 * 2 ** J, 2 ** J)];
    const second: tf.Tensor4D[] = [];
    for (let j1 = 0; j1 < J; j1++) {
      const u1 = modulus(x, morletBank(j1, L), L, 1);
      out.push(lowPass(u1, SIGMA0 * 2 ** J, 2 ** J));
      // Paths j1 -> j2 > j1: after scale j1 the signal is band-limited enough to work at half resolution.
      const half = j1 === 0 && J > 1 ? lowPass(u1, SIGMA0, 2) : null;
      for (let j2 = j1 + 1; j2 < J; j2++) {
        const base = half ?? u1;
        const step = half ? 1 : 0;
        const u2 = modulus(base, morletBank(j2 - step, L), L, 1);
        second.push(lowPass(u2, SIGMA0 * 2 ** (J - step), 2 ** (J - step)));
      }
    }
    const [b, h, w] = out[0]!.shape;
    const crop = (t: tf.Tensor4D) => (t.shape[1] === h && t.shape[2] === w ? t : tf.slice(t, [0, 0, 0, 0], [b, h, w, t.shape[3]]));
    return tf.concat([...out, ...second].map(crop), 3);
  });
}

/** The transform as a weightless tfjs-layers layer (saved and loaded by its config). */
export class Scattering2D extends tfl.layers.Layer {
  static className = 'PrivmedScattering2D';
  readonly scales: number;
  readonly angles: number;

  constructor(args: { scales: number; angles: number; name?: string }) {
    super({ name: args.name, trainable: false });
    this.scales = args.scales;
    this.angles = args.angles;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return scattering2d(x, { scales: this.scales, angles: this.angles });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [b, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const f = 2 ** this.scales;
    return [b ?? null, Math.ceil(h! / f), Math.ceil(w! / f), c! * scatteringChannels(this)];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scales: this.scales, angles: this.angles };
  }
}

tf.serialization.registerClass(Scattering2D);
