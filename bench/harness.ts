/**
 * Benchmark reporting: human-readable lines, or with --json one object per line:
 * {"bench","metric","value","unit"} plus "baseline" and "ratio" (= value / baseline)
 * where the bench measured a baseline in the same process.
 */
export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  /** What the baseline is, for the human output (e.g. "PyTorch 2 threads"). */
  baselineLabel?: string;
  note?: string;
}

export type Report = (r: BenchResult) => void;

export function makeReporter(bench: string, json: boolean, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Report {
  return (r) => {
    const ratio = r.baseline !== undefined && r.baseline !== 0 ? r.value / r.baseline : undefined;
    if (json) {
      const o: Record<string, unknown> = { bench, metric: r.metric, value: round(r.value), unit: r.unit };
      if (r.baseline !== undefined) o.baseline = round(r.baseline);
      if (ratio !== undefined) o.ratio = round(ratio);
      if (r.note) o.note = r.note;
      write(JSON.stringify(o));
    } else {
      let line = `${bench}  ${r.metric}: ${fmt(r.value)} ${r.unit}`;
      if (r.baseline !== undefined) line += `  (baseline${r.baselineLabel ? ' ' + r.baselineLabel : ''}: ${fmt(r.baseline)} ${r.unit}, ratio ${ratio!.toFixed(2)})`;
      if (r.note) line += `  [${r.note}]`;
      write(line);
    }
  };
}

function round(v: number): number {
  return Number(v.toPrecision(6));
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
}

/** Median wall time in ms of `fn` over `runs` after `warmup` runs. */
export async function medianMs(fn: () => Promise<void> | void, runs: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
