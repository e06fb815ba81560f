/**
 * The attributes of the DICOM Basic Application Level Confidentiality Profile
 * (PS3.15 Annex E, Table E.1-1) that this tool handles, with the profile's
 * action: X remove, Z empty value, D dummy value, U new UID (consistently
 * mapped). Where the table allows several actions, the strictest that keeps
 * the object valid is used. Private attributes (odd groups), curve data
 * (50xx) and overlay comments/data (60xx,3000 and 60xx,4000) are removed too.
 */
import { tag } from '../dicom/tags.js';

export type ProfileAction = 'X' | 'Z' | 'D' | 'U';

export interface ProfileEntry {
  tag: number;
  name: string;
  vr: string;
  action: ProfileAction;
}

const T: [number, number, string, string, ProfileAction][] = [
  [0x0002, 0x0003, 'MediaStorageSOPInstanceUID', 'UI', 'U'],
  [0x0004, 0x1511, 'ReferencedSOPInstanceUIDInFile', 'UI', 'U'],
  [0x0008, 0x0012, 'InstanceCreationDate', 'DA', 'X'],
  [0x0008, 0x0013, 'InstanceCreationTime', 'TM', 'X'],
  [0x0008, 0x0014, 'InstanceCreatorUID', 'UI', 'U'],
  [0x0008, 0x0018, 'SOPInstanceUID', 'UI', 'U'],
  [0x0008, 0x0020, 'StudyDate', 'DA', 'Z'],
  [0x0008, 0x0021, 'SeriesDate', 'DA', 'X'],
  [0x0008, 0x0022, 'AcquisitionDate', 'DA', 'X'],
  [0x0008, 0x0023, 'ContentDate', 'DA', 'Z'],
  [0x0008, 0x002a, 'AcquisitionDateTime', 'DT', 'X'],
  [0x0008, 0x0030, 'StudyTime', 'TM', 'Z'],
  [0x0008, 0x0031, 'SeriesTime', 'TM', 'X'],
  [0x0008, 0x0032, 'AcquisitionTime', 'TM', 'X'],
  [0x0008, 0x0033, 'ContentTime', 'TM', 'Z'],
  [0x0008, 0x0050, 'AccessionNumber', 'SH', 'Z'],
  [0x0008, 0x0080, 'InstitutionName', 'LO', 'X'],
  [0x0008, 0x0081, 'InstitutionAddress', 'ST', 'X'],
  [0x0008, 0x0090, 'ReferringPhysicianName', 'PN', 'Z'],
  [0x0008, 0x0092, 'ReferringPhysicianAddress', 'ST', 'X'],
  [0x0008, 0x0094, 'ReferringPhysicianTelephoneNumbers', 'SH', 'X'],
  [0x0008, 0x0096, 'ReferringPhysicianIdentificationSequence', 'SQ', 'X'],
  [0x0008, 0x1010, 'StationName', 'SH', 'X'],
  [0x0008, 0x1030, 'StudyDescription', 'LO', 'X'],
  [0x0008, 0x103e, 'SeriesDescription', 'LO', 'X'],
  [0x0008, 0x1040, 'InstitutionalDepartmentName', 'LO', 'X'],
  [0x0008, 0x1048, 'PhysiciansOfRecord', 'PN', 'X'],
  [0x0008, 0x1049, 'PhysiciansOfRecordIdentificationSequence', 'SQ', 'X'],
  [0x0008, 0x1050, 'PerformingPhysicianName', 'PN', 'X'],
  [0x0008, 0x1052, 'PerformingPhysicianIdentificationSequence', 'SQ', 'X'],
  [0x0008, 0x1060, 'NameOfPhysiciansReadingStudy', 'PN', 'X'],
  [0x0008, 0x1062, 'PhysiciansReadingStudyIdentificationSequence', 'SQ', 'X'],
  [0x0008, 0x1070, 'OperatorsName', 'PN', 'X'],
  [0x0008, 0x1072, 'OperatorIdentificationSequence', 'SQ', 'X'],
  [0x0008, 0x1080, 'AdmittingDiagnosesDescription', 'LO', 'X'],
  [0x0008, 0x1084, 'AdmittingDiagnosesCodeSequence', 'SQ', 'X'],
  [0x0008, 0x1110, 'ReferencedStudySequence', 'SQ', 'X'],
  [0x0008, 0x1111, 'ReferencedPerformedProcedureStepSequence', 'SQ', 'X'],
  [0x0008, 0x1120, 'ReferencedPatientSequence', 'SQ', 'X'],
  [0x0008, 0x1155, 'ReferencedSOPInstanceUID', 'UI', 'U'],
  [0x0008, 0x2111, 'DerivationDescription', 'ST', 'X'],
  [0x0010, 0x0010, 'PatientName', 'PN', 'Z'],
  [0x0010, 0x0020, 'PatientID', 'LO', 'Z'],
  [0x0010, 0x0021, 'IssuerOfPatientID', 'LO', 'X'],
  [0x0010, 0x0030, 'PatientBirthDate', 'DA', 'Z'],
  [0x0010, 0x0032, 'PatientBirthTime', 'TM', 'X'],
  [0x0010, 0x0040, 'PatientSex', 'CS', 'Z'],
  [0x0010, 0x0050, 'PatientInsurancePlanCodeSequence', 'SQ', 'X'],
  [0x0010, 0x1000, 'OtherPatientIDs', 'LO', 'X'],
  [0x0010, 0x1001, 'OtherPatientNames', 'PN', 'X'],
  [0x0010, 0x1002, 'OtherPatientIDsSequence', 'SQ', 'X'],
  [0x0010, 0x1005, 'PatientBirthName', 'PN', 'X'],
  [0x0010, 0x1010, 'PatientAge', 'AS', 'X'],
  [0x0010, 0x1020, 'PatientSize', 'DS', 'X'],
  [0x0010, 0x1030, 'PatientWeight', 'DS', 'X'],
  [0x0010, 0x1040, 'PatientAddress', 'LO', 'X'],
  [0x0010, 0x1060, 'PatientMotherBirthName', 'PN', 'X'],
  [0x0010, 0x1090, 'MedicalRecordLocator', 'LO', 'X'],
  [0x0010, 0x2150, 'CountryOfResidence', 'LO', 'X'],
  [0x0010, 0x2152, 'RegionOfResidence', 'LO', 'X'],
  [0x0010, 0x2154, 'PatientTelephoneNumbers', 'SH', 'X'],
  [0x0010, 0x2160, 'EthnicGroup', 'SH', 'X'],
  [0x0010, 0x2180, 'Occupation', 'SH', 'X'],
  [0x0010, 0x21a0, 'SmokingStatus', 'CS', 'X'],
  [0x0010, 0x21b0, 'AdditionalPatientHistory', 'LT', 'X'],
  [0x0010, 0x21c0, 'PregnancyStatus', 'US', 'X'],
  [0x0010, 0x21f0, 'PatientReligiousPreference', 'LO', 'X'],
  [0x0010, 0x4000, 'PatientComments', 'LT', 'X'],
  [0x0018, 0x1000, 'DeviceSerialNumber', 'LO', 'X'],
  [0x0018, 0x1030, 'ProtocolName', 'LO', 'X'],
  [0x0018, 0x4000, 'AcquisitionComments', 'LT', 'X'],
  [0x0020, 0x000d, 'StudyInstanceUID', 'UI', 'U'],
  [0x0020, 0x000e, 'SeriesInstanceUID', 'UI', 'U'],
  [0x0020, 0x0010, 'StudyID', 'SH', 'Z'],
  [0x0020, 0x0052, 'FrameOfReferenceUID', 'UI', 'U'],
  [0x0020, 0x0200, 'SynchronizationFrameOfReferenceUID', 'UI', 'U'],
  [0x0020, 0x4000, 'ImageComments', 'LT', 'X'],
  [0x0020, 0x9161, 'ConcatenationUID', 'UI', 'U'],
  [0x0020, 0x9164, 'DimensionOrganizationUID', 'UI', 'U'],
  [0x0032, 0x1032, 'RequestingPhysician', 'PN', 'X'],
  [0x0032, 0x1033, 'RequestingService', 'LO', 'X'],
  [0x0032, 0x1060, 'RequestedProcedureDescription', 'LO', 'X'],
  [0x0032, 0x4000, 'StudyComments', 'LT', 'X'],
  [0x0038, 0x0010, 'AdmissionID', 'LO', 'X'],
  [0x0038, 0x0300, 'CurrentPatientLocation', 'LO', 'X'],
  [0x0038, 0x0400, 'PatientInstitutionResidence', 'LO', 'X'],
  [0x0038, 0x0500, 'PatientState', 'LO', 'X'],
  [0x0040, 0x0006, 'ScheduledPerformingPhysicianName', 'PN', 'X'],
  [0x0040, 0x0244, 'PerformedProcedureStepStartDate', 'DA', 'X'],
  [0x0040, 0x0245, 'PerformedProcedureStepStartTime', 'TM', 'X'],
  [0x0040, 0x0253, 'PerformedProcedureStepID', 'SH', 'X'],
  [0x0040, 0x0254, 'PerformedProcedureStepDescription', 'LO', 'X'],
  [0x0040, 0x0275, 'RequestAttributesSequence', 'SQ', 'X'],
  [0x0040, 0x1001, 'RequestedProcedureID', 'SH', 'X'],
  [0x0040, 0x2016, 'PlacerOrderNumberImagingServiceRequest', 'LO', 'X'],
  [0x0040, 0x2017, 'FillerOrderNumberImagingServiceRequest', 'LO', 'X'],
  [0x0040, 0xa124, 'UID', 'UI', 'U'],
  [0x0040, 0xa730, 'ContentSequence', 'SQ', 'X'],
  [0x0070, 0x0084, 'ContentCreatorName', 'PN', 'Z'],
  [0x0088, 0x0140, 'StorageMediaFileSetUID', 'UI', 'U'],
  [0x3006, 0x0024, 'ReferencedFrameOfReferenceUID', 'UI', 'U'],
  [0x3006, 0x00c2, 'RelatedFrameOfReferenceUID', 'UI', 'U'],
  [0x4008, 0x0114, 'PhysicianApprovingInterpretation', 'PN', 'X'],
];

export const BASIC_PROFILE: ProfileEntry[] = T.map(([g, e, name, vr, action]) => ({ tag: tag(g, e), name, vr, action }));
export const PROFILE_BY_TAG = new Map(BASIC_PROFILE.map((p) => [p.tag, p]));

/** Groups/elements the profile removes wholesale: private tags, curves, overlay data and comments. */
export function removedByRule(t: number): string | undefined {
  const group = t >>> 16;
  const element = t & 0xffff;
  if (group % 2 === 1) return 'private attribute';
  if (group >= 0x5000 && group <= 0x50ff && group % 2 === 0) return 'curve data';
  if (group >= 0x6000 && group <= 0x60ff && group % 2 === 0 && (element === 0x3000 || element === 0x4000)) return 'overlay data/comments';
  return undefined;
}
