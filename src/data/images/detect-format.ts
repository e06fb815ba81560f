/** Which reader a file needs, from its first bytes (falling back to the name for headerless cases). */
export type ImageFormat = 'png' | 'jpeg' | 'tiff' | 'dicom' | 'nifti' | 'unknown';

export function detectFormat(head: Uint8Array, name: string): ImageFormat {
  const lower = name.toLowerCase();
  if (head.length >= 8 && head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return 'png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d) return 'dicom';
  // After DICOM: a DICOM preamble may itself be a TIFF header (dual-personality files).
  if (head.length >= 4 && isTiffMagic(head)) return 'tiff';
  if (head.length >= 348 && head[344] === 0x6e && (head[345] === 0x2b || head[345] === 0x69) && head[347] === 0) return 'nifti';
  if (head.length >= 8 && head[4] === 0x6e && head[5] === 0x2b && head[6] === 0x32) return 'nifti'; // NIfTI-2 magic at 4
  if (lower.endsWith('.nii') || lower.endsWith('.nii.gz')) return 'nifti';
  if (lower.endsWith('.dcm') || lower.endsWith('.dicom')) return 'dicom';
  if (lower.endsWith('.png')) return 'png';
  if (lower.endsWith('.jpg') || lower.endsWith('.jpeg')) return 'jpeg';
  return 'unknown';
}

/** TIFF (42) and BigTIFF (43), little- or big-endian; SVS slide exports are TIFF too. */
function isTiffMagic(h: Uint8Array): boolean {
  const le = h[0] === 0x49 && h[1] === 0x49 && (h[2] === 42 || h[2] === 43) && h[3] === 0;
  const be = h[0] === 0x4d && h[1] === 0x4d && h[2] === 0 && (h[3] === 42 || h[3] === 43);
  return le || be;
}

/** File names a dataset scan picks up (others are reported as skipped). */
export function looksLikeImageName(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.startsWith('.')) return false;
  return /\.(png|jpe?g|tiff?|dcm|dicom|nii|nii\.gz)$/.test(lower) || !/\.[a-z0-9]{1,5}$/.test(lower); // DICOM files often have no extension
}
