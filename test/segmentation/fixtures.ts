/** Tiny segmentation fixtures the tests make themselves: NIfTI-1 volumes and PNG image/mask pairs. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { Rng } from '../../src/common/rng.js';

/** A NIfTI-1 file (float32 or uint8, little endian) with the given dims and sform affine. */
export function niftiBytes(dims: [number, number, number], data: ArrayLike<number>, opts: { uint8?: boolean; affine?: number[][] } = {}): Uint8Array {
  const bytes = opts.uint8 ? 1 : 4;
  const out = new Uint8Array(352 + data.length * bytes);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, true);
  v.setInt16(40, 3, true);
  dims.forEach((d, i) => v.setInt16(42 + 2 * i, d, true));
  for (let i = 3; i < 7; i++) v.setInt16(42 + 2 * i, 1, true);
  v.setInt16(70, opts.uint8 ? 2 : 16, true);
  v.setInt16(72, bytes * 8, true);
  for (let i = 0; i < 8; i++) v.setFloat32(76 + 4 * i, 1, true);
  v.setFloat32(108, 352, true);
  v.setFloat32(112, 1, true);
  v.setInt16(254, 1, true); // sform_code
  const a = opts.affine ?? [[-1, 0, 0, 10], [0, 1, 0, -5], [0, 0, 2, 3]];
  a.slice(0, 3).forEach((row, r) => row.forEach((x, c) => v.setFloat32(280 + 16 * r + 4 * c, x, true)));
  out.set([0x6e, 0x2b, 0x31, 0], 344);
  for (let i = 0; i < data.length; i++) {
    if (opts.uint8) out[352 + i] = data[i]!;
    else v.setFloat32(352 + 4 * i, data[i]!, true);
  }
  return out;
}

/** Volumes of dims with a bright box labelled 1 and a dimmer box labelled 2; images/ and labels/ as .nii.gz. */
export function writeVolumeFolder(dir: string, n: number, dims: [number, number, number], seed = 1): void {
  mkdirSync(join(dir, 'images'), { recursive: true });
  mkdirSync(join(dir, 'labels'), { recursive: true });
  const rng = new Rng(seed);
  const [di, dj, dk] = dims;
  for (let c = 0; c < n; c++) {
    const img = new Float32Array(di * dj * dk);
    const lab = new Uint8Array(di * dj * dk);
    const oj = 1 + rng.int(dj - 6);
    const ok = 1 + rng.int(dk - 6);
    for (let k = 0; k < dk; k++) {
      for (let j = 0; j < dj; j++) {
        for (let i = 0; i < di; i++) {
          const at = i + di * (j + dj * k);
          img[at] = rng.normal() * 0.1;
          if (i > 0 && i < di - 1 && j >= oj && j < oj + 4 && k >= ok && k < ok + 2) { img[at] += 2; lab[at] = 1; }
          if (i > 0 && i < di - 1 && j >= oj && j < oj + 4 && k >= ok + 2 && k < ok + 4) { img[at] += 1; lab[at] = 2; }
        }
      }
    }
    const name = `case_${String(c).padStart(3, '0')}.nii.gz`;
    writeFileSync(join(dir, 'images', name), gzipSync(niftiBytes(dims, img)));
    writeFileSync(join(dir, 'labels', name), gzipSync(niftiBytes(dims, lab, { uint8: true })));
  }
}

/** PNG pairs of side s: a bright disc on noise, its mask 0/255. */
export async function writePngFolder(dir: string, n: number, s: number, seed = 2): Promise<void> {
  mkdirSync(join(dir, 'images'), { recursive: true });
  mkdirSync(join(dir, 'labels'), { recursive: true });
  const rng = new Rng(seed);
  for (let c = 0; c < n; c++) {
    const img = Buffer.alloc(s * s);
    const lab = Buffer.alloc(s * s);
    const cy = s / 4 + rng.next() * (s / 2);
    const cx = s / 4 + rng.next() * (s / 2);
    const r = s / 6 + rng.next() * (s / 8);
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const inside = (y - cy) ** 2 + (x - cx) ** 2 < r * r;
        img[y * s + x] = Math.max(0, Math.min(255, (inside ? 180 : 60) + rng.normal() * 15));
        lab[y * s + x] = inside ? 255 : 0;
      }
    }
    const name = `img_${String(c).padStart(3, '0')}.png`;
    await sharp(img, { raw: { width: s, height: s, channels: 1 } }).png().toFile(join(dir, 'images', name));
    await sharp(lab, { raw: { width: s, height: s, channels: 1 } }).png().toFile(join(dir, 'labels', name));
  }
}
