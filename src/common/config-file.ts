/**
 * zod validation whose errors name the key path, what was expected and what
 * came, e.g.
 *   run.yaml: config key 'training.epochs': expected a number, got "ten"
 * Unknown keys are errors too (a typo must not silently fall back to a
 * default), which is why the schemas use strictObject. The first problem is
 * the message; the others go into the hint.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, PrivmedError, UNKNOWN_KEY } from './errors.js';

type Issue = z.core.$ZodIssue & { input?: unknown };

function keyPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  return String(value);
}

function bound(issue: { origin?: string; inclusive?: boolean }, sign: '<' | '>', limit: unknown): string {
  const op = `${sign}${issue.inclusive ? '=' : ''}`;
  switch (issue.origin) {
    case 'array':
      return `a list with ${op} ${String(limit)} entries`;
    case 'string':
      return `text with ${op} ${String(limit)} characters`;
    default:
      return `${issue.origin === 'number' || issue.origin === undefined ? 'a number' : `a ${issue.origin}`} ${op} ${String(limit)}`;
  }
}

function typeName(expected: string): string {
  return expected === 'object' ? 'a mapping' : expected === 'array' ? 'a list' : `a ${expected}`;
}

function toError(issue: Issue, file?: string): PrivmedError {
  const at = keyPath(issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return new ConfigError(at, typeName(issue.expected), describeValue(issue.input), file);
    case 'invalid_value':
      return new ConfigError(at, `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`, describeValue(issue.input), file);
    case 'too_small':
      return new ConfigError(at, bound(issue, '>', issue.minimum), describeValue(issue.input), file);
    case 'too_big':
      return new ConfigError(at, bound(issue, '<', issue.maximum), describeValue(issue.input), file);
    case 'unrecognized_keys':
      return new ConfigError(keyPath([...issue.path, issue.keys[0]!]), UNKNOWN_KEY, '', file);
    case 'invalid_union': {
      const u = issue as Issue & { discriminator?: string; options?: unknown[] };
      if (u.discriminator && u.options) {
        const input = issue.input as Record<string, unknown> | undefined;
        const got = input && typeof input === 'object' ? input[u.discriminator] : input;
        return new ConfigError(at, `one of ${u.options.map((o) => JSON.stringify(o)).join(', ')}`, describeValue(got), file);
      }
      return new ConfigError(at, issue.message.replace(/^Invalid input: /, ''), describeValue(issue.input), file);
    }
    default:
      return new ConfigError(at, issue.message.replace(/^Invalid input: /, ''), describeValue(issue.input), file);
  }
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, file?: string): z.output<S> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => toError(i as Issue, file));
  const first = errors[0]!;
  if (errors.length > 1) {
    const rest = errors.slice(1).map((e) => (file ? e.message.replace(`${file}: `, '') : e.message));
    Object.assign(first, { hint: `also: ${rest.join('; ')}` });
  }
  throw first;
}

/** Reads a YAML file (syntax errors name the line) without validating it. */
export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PrivmedError(`${file}: cannot read config (${code === 'ENOENT' ? 'file not found' : (code ?? (err as Error).message)})`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new PrivmedError(`${file}: invalid YAML at line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`);
  }
  try {
    return doc.toJS() ?? {};
  } catch (cause) {
    // E.g. the yaml package's guard against alias expansion bombs.
    throw new PrivmedError(`${file}: cannot read config (${(cause as Error).message})`, { cause });
  }
}

export function loadYamlConfig<S extends z.ZodType>(schema: S, file: string): z.output<S> {
  return parseWith(schema, readYamlFile(file), file);
}
