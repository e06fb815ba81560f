/** `privmed report`: collect, render, write; a PDF through headless Chromium when one is installed (nothing is downloaded). */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PrivmedError } from '../common/errors.js';
import { collectReport, type CollectOptions, type ReportData } from './collect.js';
import { renderReport } from './render.js';

export { SECTIONS } from './render.js';

/** Debian's chromium, or PRIVMED_CHROMIUM. */
export function findChromium(): string | null {
  return [process.env.PRIVMED_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p)) ?? null;
}

export async function writeReport(o: CollectOptions & { out: string; pdf?: boolean }): Promise<{ html: string; pdf: string | null; data: ReportData }> {
  const data = await collectReport(o);
  mkdirSync(dirname(resolve(o.out)), { recursive: true });
  writeFileSync(o.out, renderReport(data));
  let pdf: string | null = null;
  if (o.pdf) {
    const exe = findChromium();
    if (!exe) throw new PrivmedError('--pdf needs Chromium, which was not found (/usr/bin/chromium)', { hint: 'apt-get install chromium, or set PRIVMED_CHROMIUM; the HTML report was written' });
    let chromium: typeof import('playwright-core').chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch {
      throw new PrivmedError('--pdf needs the playwright-core package', { hint: 'npm install playwright-core (it downloads no browser); the HTML report was written' });
    }
    const browser = await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox'], timeout: 120_000 });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(resolve(o.out)).href);
      pdf = o.out.replace(/\.html?$/i, '') + '.pdf';
      await page.pdf({ path: pdf, format: 'A4', printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } });
    } finally {
      await browser.close();
    }
  }
  return { html: o.out, pdf, data };
}
