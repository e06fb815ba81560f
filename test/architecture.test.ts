/**
 * Keeps docs/architecture.md true: every folder of src/ is on a floor of its
 * layer table, imports only go down, no import cycles (type-only included),
 * one file-naming style, and files stay small.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { importCycles, importGraph, layerViolations, parseLayers, sourceFiles, type Graph } from './helpers/import-graph.js';

const ROOT = resolve(import.meta.dirname, '..');
const FILES = sourceFiles(join(ROOT, 'src')).filter((f) => !f.includes(`${join('wire', 'generated')}`));
const GRAPH = importGraph(ROOT, FILES);
const FLOORS = parseLayers(readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8'));

test('every import in src/ goes to a lower floor of docs/architecture.md (or stays in its folder)', () => {
  const bad = layerViolations(GRAPH, FLOORS);
  assert.deepEqual(bad.map((v) => `${v.from} -> ${v.to}: ${v.why}`), []);
});

test('src/ has no import cycles, type-only imports included', () => {
  assert.deepEqual(importCycles(GRAPH), []);
});

test('the checks themselves catch an upward import and a cycle', () => {
  const floors = new Map([['common', 0], ['dp', 5], ['training', 4]]);
  const g: Graph = new Map([
    ['src/training/a.ts', new Set(['src/dp/b.ts', 'src/common/c.ts'])],
    ['src/dp/b.ts', new Set(['src/training/a.ts'])],
    ['src/common/c.ts', new Set<string>()],
    ['src/tuning/d.ts', new Set<string>()],
  ]);
  const why = layerViolations(g, floors).map((v) => v.why);
  assert.ok(why.some((w) => /training \(floor 4\) imports dp \(floor 5\)/.test(w)), why.join('; '));
  assert.ok(why.some((w) => /'tuning' is not in the layer table/.test(w)), why.join('; '));
  assert.deepEqual(importCycles(g), [['src/dp/b.ts', 'src/training/a.ts']]);
});

test('one file-naming style in src/ (kebab-case) and files of at most 300 lines', () => {
  const names = FILES.map((f) => relative(ROOT, f)).filter((f) => !/^src\/([a-z0-9]+(-[a-z0-9]+)*\/)*[a-z0-9]+(-[a-z0-9]+)*(\.d)?\.ts$/.test(f));
  assert.deepEqual(names, []);
  const long = FILES.map((f) => [relative(ROOT, f), readFileSync(f, 'utf8').split('\n').length - 1] as const).filter(([, n]) => n > 300);
  assert.deepEqual(long, []);
});
