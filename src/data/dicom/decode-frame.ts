/**
 * Decodes one frame of pixel data to stored values, choosing the decoder from
 * the transfer syntax (and, for JPEG, from the stream's own frame header).
 */
import { FileFormatError } from '../../common/errors.js';
import { CodecError, decodeHtj2k, decodeJpeg2000, decodeJpeg8, decodeJpegLossless, decodeJpegLs, type CodecOutput } from './codecs.js';
import { splitFrames } from './frames.js';
import { decodeJpegDct, JpegUnsupportedError } from './jpeg/decode-dct.js';
import { JpegDataError } from './jpeg/huffman.js';
import { readJpegFrameHeader } from './jpeg/frame-header.js';
import { decodeNativeFrame } from './native.js';
import type { DicomFile } from './parse.js';
import type { PixelModule } from './pixel-module.js';
import { decodeRleFrame } from './rle.js';
import { normaliseStored, type StoredFrame } from './stored-values.js';
import { transferSyntaxName } from './transfer-syntax.js';

export interface DecodedFrame {
  values: StoredFrame;
  /** Photometric interpretation of `values` (codecs may already have converted colour to RGB). */
  photometric: string;
}

/** Frame-by-frame access to a file's pixel data. */
export class PixelFrames {
  private encapsulated: Uint8Array[] | undefined;

  constructor(
    private readonly file: DicomFile,
    readonly pm: PixelModule,
  ) {
    const ts = file.transferSyntax;
    if (!ts) throw new FileFormatError(file.name, `unsupported transfer syntax ${file.transferSyntaxUid} (${transferSyntaxName(file.transferSyntaxUid)})`);
    const el = file.dataset.get(pm.pixelTag)!;
    if (ts.encapsulated) {
      if (!el.fragments) throw new FileFormatError(file.name, `transfer syntax ${ts.name} needs encapsulated Pixel Data, found a plain value`);
      this.encapsulated = splitFrames(file.name, el.fragments, pm.frames, ts.codec.startsWith('jpeg'));
    } else if (el.fragments) {
      throw new FileFormatError(file.name, `Pixel Data is encapsulated but the transfer syntax ${ts.name} is not`);
    }
  }

  async decode(index: number): Promise<DecodedFrame> {
    const { file, pm } = this;
    const ts = file.transferSyntax!;
    if (ts.codec === 'native') {
      const el = file.dataset.get(pm.pixelTag)!;
      return { values: decodeNativeFrame(file.name, el.value, pm, ts.littleEndian, index, el.vr), photometric: nativePhotometric(pm) };
    }
    const bytes = this.encapsulated![index]!;
    if (ts.codec === 'rle') return { values: decodeRleFrame(file.name, bytes, pm), photometric: pm.photometric === 'YBR_FULL_422' ? 'YBR_FULL' : pm.photometric };
    try {
      return await this.decodeCompressed(bytes, ts.codec);
    } catch (err) {
      if (err instanceof FileFormatError) throw err;
      if (err instanceof JpegUnsupportedError) throw new FileFormatError(file.name, `unsupported ${err.message}`);
      if (err instanceof CodecError || err instanceof JpegDataError) throw new FileFormatError(file.name, `frame ${index}: ${err.message}`, { cause: err });
      throw new FileFormatError(file.name, `frame ${index}: ${ts.name} decoding failed: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
  }

  private async decodeCompressed(bytes: Uint8Array, codec: string): Promise<DecodedFrame> {
    const { pm } = this;
    switch (codec) {
      case 'jpeg-baseline':
      case 'jpeg-extended':
      case 'jpeg-lossless':
        return this.decodeJpegFamily(bytes);
      case 'jpeg-ls':
        return this.fromCodec(await decodeJpegLs(bytes), pm.photometric);
      case 'jpeg2000':
        return this.fromCodec(await decodeJpeg2000(bytes), j2kPhotometric(pm.photometric));
      case 'htj2k':
        return this.fromCodec(await decodeHtj2k(bytes), j2kPhotometric(pm.photometric));
      default:
        throw new FileFormatError(this.file.name, `no decoder for ${codec}`);
    }
  }

  /** The JPEG transfer syntaxes are routed by what the stream actually contains. */
  private async decodeJpegFamily(bytes: Uint8Array): Promise<DecodedFrame> {
    const sof = readJpegFrameHeader(bytes);
    if (!sof) throw new JpegDataError('no JPEG frame header in the frame');
    if (sof.sof === 0xc3) return this.fromCodec(decodeJpegLossless(bytes, sof), this.pm.photometric === 'YBR_FULL_422' ? 'YBR_FULL' : this.pm.photometric);
    if (sof.precision === 8 && (sof.sof === 0xc0 || sof.sof === 0xc1 || sof.sof === 0xc2)) {
      try {
        const out = await decodeJpeg8(bytes);
        return this.fromCodec(out, out.components === 3 ? 'RGB' : this.pm.photometric);
      } catch (err) {
        if (sof.sof === 0xc2) throw err; // progressive: nothing else can decode it
      }
    }
    const img = decodeJpegDct(bytes);
    let photometric = this.pm.photometric;
    if (img.components === 3) {
      const rgbIds = img.componentIds.join(',') === '82,71,66'; // 'R','G','B'
      photometric = img.adobeTransform === 0 || rgbIds ? 'RGB' : 'YBR_FULL';
    }
    return this.fromCodec({ width: img.width, height: img.height, components: img.components, bitsPerSample: img.precision, values: img.data }, photometric);
  }

  private fromCodec(out: CodecOutput, photometric: string): DecodedFrame {
    const { pm, file } = this;
    if (out.width !== pm.cols || out.height !== pm.rows || out.components !== pm.samplesPerPixel) {
      throw new FileFormatError(file.name, `compressed frame is ${out.width}x${out.height}x${out.components}, the header says ${pm.cols}x${pm.rows}x${pm.samplesPerPixel}`);
    }
    return { values: normaliseStored(out.values, pm.bitsStored, pm.signed), photometric };
  }
}

function nativePhotometric(pm: PixelModule): string {
  return pm.photometric === 'YBR_FULL_422' ? 'YBR_FULL' : pm.photometric;
}

/** JPEG 2000 decoders undo the reversible/irreversible colour transform themselves. */
function j2kPhotometric(p: string): string {
  return p === 'YBR_RCT' || p === 'YBR_ICT' ? 'RGB' : p;
}
