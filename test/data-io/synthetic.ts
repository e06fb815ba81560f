/** Small synthetic DICOM files built in code with the project's writer. */
import { Tags } from '../../src/data/dicom/tags.js';
import { bytesElement, dataSetOf, encapsulatedPixelData, numberElement, textElement } from '../../src/data/dicom/elements.js';
import type { DicomElement } from '../../src/data/dicom/data-set.js';
import { writeDicom } from '../../src/data/dicom/write.js';

export interface SyntheticImage {
  rows: number;
  cols: number;
  frames?: number;
  samplesPerPixel?: number;
  bitsAllocated?: number;
  bitsStored?: number;
  signed?: boolean;
  photometric?: string;
  planarConfiguration?: number;
  /** Native pixel values in file order (ignored when `fragments` are given). */
  values?: ArrayLike<number>;
  /** Compressed frames for an encapsulated transfer syntax. */
  fragments?: Uint8Array[];
  transferSyntaxUid?: string;
  extra?: DicomElement[];
}

/** Packs values as little-endian samples of BitsAllocated bits (1-bit packed LSB first). */
export function packNative(values: ArrayLike<number>, bitsAllocated: number): Uint8Array {
  if (bitsAllocated === 1) {
    const out = new Uint8Array(Math.ceil(values.length / 8) + (Math.ceil(values.length / 8) % 2));
    for (let i = 0; i < values.length; i++) if (values[i]) out[i >> 3]! |= 1 << (i & 7);
    return out;
  }
  const size = bitsAllocated / 8;
  const out = new Uint8Array(values.length * size + ((values.length * size) % 2));
  const v = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (size === 1) out[i] = x & 0xff;
    else if (size === 2) v.setUint16(i * 2, x & 0xffff, true);
    else v.setUint32(i * 4, x >>> 0, true);
  }
  return out;
}

export function syntheticDicom(img: SyntheticImage): Uint8Array {
  const spp = img.samplesPerPixel ?? 1;
  const ba = img.bitsAllocated ?? 16;
  const uid = img.transferSyntaxUid ?? '1.2.840.10008.1.2.1';
  const meta = dataSetOf([
    textElement(Tags.MediaStorageSOPClassUID, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    textElement(Tags.MediaStorageSOPInstanceUID, 'UI', '2.25.1234'),
    textElement(Tags.TransferSyntaxUID, 'UI', uid),
  ]);
  const els: DicomElement[] = [
    textElement(Tags.SOPClassUID, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    textElement(Tags.SOPInstanceUID, 'UI', '2.25.1234'),
    textElement(Tags.Modality, 'CS', 'OT'),
    textElement(Tags.StudyInstanceUID, 'UI', '2.25.1'),
    textElement(Tags.SeriesInstanceUID, 'UI', '2.25.2'),
    numberElement(Tags.SamplesPerPixel, 'US', spp),
    textElement(Tags.PhotometricInterpretation, 'CS', img.photometric ?? (spp === 3 ? 'RGB' : 'MONOCHROME2')),
    numberElement(Tags.Rows, 'US', img.rows),
    numberElement(Tags.Columns, 'US', img.cols),
    numberElement(Tags.BitsAllocated, 'US', ba),
    numberElement(Tags.BitsStored, 'US', img.bitsStored ?? ba),
    numberElement(Tags.HighBit, 'US', (img.bitsStored ?? ba) - 1),
    numberElement(Tags.PixelRepresentation, 'US', img.signed ? 1 : 0),
    ...(img.extra ?? []),
  ];
  if (spp > 1) els.push(numberElement(Tags.PlanarConfiguration, 'US', img.planarConfiguration ?? 0));
  if ((img.frames ?? 1) > 1) els.push(textElement(Tags.NumberOfFrames, 'IS', String(img.frames)));
  els.push(img.fragments ? encapsulatedPixelData(Tags.PixelData, img.fragments) : bytesElement(Tags.PixelData, ba > 8 ? 'OW' : 'OB', packNative(img.values ?? [], ba)));
  return writeDicom(meta, dataSetOf(els), { transferSyntaxUid: uid });
}

/** Deterministic test pattern in [0, max]. */
export function pattern(n: number, max: number, seed = 1): Int32Array {
  const out = new Int32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = Math.round(((Math.sin(i / 7) + 1) / 2) * max * 0.8 + (x % Math.max(1, Math.floor(max * 0.2))));
  }
  return out;
}

/** A minimal NIfTI-1 single file (.nii): 348-byte header, 4 extension bytes, then the voxels. */
export function niftiBytes(opts: { dims: number[]; datatype: 'uint8' | 'int16' | 'float32'; values: ArrayLike<number>; slope?: number; intercept?: number; littleEndian?: boolean; intent?: number }): Uint8Array {
  const le = opts.littleEndian ?? true;
  const size = { uint8: 1, int16: 2, float32: 4 }[opts.datatype];
  const code = { uint8: 2, int16: 4, float32: 16 }[opts.datatype];
  const out = new Uint8Array(352 + opts.values.length * size);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, le);
  v.setInt16(40, opts.dims.length, le);
  opts.dims.forEach((d, i) => v.setInt16(42 + 2 * i, d, le));
  v.setInt16(68, opts.intent ?? 0, le);
  v.setInt16(70, code, le);
  v.setInt16(72, size * 8, le);
  for (let i = 0; i < 8; i++) v.setFloat32(76 + 4 * i, 1, le);
  v.setFloat32(108, 352, le);
  v.setFloat32(112, opts.slope ?? 0, le);
  v.setFloat32(116, opts.intercept ?? 0, le);
  out.set([0x6e, 0x2b, 0x31, 0], 344);
  for (let i = 0; i < opts.values.length; i++) {
    const o = 352 + i * size;
    if (size === 1) v.setUint8(o, opts.values[i]!);
    else if (size === 2) v.setInt16(o, opts.values[i]!, le);
    else v.setFloat32(o, opts.values[i]!, le);
  }
  return out;
}
