/** Reads src/'s relative imports and checks them against the layer table in docs/architecture.md. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

export type Graph = Map<string, Set<string>>;

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** File -> the files it imports (type-only imports too), paths relative to `root`. */
export function importGraph(root: string, files: string[]): Graph {
  const graph: Graph = new Map();
  for (const file of files) {
    const from = relative(root, file);
    const targets = new Set<string>();
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      targets.add(normalize(join(dirname(from), spec.replace(/\.js$/, '.ts'))));
    }
    graph.set(from, targets);
  }
  return graph;
}

/** The layer table: top-level folder or root file of src/ -> its floor. */
export function parseLayers(markdown: string): Map<string, number> {
  const block = /<!-- layers:start -->([\s\S]*?)<!-- layers:end -->/.exec(markdown);
  if (!block) throw new Error('docs/architecture.md has no <!-- layers:start --> ... <!-- layers:end --> table');
  const floors = new Map<string, number>();
  for (const line of block[1]!.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const floor = Number(cells[1]);
    if (!/^\d+$/.test(cells[1] ?? '')) continue;
    for (const name of cells[2]!.matchAll(/`([^`]+)`/g)) floors.set(name[1]!, floor);
  }
  return floors;
}

/** 'src/dp/sgd/x.ts' -> 'dp'; 'src/index.ts' -> 'index.ts'. */
export function topOf(path: string): string {
  const parts = path.split(sep);
  return parts.length > 2 ? parts[1]! : parts[parts.length - 1]!;
}

export interface LayerViolation {
  from: string;
  to: string;
  why: string;
}

export function layerViolations(graph: Graph, floors: Map<string, number>): LayerViolation[] {
  const out: LayerViolation[] = [];
  for (const [from, targets] of graph) {
    const a = topOf(from);
    const fa = floors.get(a);
    if (fa === undefined) {
      out.push({ from, to: '', why: `'${a}' is not in the layer table` });
      continue;
    }
    for (const to of targets) {
      const b = topOf(to);
      if (a === b) continue;
      const fb = floors.get(b);
      if (fb === undefined) out.push({ from, to, why: `'${b}' is not in the layer table` });
      else if (fb >= fa) out.push({ from, to, why: `${a} (floor ${fa}) imports ${b} (floor ${fb}): only lower floors may be imported` });
    }
  }
  return out;
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph: Graph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)!.has(v)) cycles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return cycles;
}
