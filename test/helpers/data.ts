/**
 * The one way tests reach real data (../shared/data or $PRIVMED_DATA).
 * A test that needs it calls `needData(t, 'pneumoniamnist/pneumoniamnist.npz')`:
 * when the file is missing, the test is skipped with a loud message.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { dataRoot } from '../../src/data/paths.js';

export function dataFile(rel: string): string {
  return join(dataRoot(), rel);
}

/** Returns the absolute path, or null after marking the test skipped (and saying so loudly). */
export function needData(t: TestContext, rel: string): string | null {
  const p = dataFile(rel);
  if (existsSync(p)) return p;
  const msg = `REAL DATA MISSING: ${p} (set PRIVMED_DATA to the shared data folder)`;
  console.error(`*** ${msg}`);
  t.skip(msg);
  return null;
}
