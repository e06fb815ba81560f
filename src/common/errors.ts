/**
 * An error meant for the user: one line that says what went wrong and where,
 * plus an optional hint that says what to do. The CLI prints these without a
 * stack trace (unless --verbose); anything else is a bug and gets the trace.
 */
export class PrivmedError extends Error {
  hint?: string;
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PrivmedError';
    this.hint = options.hint;
  }
}

/** A file that cannot be read: always names the file and the reason. */
export class FileFormatError extends PrivmedError {
  constructor(readonly file: string, reason: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`${file}: ${reason}`, options);
    this.name = 'FileFormatError';
  }
}

/** The configuration is wrong: names the key path, what was expected and what came. */
export class ConfigError extends PrivmedError {
  constructor(readonly keyPath: string, expected: string, received: string, file?: string) {
    super(`${file ? file + ': ' : ''}config key '${keyPath}': ${expected === UNKNOWN_KEY ? 'unknown key (check the spelling)' : `expected ${expected}, got ${received}`}`);
    this.name = 'ConfigError';
  }
}

/** Pass as `expected` for a key the schema does not know. */
export const UNKNOWN_KEY = '\0unknown-key';
