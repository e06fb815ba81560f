/**
 * `data inspect` and `data deid`, through their commander registrations, on
 * the shared DICOM/NIfTI/PNG data and on synthetic files. De-identified
 * output was checked with dcmtk's dcmdump while writing this test (all 92
 * files parse; names and IDs empty, new 2.25 UIDs, PatientIdentityRemoved YES).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { needData } from '../helpers/data.js';
import { registerDataInspectCommand, type CliIo } from '../../src/cli/commands/data-inspect.js';
import { registerDataDeidCommand } from '../../src/cli/commands/data-deid.js';
import { parseDicom } from '../../src/data/dicom/parse.js';
import { decodeStoredFrames } from '../../src/data/dicom/read-dicom.js';
import { Tags } from '../../src/data/dicom/tags.js';
import { textElement } from '../../src/data/dicom/elements.js';
import { privacyReport } from '../../src/data/deid/privacy-report.js';
import { deidentify, verifyDeidentified } from '../../src/data/deid/deidentify.js';
import { UidMap } from '../../src/data/deid/uid-map.js';
import { sha256Int32 } from './hash.js';
import { syntheticDicom } from './synthetic.js';

/** Runs `privmed data <args>` in-process; returns printed lines and the exit code it set. */
async function cli(args: string[]): Promise<{ lines: string[]; code: number }> {
  const lines: string[] = [];
  const io: CliIo = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
  const program = new Command('privmed').exitOverride();
  const data = program.command('data');
  registerDataInspectCommand(data, io);
  registerDataDeidCommand(data, io);
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'privmed', 'data', ...args]);
    return { lines, code: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = before;
  }
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'privmed-deid-'));
}

test('inspect the shared DICOM folder: every file accounted for, failures and identifying data reported', async (t) => {
  const root = needData(t, 'dicom');
  if (!root) return;
  const { lines, code } = await cli(['inspect', root, '--json']);
  assert.equal(code, 1, 'files without pixel data are failures');
  const report = JSON.parse(lines.join('\n'));
  assert.deepEqual(report.summary, { files: 103, images: 42, failed: 50, skipped: 11, identifying: 99, burnedIn: 0 });
  const ct = report.files.find((f: { path: string }) => f.path.endsWith('CT_small.dcm'));
  assert.deepEqual(
    { modality: ct.modality, rows: ct.rows, cols: ct.cols, frames: ct.frames, bits: [ct.bitsStored, ct.bitsAllocated], photometric: ct.photometric, ts: ct.transferSyntax },
    { modality: 'CT', rows: 128, cols: 128, frames: 1, bits: [16, 16], photometric: 'MONOCHROME2', ts: { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian' } },
  );
  assert.ok(ct.privacy.identifying.includes('PatientName'));
  const tiny = report.files.find((f: { path: string }) => f.path.endsWith('IM000000'));
  assert.match(tiny.error, /IM000000: no image: Pixel Data \(7FE0,0010\) is missing/);
  const dicomdir = report.files.find((f: { path: string }) => f.path.endsWith('dicomdirtests/DICOMDIR'));
  assert.equal(dicomdir.format, 'dicomdir');
  assert.equal(dicomdir.ok, true);
  // human-readable output names the file, its properties and the warning
  const text = await cli(['inspect', join(root, 'JPGExtended.dcm')]);
  assert.equal(text.code, 0);
  assert.match(text.lines[0]!, /JPGExtended\.dcm {2}DICOM {2}NM {2}1024x256 {2}12\/16 bits {2}MONOCHROME2 {2}JPEG Extended \(Process 2 & 4\) \(1\.2\.840\.10008\.1\.2\.4\.51\)/);
  assert.ok(text.lines.some((l) => /warning: patient-identifying attributes present: .*PatientName/.test(l) || /warning: patient-identifying/.test(l)));
});

test('inspect a class-folder dataset of PNGs, and NIfTI files', async (t) => {
  const lr64 = needData(t, 'montgomery/LR_64');
  const nifti = needData(t, 'nifti');
  if (!lr64 || !nifti) return;
  const { lines, code } = await cli(['inspect', lr64]);
  assert.equal(code, 0);
  assert.ok(lines.includes('classes (subfolders): images (138), labels (138)'));
  assert.ok(lines.includes('276 file(s): 276 readable image(s), 0 failed, 0 skipped'));
  assert.ok(lines.some((l) => /MCUCXR_0001_0\.png {2}PNG {2}64x64 {2}1 channel\(s\) {2}8 bits/.test(l)));
  const n = await cli(['inspect', nifti, '--json']);
  const rep = JSON.parse(n.lines.join('\n'));
  const two = rep.files.find((f: { path: string }) => f.path.endsWith('example_nifti2.nii.gz'));
  assert.deepEqual([two.niftiVersion, two.dims, two.datatype], [2, [32, 20, 12, 2], 'int16']);
  assert.equal(rep.summary.failed, 0);
  assert.equal(rep.summary.skipped, 1); // COPYING
  // strict: the licence file is not an image, so it fails
  assert.equal((await cli(['inspect', nifti, '--strict'])).code, 1);
});

test('deid writes verified copies: identifying data gone, UIDs mapped consistently, pixels unchanged', async (t) => {
  const root = needData(t, 'dicom');
  if (!root) return;
  const out = tempDir();
  try {
    const { lines, code } = await cli(['deid', root, out, '--salt', 'test-salt', '--json']);
    assert.equal(code, 0);
    const res = JSON.parse(lines.join('\n'));
    assert.deepEqual([res.written, res.failed, res.skipped], [92, 0, 11]);
    for (const rel of ['CT_small.dcm', 'MR_small_implicit.dcm', 'image_dfl.dcm', 'JPEG2000.dcm', 'JPGExtended.dcm', 'liver_1frame.dcm', 'SC_rgb_jpeg_dcmtk.dcm', 'MR_small_RLE.dcm']) {
      const before = parseDicom(readFileSync(join(root, rel)), rel);
      const after = parseDicom(readFileSync(join(out, rel)), rel);
      assert.equal(after.transferSyntaxUid, before.transferSyntaxUid, rel);
      const r = privacyReport(after);
      assert.deepEqual([r.identifying, r.otherRemovable, r.patientIdentityRemoved], [[], [], true], rel);
      assert.equal(after.dataset.string(Tags.PatientName), undefined);
      assert.ok(after.dataset.has(Tags.PatientName), 'type 2 attributes stay, empty');
      assert.notEqual(after.dataset.string(Tags.SOPInstanceUID), before.dataset.string(Tags.SOPInstanceUID));
      assert.equal(after.meta.string(Tags.MediaStorageSOPInstanceUID), after.dataset.string(Tags.SOPInstanceUID));
      assert.match(after.dataset.string(Tags.StudyInstanceUID)!, /^2\.25\.\d+$/);
      const a = await decodeStoredFrames(before);
      const b = await decodeStoredFrames(after);
      assert.equal(sha256Int32(b.frames[0]!), sha256Int32(a.frames[0]!), rel);
    }
    // the four CT2 slices keep one (new) study and series UID
    const ct2 = readdirSync(join(out, 'dicomdirtests/77654033/CT2')).map((f) => parseDicom(readFileSync(join(out, 'dicomdirtests/77654033/CT2', f)), f).dataset);
    assert.equal(new Set(ct2.map((d) => d.string(Tags.SeriesInstanceUID))).size, 1);
    // the same salt maps the same UIDs in a second run; another salt does not
    const uid = (dir: string) => parseDicom(readFileSync(join(dir, 'CT_small.dcm')), 'x').dataset.string(Tags.StudyInstanceUID);
    const out2 = tempDir();
    const out3 = tempDir();
    try {
      await cli(['deid', join(root, 'CT_small.dcm'), out2, '--salt', 'test-salt']);
      await cli(['deid', join(root, 'CT_small.dcm'), out3, '--salt', 'other']);
      assert.equal(uid(out2), uid(out));
      assert.notEqual(uid(out3), uid(out));
    } finally {
      rmSync(out2, { recursive: true, force: true });
      rmSync(out3, { recursive: true, force: true });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

const REFERENCED_SERIES = 0x00081115;
const REFERENCED_INSTANCES = 0x0008114a;
const REFERENCED_SOP_INSTANCE = 0x00081155;

test('a segmentation keeps its references consistent with the mapped UIDs', async (t) => {
  const path = needData(t, 'dicom/liver_1frame.dcm');
  if (!path) return;
  const uids = new UidMap('s');
  const f = parseDicom(readFileSync(path), 'liver');
  const refs = f.dataset.items(REFERENCED_SERIES)[0]!.items(REFERENCED_INSTANCES).map((i) => i.string(REFERENCED_SOP_INSTANCE)!);
  const out = parseDicom(deidentify(f, { uids }).bytes, 'liver');
  const newRefs = out.dataset.items(REFERENCED_SERIES)[0]!.items(REFERENCED_INSTANCES).map((i) => i.string(REFERENCED_SOP_INSTANCE)!);
  assert.deepEqual(newRefs, refs.map((r) => uids.map(r)));
});

test('burned-in annotations are refused unless accepted; verification catches leftovers', async () => {
  const dir = tempDir();
  const out = tempDir();
  try {
    mkdirSync(join(dir, 'a'));
    const burned = syntheticDicom({ rows: 2, cols: 2, values: [1, 2, 3, 4], extra: [textElement(Tags.BurnedInAnnotation, 'CS', 'YES'), textElement(Tags.PatientName, 'PN', 'Doe^Jane')] });
    writeFileSync(join(dir, 'a', 'burned.dcm'), burned);
    const r = await cli(['deid', dir, out]);
    assert.equal(r.code, 1);
    assert.ok(r.lines.some((l) => /burned\.dcm {2}FAILED: .*BurnedInAnnotation is YES/.test(l)));
    const ok = await cli(['deid', dir, out, '--accept-burned-in', '--rename']);
    assert.equal(ok.code, 0);
    const written = ok.lines[0]!.split(' -> ')[1]!;
    assert.match(written, /2\.25\.\d+\/2\.25\.\d+\/2\.25\.\d+\.dcm$/);
    const insp = await cli(['inspect', written]);
    assert.ok(insp.lines.some((l) => /BurnedInAnnotation is YES/.test(l)));
    // the original itself fails verification
    const f = parseDicom(burned, 'b');
    const problems = verifyDeidentified(burned, 'b', { pixelData: f.dataset.get(Tags.PixelData), originalUids: new Set(['2.25.1234']) });
    assert.ok(problems.includes('PatientIdentityRemoved is not YES'));
    assert.ok(problems.some((p) => /SOPInstanceUID keeps an original UID/.test(p)));
    // private attributes are removed
    const priv = syntheticDicom({ rows: 2, cols: 2, values: [1, 2, 3, 4], extra: [textElement(0x00091010, 'LO', 'site secret'), textElement(0x60004000, 'LT', 'overlay note')] });
    const cleaned = parseDicom(deidentify(parseDicom(priv, 'p'), { uids: new UidMap() }).bytes, 'p');
    assert.ok(!cleaned.dataset.has(0x00091010) && !cleaned.dataset.has(0x60004000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

test('the pre-training audit flags identifying DICOM files among dataset paths, and passes de-identified ones', async (t) => {
  const ct = needData(t, 'dicom/CT_small.dcm');
  const png = needData(t, 'montgomery/LR_64/images/MCUCXR_0001_0.png');
  if (!ct || !png) return;
  const { auditDicomPrivacy } = await import('../../src/data/deid/audit.js');
  const before = await auditDicomPrivacy([ct, png]);
  assert.equal(before.dicomFiles, 1);
  assert.deepEqual(before.identifying, [ct]);
  assert.ok(before.attributes.includes('PatientName'));
  assert.match(before.warnings[0]!, /1 of 1 DICOM file\(s\) contain patient-identifying attributes/);
  const out = tempDir();
  try {
    await cli(['deid', ct, out]);
    const after = await auditDicomPrivacy([join(out, 'CT_small.dcm'), png]);
    assert.deepEqual([after.dicomFiles, after.identifying, after.warnings], [1, [], []]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('de-identification keeps Big Endian and Implicit VR encodings readable', async (t) => {
  const path = needData(t, 'dicom/MR_small.dcm');
  if (!path) return;
  const { writeDicom } = await import('../../src/data/dicom/write.js');
  for (const uid of ['1.2.840.10008.1.2.2', '1.2.840.10008.1.2']) {
    const src = parseDicom(readFileSync(path), 'mr');
    const bytes = writeDicom(src.meta, src.dataset, { transferSyntaxUid: uid });
    const f = parseDicom(bytes, uid);
    const res = deidentify(f, { uids: new UidMap('x') });
    assert.deepEqual(verifyDeidentified(res.bytes, uid, { pixelData: parseDicom(bytes, uid).dataset.get(Tags.PixelData), originalUids: res.originalUids }), []);
    const back = parseDicom(res.bytes, uid);
    assert.equal(back.transferSyntaxUid, uid);
    assert.deepEqual(back.dataset.items(0x00120064)[0]!.strings(0x00080100), ['113100']);
    assert.equal(sha256Int32((await decodeStoredFrames(back)).frames[0]!).slice(0, 16), 'b8d9a6cee6ff2ea9');
  }
});

test('data deid refuses an output folder that is, or lies inside, the input (the originals would be overwritten or re-read)', async () => {
  const { deidentifyPath } = await import('../../src/data/deid/deid-path.js');
  const { mkdtempSync, mkdirSync, writeFileSync, readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'privmed-deid-overlap-'));
  mkdirSync(join(dir, 'in'));
  writeFileSync(join(dir, 'in', 'a.dcm'), 'not really dicom');
  await assert.rejects(deidentifyPath(join(dir, 'in'), join(dir, 'in')), /output folder .*in is the input .*in; the originals would be overwritten/);
  await assert.rejects(deidentifyPath(join(dir, 'in'), join(dir, 'in', 'deid')), /overlaps the input/);
  await assert.rejects(deidentifyPath(join(dir, 'in'), dir), /overlaps the input/);
  await assert.rejects(deidentifyPath(join(dir, 'in', 'a.dcm'), join(dir, 'in')), /is the input/);
  assert.deepEqual(readdirSync(join(dir, 'in')), ['a.dcm'], 'nothing written into the input');
  const ok = await deidentifyPath(join(dir, 'in'), join(dir, 'out'));
  assert.equal(ok.length, 1, 'a sibling output folder is accepted');
});
