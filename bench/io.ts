/**
 * Medical image I/O throughput: DICOM decode (parse + decode + rescale to a
 * MedicalImage) in images/s per transfer syntax on the shared test files,
 * with the uncompressed decode of the same pixels as baseline where one
 * exists; our 8-bit DCT decoder against libjpeg-turbo (WASM) on one stream;
 * NIfTI slices/s (decompress + decode a volume, then slice every axial slice).
 * Falls back to synthetic files when the shared data is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataRoot } from '../src/data/paths.js';
import { decodeDicom } from '../src/data/dicom/read-dicom.js';
import { parseDicom } from '../src/data/dicom/parse.js';
import { Tags } from '../src/data/dicom/tags.js';
import { decodeJpegDct } from '../src/data/dicom/jpeg/decode-dct.js';
import { decodeJpeg8 } from '../src/data/dicom/codecs.js';
import { decodeNifti } from '../src/data/nifti/read-nifti.js';
import { niftiSlice } from '../src/data/nifti/slice.js';

export interface IoBenchResult {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
}

/** Operations per second of `fn`, run repeatedly for about `seconds` after a warm-up. */
async function rate(fn: () => Promise<unknown> | unknown, seconds: number, unitsPerCall = 1): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000 || calls < 5) {
    await fn();
    calls++;
    elapsed = performance.now() - start;
  }
  return (calls * unitsPerCall) / (elapsed / 1000);
}

const DICOM_FILES: [string, string, string?][] = [
  // [file, metric label, baseline file with the same pixels]
  ['MR_small.dcm', 'explicit VR little endian 64x64x16'],
  ['MR_small_implicit.dcm', 'implicit VR little endian 64x64x16', 'MR_small.dcm'],
  ['MR_small_RLE.dcm', 'RLE lossless 64x64x16', 'MR_small.dcm'],
  ['MR_small_jpeg_ls_lossless.dcm', 'JPEG-LS lossless 64x64x16', 'MR_small.dcm'],
  ['MR_small_jp2klossless.dcm', 'JPEG 2000 lossless 64x64x16', 'MR_small.dcm'],
  ['CT_small.dcm', 'explicit VR little endian 128x128x16'],
  ['image_dfl.dcm', 'deflated explicit VR 512x512x8'],
  ['liver_1frame.dcm', '1-bit segmentation 512x512'],
  ['SC_rgb_jpeg_dcmtk.dcm', 'JPEG baseline RGB 100x100x8'],
  ['JPGExtended.dcm', 'JPEG extended 12-bit 1024x256'],
  ['JPEG2000.dcm', 'JPEG 2000 lossy 1024x256x16'],
];

export async function benchIo(report: (r: IoBenchResult) => void, opts: { quick?: boolean } = {}): Promise<void> {
  const seconds = opts.quick ? 0.2 : 1;
  const dicomDir = join(dataRoot(), 'dicom');
  const have = existsSync(join(dicomDir, 'MR_small.dcm'));
  if (have) {
    const rates = new Map<string, number>();
    for (const [file, label] of DICOM_FILES) {
      const bytes = readFileSync(join(dicomDir, file));
      rates.set(file, await rate(() => decodeDicom(bytes, file), seconds));
    }
    for (const [file, label, base] of DICOM_FILES) {
      report({ metric: `DICOM decode ${label}`, value: rates.get(file)!, unit: 'images/s', ...(base ? { baseline: rates.get(base)! } : {}) });
    }
    // our DCT decoder (needed for 12-bit) against libjpeg-turbo on the same 8-bit stream
    const sc = parseDicom(readFileSync(join(dicomDir, 'SC_rgb_jpeg_dcmtk.dcm')), 'sc').dataset.get(Tags.PixelData)!.fragments![1]!;
    const own = await rate(() => decodeJpegDct(sc), seconds);
    const turbo = await rate(() => decodeJpeg8(sc), seconds);
    report({ metric: 'JPEG 8-bit 100x100 RGB: own DCT decoder vs libjpeg-turbo', value: own, unit: 'images/s', baseline: turbo });
  } else {
    process.stderr.write(`io bench: ${dicomDir} not found; DICOM throughput skipped (set PRIVMED_DATA)\n`);
  }

  const niftiFiles: [string, string][] = [
    ['hippocampus/images/hippocampus_001.nii.gz', 'hippocampus 35x51x35 uint8 .nii.gz'],
    ['nifti/example4d.nii.gz', 'example4d 128x96x24x2 int16 .nii.gz'],
    ['nifti/anatomical.nii', 'anatomical 33x41x25 big-endian int16 .nii'],
  ];
  for (const [rel, label] of niftiFiles) {
    const p = join(dataRoot(), rel);
    if (!existsSync(p)) continue;
    const bytes = readFileSync(p);
    const probe = decodeNifti(bytes, rel);
    const slices = probe.dims[2]!;
    const value = await rate(
      () => {
        const vol = decodeNifti(bytes, rel);
        for (let k = 0; k < slices; k++) niftiSlice(vol, 2, k);
      },
      seconds,
      slices,
    );
    report({ metric: `NIfTI read + axial slicing ${label}`, value, unit: 'slices/s' });
  }
}
