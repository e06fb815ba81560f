/**
 * A fake terminal for progress tests: records what is written and replays it
 * on a tiny screen model (carriage return, newline, cursor up, erase to end of
 * line and below), so tests can check what a person would see.
 */
export class FakeTty {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 60,
  ) {}

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }

  get text(): string {
    return this.chunks.join('');
  }

  /** The screen's lines after replaying everything written (trailing blank lines dropped). */
  screen(): string[] {
    const rows: string[] = [''];
    let row = 0;
    let col = 0;
    const s = this.text;
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === '\x1b') {
        const m = /^\x1b\[(\d*)([AKJ])/.exec(s.slice(i));
        if (!m) throw new Error(`unexpected escape at ${i}: ${JSON.stringify(s.slice(i, i + 8))}`);
        i += m[0].length - 1;
        if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1));
        else if (m[2] === 'K') rows[row] = rows[row]!.slice(0, col);
        else {
          rows[row] = rows[row]!.slice(0, col);
          rows.length = row + 1;
        }
      } else if (c === '\r') col = 0;
      else if (c === '\n') {
        row++;
        col = 0;
        if (rows.length <= row) rows.push('');
      } else {
        const line = rows[row]!.padEnd(col);
        rows[row] = line.slice(0, col) + c + line.slice(col + 1);
        col++;
      }
    }
    while (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
    return rows;
  }
}
