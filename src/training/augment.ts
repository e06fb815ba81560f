/**
 * The default training augmentation for small greyscale X-rays: a random shift
 * of up to 2 px (edge-replicated) and +-10% brightness/contrast. Seeded by the
 * Rng the dataset view supplies, so runs are reproducible.
 */
import type { Sample, Transform } from '../data/dataset.js';

export function mildAugmentation(maxShift = 2, jitter = 0.1): Transform {
  return (s: Sample, rng): Sample => {
    const n = s.image.length;
    const side = Math.round(Math.sqrt(n));
    if (side * side !== n) return s; // only square single-channel images
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const contrast = 1 + rng.uniform(-jitter, jitter);
    const brightness = rng.uniform(-jitter, jitter);
    const out = new Float32Array(n);
    for (let y = 0; y < side; y++) {
      const sy = Math.min(Math.max(y - dy, 0), side - 1);
      for (let x = 0; x < side; x++) {
        const sx = Math.min(Math.max(x - dx, 0), side - 1);
        out[y * side + x] = s.image[sy * side + sx]! * contrast + brightness;
      }
    }
    return { image: out, label: s.label };
  };
}
