/**
 * zod validation whose errors are ConfigErrors: they name the key path, what
 * was expected and what came. Unknown keys are errors too (typos should not
 * silently fall back to defaults), which is why the schemas use strictObject.
 */
import type { z } from 'zod';
import { ConfigError } from '../../common/errors.js';

type Issue = z.core.$ZodIssue & { input?: unknown };

function keyPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
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
      return `${issue.origin ?? 'a value'} ${op} ${String(limit)}`;
  }
}

function toConfigError(issue: Issue, file?: string): ConfigError {
  switch (issue.code) {
    case 'invalid_type':
      return new ConfigError(keyPath(issue.path), issue.expected, describeValue(issue.input), file);
    case 'invalid_value':
      return new ConfigError(keyPath(issue.path), `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`, describeValue(issue.input), file);
    case 'too_small':
      return new ConfigError(keyPath(issue.path), bound(issue, '>', issue.minimum), describeValue(issue.input), file);
    case 'too_big':
      return new ConfigError(keyPath(issue.path), bound(issue, '<', issue.maximum), describeValue(issue.input), file);
    case 'unrecognized_keys':
      return new ConfigError(keyPath([...issue.path, issue.keys[0]!]), 'no such key (is it misspelt?)', 'a value', file);
    case 'invalid_union': {
      const u = issue as Issue & { discriminator?: string; options?: unknown[] };
      if (u.discriminator && u.options) {
        const input = issue.input as Record<string, unknown> | undefined;
        return new ConfigError(
          keyPath(issue.path),
          `one of ${u.options.map((o) => JSON.stringify(o)).join(', ')}`,
          describeValue(input && typeof input === 'object' ? input[u.discriminator] : input),
          file,
        );
      }
      return new ConfigError(keyPath(issue.path), issue.message, describeValue(issue.input), file);
    }
    default:
      return new ConfigError(keyPath(issue.path), issue.message, describeValue(issue.input), file);
  }
}

/** Parses `raw` or throws a ConfigError for the first problem (the hint lists the others). */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, file?: string): z.output<S> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => toConfigError(i as Issue, file));
  const first = errors[0]!;
  if (errors.length > 1) {
    const rest = errors.slice(1).map((e) => e.message.replace(`${file}: `, ''));
    return throwWithHint(first, `also: ${rest.join('; ')}`);
  }
  throw first;
}

function throwWithHint(error: ConfigError, hint: string): never {
  (error as { hint?: string }).hint = hint;
  throw error;
}
