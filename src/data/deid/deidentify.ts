/**
 * De-identification of one DICOM object with the Basic Profile (PS3.15 E.1):
 * attributes removed, emptied, dummied or given new consistently-mapped UIDs,
 * private/curve/overlay attributes removed, PatientIdentityRemoved YES and the
 * method recorded. The output keeps the input's transfer syntax and pixel data
 * bytes; `verifyDeidentified` re-reads it to prove the result.
 */
import { PrivmedError } from '../../common/errors.js';
import { DicomDataSet, type DicomElement } from '../dicom/data-set.js';
import { dataSetOf, sequenceElement, textElement } from '../dicom/elements.js';
import { parseDicom, type DicomFile } from '../dicom/parse.js';
import { Tags, tag } from '../dicom/tags.js';
import { writeDicom } from '../dicom/write.js';
import { PROFILE_BY_TAG, removedByRule, type ProfileEntry } from './basic-profile.js';
import type { UidMap } from './uid-map.js';

export const DEID_METHOD = 'privmed: DICOM PS3.15 Basic Application Level Confidentiality Profile';
const DEID_METHOD_CODE_SEQUENCE = tag(0x0012, 0x0064);
const SOURCE_AE_TITLE = tag(0x0002, 0x0016);

export interface DeidOptions {
  uids: UidMap;
  /** Write objects whose BurnedInAnnotation is YES (default false: refuse). */
  acceptBurnedIn?: boolean;
}

export interface DeidResult {
  bytes: Uint8Array;
  actions: { removed: number; emptied: number; dummied: number; uidsReplaced: number };
  /** Original UIDs that were replaced (for verification). */
  originalUids: Set<string>;
}

const DUMMY: Record<string, string> = { DA: '19000101', TM: '000000', DT: '19000101000000', PN: 'ANONYMOUS', AS: '000Y', DS: '0', IS: '0', US: '' };

function dummy(entry: ProfileEntry, utf8: boolean): DicomElement {
  return textElement(entry.tag, entry.vr, DUMMY[entry.vr] ?? 'ANONYMIZED', utf8);
}

function clean(ds: DicomDataSet, opts: DeidOptions, acc: DeidResult['actions'], originals: Set<string>): void {
  for (const el of [...ds.elements.values()]) {
    if (removedByRule(el.tag)) {
      ds.elements.delete(el.tag);
      acc.removed++;
      continue;
    }
    const entry = PROFILE_BY_TAG.get(el.tag);
    if (entry) {
      if (entry.action === 'X') {
        ds.elements.delete(el.tag);
        acc.removed++;
        continue;
      }
      if (entry.action === 'Z') {
        ds.set({ tag: el.tag, vr: el.vr === 'UN' ? entry.vr : el.vr, value: new Uint8Array(0), undefinedLength: false, ...(el.items ? { items: [] } : {}) });
        acc.emptied++;
        continue;
      }
      if (entry.action === 'D') {
        ds.set(dummy(entry, false));
        acc.dummied++;
        continue;
      }
      const old = ds.strings(el.tag).filter((u) => u !== '');
      old.forEach((u) => originals.add(u));
      ds.set(textElement(el.tag, 'UI', old.map((u) => opts.uids.map(u))));
      acc.uidsReplaced += old.length;
      continue;
    }
    for (const item of el.items ?? []) clean(item, opts, acc, originals);
  }
}

export function deidentify(file: DicomFile, opts: DeidOptions): DeidResult {
  const burned = file.dataset.string(Tags.BurnedInAnnotation)?.toUpperCase();
  if (burned === 'YES' && !opts.acceptBurnedIn) {
    throw new PrivmedError(`${file.name}: BurnedInAnnotation is YES: identifying text in the pixels cannot be removed by attribute de-identification`, {
      hint: 'review and mask the pixels, then pass --accept-burned-in',
    });
  }
  const acc = { removed: 0, emptied: 0, dummied: 0, uidsReplaced: 0 };
  const originals = new Set<string>();
  const ds = file.dataset;
  const meta = file.meta;
  clean(ds, opts, acc, originals);
  ds.set(textElement(Tags.PatientIdentityRemoved, 'CS', 'YES'));
  ds.set(textElement(Tags.DeidentificationMethod, 'LO', DEID_METHOD));
  ds.set(
    sequenceElement(DEID_METHOD_CODE_SEQUENCE, [
      dataSetOf([textElement(tag(0x0008, 0x0100), 'SH', '113100'), textElement(tag(0x0008, 0x0102), 'SH', 'DCM'), textElement(tag(0x0008, 0x0104), 'LO', 'Basic Application Confidentiality Profile')], ds.littleEndian, ds.explicitVr),
    ]),
  );
  // the meta group repeats the instance UID; the same original maps to the same replacement
  const mediaUid = meta.string(Tags.MediaStorageSOPInstanceUID);
  if (mediaUid) {
    originals.add(mediaUid);
    meta.set(textElement(Tags.MediaStorageSOPInstanceUID, 'UI', opts.uids.map(mediaUid)));
  }
  meta.elements.delete(SOURCE_AE_TITLE);
  const bytes = writeDicom(meta, ds, { transferSyntaxUid: file.transferSyntaxUid });
  return { bytes, actions: acc, originalUids: originals };
}

/**
 * Re-reads a de-identified object and lists what is wrong with it (empty when
 * it is clean): leftover identifying values or original UIDs, missing
 * PatientIdentityRemoved, changed pixel data.
 */
export function verifyDeidentified(bytes: Uint8Array, name: string, original: { pixelData?: DicomElement; originalUids: Set<string> }): string[] {
  const problems: string[] = [];
  let back: DicomFile;
  try {
    back = parseDicom(bytes, name);
  } catch (err) {
    return [`output cannot be re-read: ${(err as Error).message}`];
  }
  const visit = (ds: DicomDataSet, where: string) => {
    for (const el of ds.elements.values()) {
      const entry = PROFILE_BY_TAG.get(el.tag);
      const rule = removedByRule(el.tag);
      if (rule) problems.push(`${where}${rule} left in place`);
      if (entry?.action === 'X') problems.push(`${where}${entry.name} not removed`);
      if (entry?.action === 'Z' && (el.value.length > 0 || (el.items?.length ?? 0) > 0)) problems.push(`${where}${entry.name} not emptied`);
      if (entry?.action === 'U' && ds.strings(el.tag).some((u) => original.originalUids.has(u))) problems.push(`${where}${entry.name} keeps an original UID`);
      el.items?.forEach((item, i) => visit(item, `${where}${entry?.name ?? el.tag.toString(16)}[${i}].`));
    }
  };
  visit(back.dataset, '');
  if (back.meta.string(Tags.MediaStorageSOPInstanceUID) && original.originalUids.has(back.meta.string(Tags.MediaStorageSOPInstanceUID)!)) problems.push('MediaStorageSOPInstanceUID keeps the original UID');
  if (back.dataset.string(Tags.PatientIdentityRemoved) !== 'YES') problems.push('PatientIdentityRemoved is not YES');
  const px = back.dataset.get(Tags.PixelData);
  const before = original.pixelData;
  if (before || px) {
    const same =
      !!before && !!px &&
      Buffer.from(before.value).equals(Buffer.from(px.value)) &&
      (before.fragments?.length ?? 0) === (px.fragments?.length ?? 0) &&
      (before.fragments ?? []).every((f, i) => Buffer.from(f).equals(Buffer.from(px.fragments![i]!)));
    if (!same) problems.push('Pixel Data changed');
  }
  return problems;
}
