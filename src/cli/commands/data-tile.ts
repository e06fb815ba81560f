/**
 * `privmed data tile SLIDE OUTDIR --size N [--level L]`: a large image cut
 * into tissue tiles as a class folder (see data/tiling/tile-slide.ts);
 * background tiles are skipped and counted, a rerun resumes.
 */
import type { Command } from 'commander';
import { tileSlide, type TileProgress } from '../../data/tiling/tile-slide.js';
import { bar, StatusArea } from '../live/status-area.js';
import { printJson } from '../output.js';

interface DataTileOptions {
  size: string;
  level: string;
  minTissue: string;
  label?: string;
  json?: boolean;
}

export function registerDataTileCommand(dataCmd: Command): Command {
  return dataCmd
    .command('tile')
    .description('cut a large slide image (TIFF/BigTIFF, tiled or pyramidal) into tissue tiles: OUTDIR/<label>/*.png; background (Otsu on saturation) skipped and counted; resumable')
    .argument('<slide>', 'the slide image')
    .argument('<outdir>', 'the dataset folder to write into')
    .requiredOption('--size <n>', 'tile side in pixels')
    .option('--level <l>', 'pyramid level (page) to read; 0 = full resolution', '0')
    .option('--min-tissue <share>', 'share of tissue pixels a tile needs', '0.25')
    .option('--label <name>', 'class folder name (default: the slide file name)')
    .option('--json', 'print the result as one JSON object', false)
    .action(async (slide: string, outdir: string, opts: DataTileOptions) => {
      const area = new StatusArea(process.stderr, { json: opts.json });
      let lastLine = 0;
      const onProgress = (p: TileProgress) => {
        const text = `tiling ${bar(p.done, p.total)} ${p.done}/${p.total} tiles: ${p.written} written, ${p.background} background, ${p.existing} already there`;
        if (area.live) area.update([text], p.done === p.total);
        else if (!opts.json && (p.done === p.total || Date.now() - lastLine > 5000)) {
          lastLine = Date.now();
          process.stderr.write(text + '\n');
        }
      };
      let r;
      try {
        r = await tileSlide(slide, outdir, { size: Number(opts.size), level: Number(opts.level), minTissue: Number(opts.minTissue), ...(opts.label ? { label: opts.label } : {}), onProgress });
      } finally {
        area.finish();
      }
      if (opts.json) printJson(r);
      else console.log(`${r.folder}: ${r.written} tiles written, ${r.background} background tiles skipped, ${r.existing} already there (of ${r.total}; ${r.width}x${r.height} at level ${opts.level}, saturation threshold ${r.threshold})`);
    });
}
