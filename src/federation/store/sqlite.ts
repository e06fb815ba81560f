/**
 * Opens the coordinator's SQLite file with better-sqlite3. The package ships
 * no type declarations (and @types/better-sqlite3 is not a dependency), so
 * the small part of its API that privmed uses is typed here. The privacy
 * ledger (src/accounting) receives the same handle.
 */
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrivmedError } from '../../common/errors.js';

export type SqlValue = number | bigint | string | Buffer | null;

export interface SqliteStatement {
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
  readonly open: boolean;
  readonly name: string;
}

type DatabaseConstructor = new (file: string, options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => SqliteDatabase;

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as DatabaseConstructor;

export interface OpenOptions {
  readonly?: boolean;
}

export function openDatabase(file: string, options: OpenOptions = {}): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, timeout: 5000 });
  } catch (cause) {
    throw new PrivmedError(`cannot open database ${file}: ${(cause as Error).message}`, { cause });
  }
  try {
    if (!options.readonly) {
      // WAL: readers (privmed status) never block the coordinator; FULL sync: a
      // committed round survives a crash of the process and of the machine.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
  } catch (cause) {
    db.close();
    // better-sqlite3 opens any file; the first statement finds out what it is.
    throw new PrivmedError(`${file}: not a usable SQLite database (${(cause as Error).message})`, { cause, hint: 'point the config at the right file, or at a new one' });
  }
  return db;
}
