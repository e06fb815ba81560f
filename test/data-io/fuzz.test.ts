/**
 * Seeded fuzzing of the file readers: thousands of mutated and truncated
 * DICOM, NIfTI and NPZ files must each either decode or fail with a
 * FileFormatError naming the file; no other exception, no crash, and every
 * decode finishes within a bound (the test's own timeout catches a hang).
 * Seeds: real shared files when present, synthetic files always.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Rng } from '../../src/common/rng.js';
import { FileFormatError } from '../../src/common/errors.js';
import { decodeDicom } from '../../src/data/dicom/read-dicom.js';
import { decodeNifti } from '../../src/data/nifti/read-nifti.js';
import { parseNpz } from '../../src/data/npz.js';
import { dataFile } from '../helpers/data.js';
import { niftiBytes, pattern, syntheticDicom } from './synthetic.js';
import { JPEG_FIXTURES } from './jpeg-fixtures.js';

// A bound on one decode's CPU time (not wall time, which a loaded machine stretches): a
// corrupt length that made a decoder loop or inflate without end would exceed it by far.
const PER_DECODE_LIMIT_MS = 5000;

/** One random corruption: truncation, byte flips, a length-like 32-bit overwrite, an insertion or a deletion. */
export function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  const b = Uint8Array.from(src);
  const at = () => rng.int(Math.max(1, b.length));
  switch (rng.int(6)) {
    case 0:
      return b.subarray(0, at());
    case 1: {
      const n = 1 + rng.int(16);
      for (let i = 0; i < n; i++) b[at()] = rng.int(256);
      return b;
    }
    case 2: {
      const v = [0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 0xfffe, 0x10000, rng.nextU32()][rng.int(8)]!;
      const p = Math.min(at(), b.length - 4);
      if (p >= 0) new DataView(b.buffer).setUint32(p, v, rng.int(2) === 0);
      return b;
    }
    case 3: {
      const p = at();
      const extra = Uint8Array.from({ length: 1 + rng.int(9) }, () => rng.int(256));
      return Uint8Array.from([...b.subarray(0, p), ...extra, ...b.subarray(p)]);
    }
    case 4: {
      const p = at();
      return Uint8Array.from([...b.subarray(0, p), ...b.subarray(Math.min(b.length, p + 1 + rng.int(64)))]);
    }
    default: {
      // corrupt only the tail (compressed pixel data lives there)
      const n = 1 + rng.int(8);
      for (let i = 0; i < n; i++) b[b.length - 1 - rng.int(Math.min(b.length, 400))] = rng.int(256);
      return b;
    }
  }
}

interface Outcome {
  ok: number;
  fileErrors: number;
  bad: string[];
  slowest: number;
}

async function fuzz(seeds: { name: string; bytes: Uint8Array; weight: number }[], rounds: number, seed: number, decode: (b: Uint8Array, name: string) => unknown): Promise<Outcome> {
  const rng = new Rng(seed);
  const out: Outcome = { ok: 0, fileErrors: 0, bad: [], slowest: 0 };
  const total = seeds.reduce((s, x) => s + x.weight, 0);
  for (let k = 0; k < rounds; k++) {
    let pick = rng.next() * total;
    const s = seeds.find((x) => (pick -= x.weight) < 0) ?? seeds[0]!;
    const name = `fuzz-${k}-${s.name}`;
    const bytes = mutate(s.bytes, rng);
    const t0 = process.cpuUsage();
    try {
      await decode(bytes, name);
      out.ok++;
    } catch (err) {
      if (err instanceof FileFormatError && err.message.startsWith(name)) out.fileErrors++;
      else out.bad.push(`${name}: ${(err as Error)?.constructor?.name} ${(err as Error)?.message ?? String(err)}`.slice(0, 300));
    }
    const used = process.cpuUsage(t0);
    out.slowest = Math.max(out.slowest, (used.user + used.system) / 1000);
  }
  return out;
}

function real(rel: string, weight: number): { name: string; bytes: Uint8Array; weight: number }[] {
  const p = dataFile(rel);
  return existsSync(p) ? [{ name: rel.replace(/\W+/g, '_'), bytes: readFileSync(p), weight }] : [];
}

test('mutated DICOM files: decoded or a FileFormatError naming the file', { timeout: 60000 }, async () => {
  const seeds = [
    { name: 'synthetic-le', bytes: syntheticDicom({ rows: 8, cols: 8, frames: 2, values: pattern(128, 4000) }), weight: 3 },
    { name: 'synthetic-be', bytes: syntheticDicom({ rows: 8, cols: 8, values: pattern(64, 4000), transferSyntaxUid: '1.2.840.10008.1.2.2' }), weight: 2 },
    { name: 'synthetic-implicit', bytes: syntheticDicom({ rows: 8, cols: 8, values: pattern(64, 4000), transferSyntaxUid: '1.2.840.10008.1.2' }), weight: 2 },
    { name: 'synthetic-deflate', bytes: syntheticDicom({ rows: 8, cols: 8, values: pattern(64, 4000), transferSyntaxUid: '1.2.840.10008.1.2.1.99' }), weight: 2 },
    { name: 'synthetic-1bit', bytes: syntheticDicom({ rows: 9, cols: 7, frames: 3, bitsAllocated: 1, values: pattern(189, 1) }), weight: 1 },
    ...['s12_ext', 's12_ll', 'srgb_eb'].map((k) => ({
      name: `jpeg-${k}`,
      bytes: syntheticDicom({ rows: 16, cols: k === 'srgb_eb' ? 16 : 24, samplesPerPixel: k === 'srgb_eb' ? 3 : 1, bitsAllocated: k === 'srgb_eb' ? 8 : 16, bitsStored: k === 'srgb_eb' ? 8 : 12, photometric: JPEG_FIXTURES[k]!.photometric, transferSyntaxUid: JPEG_FIXTURES[k]!.uid, fragments: [Buffer.from(JPEG_FIXTURES[k]!.jpeg, 'hex')] }),
      weight: 2,
    })),
    ...real('dicom/CT_small.dcm', 2),
    ...real('dicom/MR_small_implicit.dcm', 2),
    ...real('dicom/MR_small_RLE.dcm', 2),
    ...real('dicom/MR_small_jpeg_ls_lossless.dcm', 2),
    ...real('dicom/MR_small_jp2klossless.dcm', 2),
    ...real('dicom/SC_rgb_jpeg_dcmtk.dcm', 2),
    ...real('dicom/image_dfl.dcm', 1),
    ...real('dicom/liver_1frame.dcm', 1),
    ...real('dicom/JPGExtended.dcm', 0.5),
    ...real('dicom/JPEG2000.dcm', 0.5),
    ...real('dicom/dicomdirtests/DICOMDIR-bigEnd', 1),
  ];
  const r = await fuzz(seeds, 2500, 20240601, (b, name) => decodeDicom(b, name));
  console.log(`DICOM fuzz: ${r.ok} decoded, ${r.fileErrors} FileFormatErrors, ${r.bad.length} other, slowest ${r.slowest.toFixed(0)} ms`);
  assert.deepEqual(r.bad, []);
  assert.ok(r.fileErrors > 1000, 'most mutants should be rejected');
  assert.ok(r.slowest < PER_DECODE_LIMIT_MS, `slowest decode ${r.slowest} ms`);
});

test('mutated NIfTI files (.nii and .nii.gz)', { timeout: 60000 }, async () => {
  const small = niftiBytes({ dims: [5, 6, 4], datatype: 'int16', values: pattern(120, 3000) });
  const seeds = [
    { name: 'synthetic', bytes: small, weight: 3 },
    { name: 'synthetic-be-float', bytes: niftiBytes({ dims: [4, 4, 3, 2], datatype: 'float32', values: pattern(96, 100), littleEndian: false, slope: 2, intercept: 1 }), weight: 2 },
    { name: 'synthetic-gz', bytes: gzipSync(small), weight: 2 },
    ...real('nifti/anatomical.nii', 1),
    ...real('nifti/example_nifti2.nii.gz', 1),
    ...real('hippocampus/labels/hippocampus_001.nii.gz', 1),
  ];
  const r = await fuzz(seeds, 1500, 77, (b, name) => decodeNifti(b, name, { maxBytes: 64 << 20 }));
  console.log(`NIfTI fuzz: ${r.ok} decoded, ${r.fileErrors} FileFormatErrors, ${r.bad.length} other, slowest ${r.slowest.toFixed(0)} ms`);
  assert.deepEqual(r.bad, []);
  assert.ok(r.slowest < PER_DECODE_LIMIT_MS);
});

test('mutated NPZ archives (the MedMNIST reader)', { timeout: 60000 }, async () => {
  const seeds = real('breastmnist/breastmnist.npz', 1);
  if (seeds.length === 0) return;
  // the real archive is ~600 KB; fuzz a few hundred times to keep the test short
  const r = await fuzz(seeds, 300, 5, (b, name) => parseNpz(b, name));
  console.log(`NPZ fuzz: ${r.ok} parsed, ${r.fileErrors} FileFormatErrors, ${r.bad.length} other, slowest ${r.slowest.toFixed(0)} ms`);
  assert.deepEqual(r.bad, []);
  assert.ok(r.slowest < PER_DECODE_LIMIT_MS);
});
