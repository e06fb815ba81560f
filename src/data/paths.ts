import { resolve } from 'node:path';

/** Where real data lives: --data, else $PRIVMED_DATA, else ../shared/data. */
export function dataRoot(explicit?: string): string {
  return resolve(explicit ?? process.env.PRIVMED_DATA ?? '../shared/data');
}
