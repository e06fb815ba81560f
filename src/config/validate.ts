/**
 * Turns zod validation issues into ConfigErrors that name the key path, what
 * was expected and what came, e.g.
 *   run.yaml: config key 'training.epochs': expected a positive integer, got "ten"
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, PrivmedError } from '../common/errors.js';

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

type Issue = z.core.$ZodIssue & { input?: unknown };

function expectation(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `${issue.origin === 'number' ? 'a number' : 'a value'} ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `${issue.origin === 'number' ? 'a number' : 'a value'} ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, file?: string): z.infer<S> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const issue = r.error.issues[0] as Issue;
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = path ? `${path}.${issue.keys[0]}` : issue.keys[0]!;
    throw new PrivmedError(`${file ? file + ': ' : ''}config key '${key}': unknown key (check the spelling; see docs/configuration.md)`);
  }
  throw new ConfigError(path || '(top level)', expectation(issue), describeValue(issue.input), file);
}

/** Reads a YAML file and validates it; YAML syntax errors name the line. */
export function loadYamlConfig<S extends z.ZodType>(schema: S, file: string): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PrivmedError(`${file}: cannot read config (${code === 'ENOENT' ? 'file not found' : code})`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new PrivmedError(`${file}: invalid YAML at line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`);
  }
  return parseWith(schema, doc.toJS() ?? {}, file);
}
