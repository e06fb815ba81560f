/** The shape of an HWC image, carried alongside the flat Float32Array that Samples hold. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

export function pixelCount(s: ImageShape): number {
  return s.height * s.width * s.channels;
}
