import type { Command } from 'commander';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { writeReport } from '../../report/report.js';
import { printJson } from '../output.js';

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('the privacy report of a run for a data-protection officer or ethics board: one self-contained HTML file (and a PDF with --pdf)')
    .requiredOption('--run <db|dir>', 'a federation database (federation.sqlite) or a privmed train / simulate output folder')
    .option('--out <file>', 'the HTML file to write', 'report.html')
    .option('--attacks <dir>', 'results of privmed attack ... --out DIR (default: <run folder>/attacks)')
    .option('--data-root <dir>', 'data root for scoring the model on its test split (default: $PRIVMED_DATA or ../shared/data)')
    .option('--pdf', 'also print it to PDF with headless Chromium (/usr/bin/chromium)', false)
    .option('--backend <name>', 'wasm, cpu or tensorflow', 'wasm')
    .option('--json', 'print where the files went as JSON', false)
    .action(async (o: { run: string; out: string; attacks?: string; dataRoot?: string; pdf: boolean; backend: BackendName; json: boolean }) => {
      await initBackend(o.backend);
      const r = await writeReport({ run: o.run, out: o.out, pdf: o.pdf, ...(o.attacks ? { attacks: o.attacks } : {}), ...(o.dataRoot ? { dataRoot: o.dataRoot } : {}) });
      if (o.json) printJson({ html: r.html, pdf: r.pdf, kind: r.data.kind, ledgers: r.data.ledgers.length, files: r.data.files.length });
      else console.log(`report: ${r.html}${r.pdf ? `, ${r.pdf}` : ''} (${r.data.kind}; ${r.data.ledgers.length} ledger(s), ${r.data.files.length} files checksummed)`);
    });
}
