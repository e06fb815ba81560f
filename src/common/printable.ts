/**
 * Text from another party (a node's refusal reason, a task id it echoes) made
 * safe to log and store: control characters (ANSI escapes, newlines that
 * would forge a log line) become visible escapes, and the length is bounded,
 * so a node cannot clear an operator's screen, write "round 99 completed" into
 * the log, or grow the database with megabytes of reason.
 */
export const MAX_REMOTE_TEXT = 500;

export function printable(text: string, max = MAX_REMOTE_TEXT): string {
  let out = '';
  for (const ch of text) {
    if (out.length >= max) return `${out}... (${text.length} characters, cut)`;
    const code = ch.codePointAt(0)!;
    // C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
    out += code < 0x20 || (code >= 0x7f && code < 0xa0) || code === 0x2028 || code === 0x2029 ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}
