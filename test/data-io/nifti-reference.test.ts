/**
 * The shared NIfTI files against nibabel 5.0 (Debian python3-nibabel), an
 * independent reader: shape, datatype, scaling, min/max/mean of the scaled
 * data, sha256 of the stored values in file order (as float64 LE), and of the
 * middle slice along each axis (nibabel: arr[:, :, k].T, arr[:, j, :].T,
 * arr[i, :, :].T as float64, C order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needData } from '../helpers/data.js';
import { decodeNifti, readNiftiFile } from '../../src/data/nifti/read-nifti.js';
import { niftiSlice, niftiSlices } from '../../src/data/nifti/slice.js';
import { FileFormatError } from '../../src/common/errors.js';
import { sha256Float64, stats } from './hash.js';

interface NiftiRef {
  file: string;
  version: 1 | 2;
  dims: number[];
  datatype: string;
  scaling?: { slope: number; intercept: number };
  min: number;
  max: number;
  mean: number;
  raw: string; // sha256 prefix of stored values
  slices: [string, string, string]; // axis 0, 1, 2 middle slices
  label?: boolean;
}

const REFS: NiftiRef[] = [
  { file: 'nifti/anatomical.nii', version: 1, dims: [33, 41, 25], datatype: 'int16', min: -610, max: 30393, mean: 8401.066725794532, raw: 'ea4d957803aa68ef', slices: ['edaa475efd3fbbd7', '8527ee52d9e6d9b6', '54934b385f8f8d7f'] },
  { file: 'nifti/example4d.nii.gz', version: 1, dims: [128, 96, 24, 2], datatype: 'int16', min: 0, max: 1162, mean: 172.90811496310764, raw: '1271c717c47a53b3', slices: ['2e9daee6a48a569b', '4a92fc6ed515a9a8', '1fe109e07199614b'] },
  { file: 'nifti/example_nifti2.nii.gz', version: 2, dims: [32, 20, 12, 2], datatype: 'int16', min: 46, max: 757, mean: 450.963671875, raw: 'b7ea11150141e5f1', slices: ['45dafb5d6a54b610', 'db0d9bfe32d34652', '459c6c21357c95ef'] },
  { file: 'nifti/someones_anatomy.nii.gz', version: 1, dims: [57, 67, 56], datatype: 'uint8', scaling: { slope: 0.35245904326438904, intercept: 6.678363800048828 }, min: 6.678363800048828, max: 96.55541983246803, mean: 45.983864108246365, raw: 'bacfdb1936f786a9', slices: ['c6a75a3531c63124', 'fc5bb4e151b7d9e6', '2ee8ee82d3e898b2'] },
  { file: 'hippocampus/images/hippocampus_001.nii.gz', version: 1, dims: [35, 51, 35], datatype: 'uint8', min: 2, max: 139, mean: 63.52179271708683, raw: '867b8c4d52ee1d24', slices: ['2e380178314625c5', '5150b9f7e76819dc', 'bffeecec8d94ad7e'] },
  { file: 'hippocampus/labels/hippocampus_001.nii.gz', version: 1, dims: [35, 51, 35], datatype: 'uint8', min: 0, max: 2, mean: 0.0731812725090036, raw: 'c681e991475119da', slices: ['7120d25e5d8006ea', '5c4ecc8b2b42d517', '1b1ebb6b371b3dfb'], label: true },
];

for (const ref of REFS) {
  test(`NIfTI ${ref.file} matches nibabel`, async (t) => {
    const path = needData(t, ref.file);
    if (!path) return;
    const vol = await readNiftiFile(path, { label: ref.label });
    assert.equal(vol.version, ref.version);
    assert.deepEqual(vol.dims, ref.dims);
    assert.equal(vol.datatype, ref.datatype);
    if (ref.scaling) {
      assert.ok(Math.abs(vol.scaling!.slope - ref.scaling.slope) < 1e-7 && Math.abs(vol.scaling!.intercept - ref.scaling.intercept) < 1e-6);
    } else assert.equal(vol.scaling, undefined);
    const s = stats(vol.data);
    const tol = ref.scaling ? 1e-4 : 1e-9; // float32 output of a scaled uint8
    assert.ok(Math.abs(s.min - ref.min) <= tol * Math.max(1, Math.abs(ref.min)), `min ${s.min}`);
    assert.ok(Math.abs(s.max - ref.max) <= tol * Math.max(1, Math.abs(ref.max)), `max ${s.max}`);
    assert.ok(Math.abs(s.mean - ref.mean) <= 1e-5 * Math.max(1, Math.abs(ref.mean)), `mean ${s.mean}`);
    const stored = ref.scaling ? await readNiftiFile(path, { applyScaling: false }) : vol;
    assert.equal(sha256Float64(stored.data).slice(0, 16), ref.raw);
    for (const axis of [0, 1, 2] as const) {
      const mid = Math.floor(ref.dims[axis]! / 2);
      const slice = niftiSlice(stored, axis, mid);
      assert.equal(sha256Float64(slice.data).slice(0, 16), ref.slices[axis], `axis ${axis}`);
    }
    if (ref.label) {
      assert.equal(vol.isLabel, true);
      assert.ok(vol.data.every((v) => Number.isInteger(v)));
    }
  });
}

test('4-D volumes: the second volume and all slices of one axis', async (t) => {
  const path = needData(t, 'nifti/example4d.nii.gz');
  if (!path) return;
  const vol = await readNiftiFile(path);
  // nibabel: arr[..., 1].mean() == 172.90228610568576
  let sum = 0;
  for (let k = 0; k < 24; k++) sum += stats(niftiSlice(vol, 2, k, 1).data).mean;
  assert.ok(Math.abs(sum / 24 - 172.90228610568576) < 1e-6);
  const all = niftiSlices(vol, 2);
  assert.deepEqual([all.frames, all.rows, all.cols], [24, 96, 128]);
  assert.throws(() => niftiSlice(vol, 2, 24), /slice 24 out of range/);
});

test('a truncated real NIfTI file names the file and the shortfall', async (t) => {
  const path = needData(t, 'nifti/anatomical.nii');
  if (!path) return;
  const bytes = readFileSync(path);
  assert.throws(() => decodeNifti(bytes.subarray(0, 20000), 'cut.nii'), (e: unknown) => e instanceof FileFormatError && /^cut\.nii: truncated/.test(e.message));
});
