/** PNG copies of the charts: sharp (librsvg) rasterises the same SVG, so the two never differ. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/** density 144 = twice the SVG's pixel size, sharp enough for reports. */
export async function svgToPng(svg: string, density = 144): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density }).png().toBuffer();
}

/** Writes NAME.svg and NAME.png into dir; returns both paths. */
export async function writeChart(dir: string, name: string, svg: string): Promise<string[]> {
  const svgPath = join(dir, `${name}.svg`);
  const pngPath = join(dir, `${name}.png`);
  writeFileSync(svgPath, svg);
  writeFileSync(pngPath, await svgToPng(svg));
  return [svgPath, pngPath];
}
