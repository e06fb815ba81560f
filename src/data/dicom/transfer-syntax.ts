/**
 * Transfer syntaxes: how the data set is encoded (VR explicit or implicit,
 * byte order, deflate) and which codec the pixel data needs.
 */
export type PixelCodec =
  | 'native'
  | 'rle'
  | 'jpeg-baseline'
  | 'jpeg-extended'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg2000'
  | 'htj2k';

export interface TransferSyntax {
  uid: string;
  name: string;
  explicitVr: boolean;
  littleEndian: boolean;
  deflated: boolean;
  /** Pixel data stored as fragments (compressed). */
  encapsulated: boolean;
  codec: PixelCodec;
}

function ts(uid: string, name: string, codec: PixelCodec, extra: Partial<TransferSyntax> = {}): TransferSyntax {
  return {
    uid,
    name,
    explicitVr: true,
    littleEndian: true,
    deflated: false,
    encapsulated: codec !== 'native',
    codec,
    ...extra,
  };
}

const KNOWN: TransferSyntax[] = [
  ts('1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native', { explicitVr: false }),
  ts('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'),
  ts('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'native', { deflated: true }),
  ts('1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'native', { littleEndian: false }),
  ts('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  ts('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg-baseline'),
  ts('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg-extended'),
  ts('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
  ts('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless)', 'jpeg-ls'),
  ts('1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)', 'jpeg2000'),
  ts('1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', 'jpeg2000'),
  ts('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', 'htj2k'),
  ts('1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', 'htj2k'),
  ts('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000 Image Compression', 'htj2k'),
];

/** Syntaxes we recognise but cannot decode: the name goes into the error message. */
const UNSUPPORTED_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.4.52': 'JPEG Extended (Process 3 & 5), retired',
  '1.2.840.10008.1.2.4.53': 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8), retired',
  '1.2.840.10008.1.2.4.55': 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12), retired',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component Image Compression',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile / Main Level',
  '1.2.840.10008.1.2.4.101': 'MPEG2 Main Profile / High Level',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264 High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265 Main Profile / Level 5.1',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10 Profile / Level 5.1',
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
  '1.2.840.10008.1.2.4.111': 'JPEG XL JPEG Recompression',
  '1.2.840.10008.1.2.4.112': 'JPEG XL',
  '1.2.840.10008.1.2.6.1': 'RFC 2557 MIME encapsulation, retired',
  '1.2.840.10008.1.2.6.2': 'XML Encoding, retired',
};

const BY_UID = new Map(KNOWN.map((t) => [t.uid, t]));

export function findTransferSyntax(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid);
}

/** A human name for any transfer syntax UID, known or not. */
export function transferSyntaxName(uid: string): string {
  return BY_UID.get(uid)?.name ?? UNSUPPORTED_NAMES[uid] ?? 'unknown transfer syntax';
}

export const IMPLICIT_VR_LITTLE_ENDIAN = BY_UID.get('1.2.840.10008.1.2')!;
export const EXPLICIT_VR_LITTLE_ENDIAN = BY_UID.get('1.2.840.10008.1.2.1')!;
export const EXPLICIT_VR_BIG_ENDIAN = BY_UID.get('1.2.840.10008.1.2.2')!;
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = BY_UID.get('1.2.840.10008.1.2.1.99')!;
