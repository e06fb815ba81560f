/**
 * Finds patient-identifying content in a DICOM object before it is used for
 * training: attributes of the PS3.15 Basic Profile that carry a value
 * (anywhere, including nested sequences), private attributes, and a
 * BurnedInAnnotation of YES (text in the pixels that attribute cleaning
 * cannot remove). Only attribute names are reported, never their values.
 */
import type { DicomDataSet } from '../dicom/data-set.js';
import type { DicomFile } from '../dicom/parse.js';
import { Tags, formatTag } from '../dicom/tags.js';
import { PROFILE_BY_TAG, removedByRule } from './basic-profile.js';

export interface PrivacyReport {
  /** Keywords of identifying attributes with a value, e.g. PatientName, StudyDate. */
  identifying: string[];
  /** Private/curve/overlay attributes the profile would remove. */
  otherRemovable: string[];
  burnedInAnnotation: string | undefined;
  patientIdentityRemoved: boolean;
}

function walk(ds: DicomDataSet, identityRemoved: boolean, found: Set<string>, other: Set<string>): void {
  for (const el of ds.elements.values()) {
    const entry = PROFILE_BY_TAG.get(el.tag);
    const hasValue = el.value.length > 0 || (el.items?.length ?? 0) > 0 || (el.fragments?.length ?? 0) > 0;
    if (entry && hasValue && !(entry.action === 'U' && identityRemoved)) found.add(entry.name);
    const rule = removedByRule(el.tag);
    if (rule) other.add(`${rule} ${formatTag(el.tag)}`);
    for (const item of el.items ?? []) walk(item, identityRemoved, found, other);
  }
}

export function privacyReport(file: DicomFile): PrivacyReport {
  const identityRemoved = file.dataset.string(Tags.PatientIdentityRemoved)?.toUpperCase() === 'YES';
  const found = new Set<string>();
  const other = new Set<string>();
  walk(file.dataset, identityRemoved, found, other);
  return {
    identifying: [...found].sort(),
    otherRemovable: [...other].sort(),
    burnedInAnnotation: file.dataset.string(Tags.BurnedInAnnotation)?.toUpperCase(),
    patientIdentityRemoved: identityRemoved,
  };
}

/** One-line warnings for a report (empty when the object looks de-identified). */
export function privacyWarnings(r: PrivacyReport): string[] {
  const out: string[] = [];
  if (r.identifying.length) {
    const shown = r.identifying.slice(0, 8).join(', ') + (r.identifying.length > 8 ? `, ... (${r.identifying.length} in all)` : '');
    out.push(`patient-identifying attributes present: ${shown}; de-identify with 'privmed data deid' before training`);
  }
  if (r.otherRemovable.length) out.push(`${r.otherRemovable.length} private/overlay/curve attribute(s) present (removed by the basic profile)`);
  if (r.burnedInAnnotation === 'YES') out.push('BurnedInAnnotation is YES: the pixels contain identifying text that attribute de-identification cannot remove');
  return out;
}
