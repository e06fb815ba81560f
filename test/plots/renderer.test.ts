/**
 * The SVG renderer: every chart is well-formed XML with the elements a reader
 * needs (axes, ticks, legend, data paths), text is escaped, the numbers drawn
 * are the right ones (ROC corners, AUC, calibration bins), and sharp
 * rasterises it to a PNG of the SVG's size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { calibration, calibrationChart } from '../../src/plots/calibration.js';
import { confusionChart } from '../../src/plots/confusion.js';
import { learningCurvesChart } from '../../src/plots/learning-curves.js';
import { lineChart } from '../../src/plots/line-chart.js';
import { svgToPng } from '../../src/plots/png.js';
import { rocChart, rocPoints } from '../../src/plots/roc.js';
import { escapeXml, niceTicks } from '../../src/plots/svg.js';
import { allText, findAll, parseXml } from './helpers/xml.js';

const EVIL = `<script>alert("x")</script> & 'quotes'`;

test('the XML checker itself refuses what is not well-formed', () => {
  for (const bad of ['<svg><g></svg>', '<svg a=1/>', '<svg>a < b</svg>', '<svg>&nbsp;</svg>', '<svg a="1" a="2"/>', '<svg/><svg/>']) {
    assert.throws(() => parseXml(bad), Error, bad);
  }
  assert.equal(parseXml('<svg><text>a &amp; b</text></svg>').children[0]!.text, 'a & b');
});

test('escapeXml covers the five special characters', () => {
  assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('niceTicks gives round numbers covering the range, bounded in count', () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.3, 0.9, 3), [0.4, 0.6, 0.8]);
  assert.ok(niceTicks(0, 1e9, 5).length <= 15);
  assert.deepEqual(niceTicks(2, 2), [2]);
});

test('a line chart: axes with ticks, one path and points per series, legend, budget line, escaped names', () => {
  const svg = lineChart({
    title: `epsilon ${EVIL}`,
    xLabel: 'round',
    yLabel: 'epsilon',
    integerX: true,
    series: [
      { name: EVIL, points: [[1, 0.5], [2, 0.9], [3, 1.2]] },
      { name: 'bob', points: [[1, 0.4], [2, NaN], [3, 1.0]] },
    ],
    budget: { value: 2, label: 'budget epsilon 2' },
  });
  const doc = parseXml(svg);
  assert.equal(doc.name, 'svg');
  assert.equal(doc.attrs.xmlns, 'http://www.w3.org/2000/svg');
  assert.ok(!svg.includes('<script'), 'names are escaped');
  assert.match(allText(doc), /<script>alert\("x"\)<\/script> & 'quotes'/);
  const paths = findAll(doc, 'path');
  assert.equal(paths.length, 2);
  assert.equal((paths[1]!.attrs.d!.match(/M/g) ?? []).length, 2, 'a missing value breaks the line');
  assert.equal(findAll(doc, 'circle').length, 5);
  assert.equal(findAll(doc, 'line').filter((l) => l.attrs.class === 'budget').length, 1);
  const labels = findAll(doc, 'g').find((g) => g.attrs.class === 'tick-labels')!;
  assert.deepEqual(labels.children.map((t) => t.text).slice(0, 3), ['1', '2', '3'], 'integer x ticks');
  const legendText = allText(findAll(doc, 'g').find((g) => g.attrs.class === 'legend')!);
  assert.match(legendText, /bob/);
  assert.match(legendText, /budget epsilon 2/);
});

test('an empty line chart says so and is still valid', () => {
  const doc = parseXml(lineChart({ title: 'AUC', xLabel: 'round', yLabel: 'AUC', series: [{ name: 'global', points: [] }] }));
  assert.match(allText(doc), /no data yet/);
});

test('ROC: the corners of the curve and the AUC in the legend', () => {
  const labels = [0, 0, 1, 1];
  const scores = [0.1, 0.4, 0.35, 0.8];
  assert.deepEqual(rocPoints(labels, scores), [[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]]);
  const probs = scores.flatMap((s) => [1 - s, s]);
  const doc = parseXml(rocChart({ labels, probs, classes: ['normal', 'pneu<monia>'] }));
  assert.equal(findAll(doc, 'path').filter((p) => p.attrs.class === 'roc').length, 1);
  assert.match(allText(doc), /pneu<monia> \(AUC 0\.75\)/);
  // Three classes: one curve per class, one-vs-rest.
  const three = parseXml(rocChart({ labels: [0, 1, 2, 1], probs: [0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.1, 0.2, 0.7, 0.3, 0.4, 0.3], classes: ['a', 'b', 'c'] }));
  assert.equal(findAll(three, 'path').filter((p) => p.attrs.class === 'roc').length, 3);
  assert.match(allText(three), /c vs rest \(AUC 1\)/);
});

test('confusion matrix of K classes: counts in the cells, row-normalised shading', () => {
  const confusion = [
    [5, 1, 0],
    [0, 3, 3],
    [0, 0, 0],
  ];
  const doc = parseXml(confusionChart({ confusion, classes: ['a', 'b&c', 'd'] }));
  const cells = findAll(doc, 'rect').filter((r) => r.attrs.class === 'cell');
  assert.equal(cells.length, 9);
  assert.match(allText(doc), /b&c/);
  const counts = findAll(doc, 'text').map((t) => t.text);
  for (const v of ['5', '1', '3']) assert.ok(counts.includes(v), v);
  // Row b: 3 of 6 predicted b and c: the same shade; row a's diagonal (5 of 6) darker.
  assert.equal(cells[4]!.attrs.fill, cells[5]!.attrs.fill);
  assert.notEqual(cells[0]!.attrs.fill, cells[4]!.attrs.fill);
  assert.match(cells[4]!.children[0]!.text, /50\.0% of the row/);
});

test('calibration: bins, frequencies and ECE', () => {
  const labels = [0, 1, 1, 0, 1];
  const positive = [0.05, 0.85, 0.8, 0.82, 0.95];
  const probs = positive.flatMap((p) => [1 - p, p]);
  const c = calibration(labels, probs, 2, 10);
  const used = c.bins.filter((b) => b.count > 0);
  assert.deepEqual(used.map((b) => b.count), [1, 3, 1]);
  assert.deepEqual(used.map((b) => b.frequency), [0, 2 / 3, 1]);
  const ece = (0.05 + Math.abs(2 / 3 - (0.85 + 0.8 + 0.82) / 3) * 3 + 0.05) / 5;
  assert.ok(Math.abs(c.ece - ece) < 1e-12);
  const doc = parseXml(calibrationChart({ labels, probs, classes: ['normal', 'pneumonia'] }));
  assert.equal(findAll(doc, 'circle').length, 3);
  assert.match(allText(doc), /ECE 0\.\d+/);
});

test('learning curves: two panels, loss and validation metrics, rasterised by sharp at the SVG size', async () => {
  const history = [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 1 / epoch, valLoss: 1.2 / epoch, valAuc: 0.5 + epoch / 10, valMcc: epoch / 10 }));
  const svg = learningCurvesChart(history);
  const doc = parseXml(svg);
  assert.equal(findAll(doc, 'svg').length, 3);
  assert.equal(findAll(doc, 'path').length, 4);
  assert.match(allText(doc), /validation AUC/);
  const png = await svgToPng(svg, 72);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.width, meta.height], [1280, 360]);
});
