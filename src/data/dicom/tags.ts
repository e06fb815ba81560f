/**
 * DICOM tags used by the reader, written as (group << 16 | element) >>> 0.
 * Names follow PS3.6 keywords so that a grep for a keyword finds its use.
 */
export function tag(group: number, element: number): number {
  return ((group << 16) | element) >>> 0;
}

export function tagGroup(t: number): number {
  return t >>> 16;
}

export function tagElement(t: number): number {
  return t & 0xffff;
}

/** `(0028,0010)` style, as printed by dcmdump and the standard. */
export function formatTag(t: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${hex(tagGroup(t))},${hex(tagElement(t))})`;
}

export const Tags = {
  FileMetaInformationGroupLength: tag(0x0002, 0x0000),
  MediaStorageSOPClassUID: tag(0x0002, 0x0002),
  MediaStorageSOPInstanceUID: tag(0x0002, 0x0003),
  TransferSyntaxUID: tag(0x0002, 0x0010),
  ImplementationClassUID: tag(0x0002, 0x0012),
  ImplementationVersionName: tag(0x0002, 0x0013),
  DirectoryRecordSequence: tag(0x0004, 0x1220),
  SpecificCharacterSet: tag(0x0008, 0x0005),
  ImageType: tag(0x0008, 0x0008),
  SOPClassUID: tag(0x0008, 0x0016),
  SOPInstanceUID: tag(0x0008, 0x0018),
  Modality: tag(0x0008, 0x0060),
  SeriesDescription: tag(0x0008, 0x103e),
  PatientName: tag(0x0010, 0x0010),
  PatientID: tag(0x0010, 0x0020),
  PatientIdentityRemoved: tag(0x0012, 0x0062),
  DeidentificationMethod: tag(0x0012, 0x0063),
  SliceThickness: tag(0x0018, 0x0050),
  StudyInstanceUID: tag(0x0020, 0x000d),
  SeriesInstanceUID: tag(0x0020, 0x000e),
  InstanceNumber: tag(0x0020, 0x0013),
  ImagePositionPatient: tag(0x0020, 0x0032),
  ImageOrientationPatient: tag(0x0020, 0x0037),
  SamplesPerPixel: tag(0x0028, 0x0002),
  PhotometricInterpretation: tag(0x0028, 0x0004),
  PlanarConfiguration: tag(0x0028, 0x0006),
  NumberOfFrames: tag(0x0028, 0x0008),
  Rows: tag(0x0028, 0x0010),
  Columns: tag(0x0028, 0x0011),
  PixelSpacing: tag(0x0028, 0x0030),
  BitsAllocated: tag(0x0028, 0x0100),
  BitsStored: tag(0x0028, 0x0101),
  HighBit: tag(0x0028, 0x0102),
  PixelRepresentation: tag(0x0028, 0x0103),
  BurnedInAnnotation: tag(0x0028, 0x0301),
  WindowCenter: tag(0x0028, 0x1050),
  WindowWidth: tag(0x0028, 0x1051),
  RescaleIntercept: tag(0x0028, 0x1052),
  RescaleSlope: tag(0x0028, 0x1053),
  VOILUTFunction: tag(0x0028, 0x1056),
  ExtendedOffsetTable: tag(0x7fe0, 0x0001),
  ExtendedOffsetTableLengths: tag(0x7fe0, 0x0002),
  FloatPixelData: tag(0x7fe0, 0x0008),
  DoubleFloatPixelData: tag(0x7fe0, 0x0009),
  PixelData: tag(0x7fe0, 0x0010),
  Item: tag(0xfffe, 0xe000),
  ItemDelimitationItem: tag(0xfffe, 0xe00d),
  SequenceDelimitationItem: tag(0xfffe, 0xe0dd),
} as const;
