/**
 * Series to volume on the shared dicomdirtests folders. Positions and
 * instance numbers were read with dcmdump: CT5N has InstanceNumber 6..10 for
 * z = 8.7625 down to -1.2375, so position order is the reverse of instance
 * order; MR2 holds three series, MR700 is a radial acquisition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { needData } from '../helpers/data.js';
import { readDicomSeries } from '../../src/data/dicom/series.js';
import { parseDicom } from '../../src/data/dicom/parse.js';
import { writeDicom } from '../../src/data/dicom/write.js';
import { Tags } from '../../src/data/dicom/tags.js';
import { readFileSync, readdirSync } from 'node:fs';

test('slices are ordered along the slice normal, not by instance number', async (t) => {
  const dir = needData(t, 'dicom/dicomdirtests/98892001/CT5N');
  if (!dir) return;
  const vol = await readDicomSeries(dir);
  assert.deepEqual(vol.files.map((f) => basename(f)), ['3353', '3023', '2693', '2392', '2062']);
  assert.equal(vol.sortedBy, 'position');
  assert.deepEqual(vol.slicePositions!.map((p) => +p.toFixed(4)), [-1.2375, 1.2625, 3.7625, 6.2625, 8.7625]);
  assert.ok(Math.abs(vol.sliceSpacing! - 2.5) < 1e-6);
  assert.deepEqual([vol.image.frames, vol.image.rows, vol.image.cols], [5, 16, 16]);
  assert.deepEqual(vol.warnings, []);
  // slice 0 is file 3353: stored min 868 -> HU 868 - 1024 (reference table)
  let min = Infinity;
  for (let i = 0; i < 256; i++) min = Math.min(min, vol.image.data[i]!);
  assert.equal(min, 868 - 1024);
});

test('gaps, several series and non-parallel slices are reported', async (t) => {
  const ct2 = needData(t, 'dicom/dicomdirtests/77654033/CT2');
  const mr2 = needData(t, 'dicom/dicomdirtests/98892003/MR2');
  const mr700 = needData(t, 'dicom/dicomdirtests/98892003/MR700');
  if (!ct2 || !mr2 || !mr700) return;
  const vol = await readDicomSeries(ct2);
  assert.deepEqual(vol.files.map((f) => basename(f)), ['17106', '17136', '17166', '17196']);
  assert.ok(vol.warnings.some((w) => /not uniform/.test(w)));
  await assert.rejects(readDicomSeries(mr2), /holds 3 series: .*\.481 \(1 files\).*\.136 \(3 files\).*\.17 \(3 files\)/);
  await assert.rejects(readDicomSeries(mr2, { seriesInstanceUid: '1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.136' }), /different orientations/);
  await assert.rejects(readDicomSeries(mr700), /different orientations/);
});

test('without positions the InstanceNumber decides, unreadable files are skipped with the reason', async (t) => {
  const src = needData(t, 'dicom/dicomdirtests/98892001/CT5N');
  if (!src) return;
  const dir = mkdtempSync(join(tmpdir(), 'privmed-series-'));
  try {
    for (const name of readdirSync(src)) {
      const f = parseDicom(readFileSync(join(src, name)), name);
      f.dataset.elements.delete(Tags.ImagePositionPatient);
      writeFileSync(join(dir, name), writeDicom(f.meta, f.dataset));
    }
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    const vol = await readDicomSeries(dir);
    assert.equal(vol.sortedBy, 'instance-number');
    assert.deepEqual(vol.files.map((f) => basename(f)), ['2062', '2392', '2693', '3023', '3353']);
    assert.equal(vol.skipped.length, 1);
    assert.match(vol.skipped[0]!.reason, /notes\.txt: not a DICOM file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
