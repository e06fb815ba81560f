/** Centre crop of an HWC image (odd margins put the extra pixel at the bottom/right). */
import { PrivmedError } from '../../common/errors.js';
import type { ImageShape } from './image-shape.js';

export function centerCrop(src: Float32Array, shape: ImageShape, height: number, width: number): Float32Array {
  if (height > shape.height || width > shape.width) throw new PrivmedError(`centre crop ${height}x${width} is larger than the image ${shape.height}x${shape.width}`);
  const top = Math.floor((shape.height - height) / 2);
  const left = Math.floor((shape.width - width) / 2);
  const c = shape.channels;
  const out = new Float32Array(height * width * c);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * shape.width + left) * c;
    out.set(src.subarray(from, from + width * c), y * width * c);
  }
  return out;
}
