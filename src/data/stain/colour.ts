/**
 * Colour conversions for stain work on HWC RGB images in [0, 1]: sRGB <->
 * CIELAB (D65) for Reinhard, optical density for Macenko and HED.
 */

const XN = 0.95047;
const ZN = 1.08883;
const EPS = 216 / 24389;
const KAPPA = 24389 / 27;

function toLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function fromLinear(c: number): number {
  return c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
}

const f = (t: number) => (t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116);
const fInv = (t: number) => (t ** 3 > EPS ? t ** 3 : (116 * t - 16) / KAPPA);

/** RGB (HWC, 3 channels, [0, 1]) to L*a*b*, same layout. */
export function rgbToLab(rgb: Float32Array): Float32Array {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const r = toLinear(clamp01(rgb[i]!));
    const g = toLinear(clamp01(rgb[i + 1]!));
    const b = toLinear(clamp01(rgb[i + 2]!));
    const fx = f((0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / XN);
    const fy = f(0.2126729 * r + 0.7151522 * g + 0.072175 * b);
    const fz = f((0.0193339 * r + 0.119192 * g + 0.9503041 * b) / ZN);
    out[i] = 116 * fy - 16;
    out[i + 1] = 500 * (fx - fy);
    out[i + 2] = 200 * (fy - fz);
  }
  return out;
}

/** L*a*b* back to RGB in [0, 1] (out-of-gamut values clamped). */
export function labToRgb(lab: Float32Array): Float32Array {
  const out = new Float32Array(lab.length);
  for (let i = 0; i < lab.length; i += 3) {
    const fy = (lab[i]! + 16) / 116;
    const x = XN * fInv(fy + lab[i + 1]! / 500);
    const y = lab[i]! > KAPPA * EPS ? fy ** 3 : lab[i]! / KAPPA;
    const z = ZN * fInv(fy - lab[i + 2]! / 200);
    out[i] = clamp01(fromLinear(3.2404542 * x - 1.5371385 * y - 0.4985314 * z));
    out[i + 1] = clamp01(fromLinear(-0.969266 * x + 1.8760108 * y + 0.041556 * z));
    out[i + 2] = clamp01(fromLinear(0.0556434 * x - 0.2040259 * y + 1.0572252 * z));
  }
  return out;
}

/** Optical density -ln((255 I + 1) / 256): 0 for white, finite for black. */
export function opticalDensity(rgb: Float32Array): Float32Array {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = -Math.log((255 * clamp01(rgb[i]!) + 1) / 256);
  return out;
}

/** The inverse of opticalDensity, clamped to [0, 1]. */
export function fromOpticalDensity(od: Float32Array): Float32Array {
  const out = new Float32Array(od.length);
  for (let i = 0; i < od.length; i++) out[i] = clamp01((256 * Math.exp(-od[i]!) - 1) / 255);
  return out;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

