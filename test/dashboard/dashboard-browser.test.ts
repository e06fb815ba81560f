/**
 * The dashboard as a person uses it: headless Chromium (the system's
 * `chromium` package, driven by playwright-core, which never downloads a
 * browser) opens the printed URL while a small federation runs. The sites
 * appear, the round counter advances to the last round, the metric and epsilon
 * charts are drawn, and a screenshot is left in the temporary folder. Without
 * the token the page is a 401.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROUNDS, SITES, startLiveFederation } from './helpers/live-federation.js';

const CHROMIUM = [process.env.PRIVMED_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));

test('the dashboard in a browser follows a live federation', { skip: CHROMIUM ? false : 'chromium not installed: apt-get install chromium', timeout: 420_000 }, async () => {
  const live = await startLiveFederation();
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  const browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox'], timeout: 120_000 });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const opened = await page.goto(live.dashboard.url, { timeout: 60_000 });
    assert.equal(opened?.status(), 200);
    // Locators, not page functions: the page's CSP forbids eval, and this project's TypeScript has no DOM types.
    await page.locator('#sites tbody tr').nth(SITES.length - 1).waitFor({ timeout: 60_000 });
    assert.deepEqual(await page.$$eval('#sites tbody tr td:first-child', (tds) => tds.map((td) => td.textContent)), SITES);
    const counters = new Set<string>([(await page.textContent('#round-counter'))!]);
    const watch = setInterval(() => void page.textContent('#round-counter').then((t) => t && counters.add(t)).catch(() => undefined), 100);
    try {
      const result = await live.run();
      assert.equal(result.status, 'completed', result.message);
      const last = `round ${ROUNDS} of ${ROUNDS} (${ROUNDS} completed)`;
      await page.locator('#round-counter', { hasText: last }).waitFor({ timeout: 30_000 });
      counters.add(last);
    } finally {
      clearInterval(watch);
    }
    const rounds = [...counters].map((c) => Number(/\((\d+) completed\)/.exec(c)?.[1]));
    assert.ok(rounds.includes(0) && rounds.includes(ROUNDS) && new Set(rounds).size >= 3, `the counter advanced: ${[...counters].join(' | ')}`);
    assert.equal(await page.textContent('#run-status'), 'completed');
    assert.deepEqual(await page.$$eval('#sites tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent)), SITES.map(() => 'yes'));
    for (const chart of ['loss', 'auc', 'mcc', 'epsilon']) {
      const paths = await page.$$eval(`#chart-${chart} svg .series path`, (ps) => ps.map((p) => p.getAttribute('d') ?? ''));
      const points = await page.locator(`#chart-${chart} svg .series circle`).count();
      assert.ok(paths.length >= SITES.length && paths.every((d) => /^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+$/.test(d)), `${chart}: ${paths.join(' / ')}`);
      assert.ok(points >= SITES.length * ROUNDS, `${chart}: ${points} points`);
    }
    assert.equal(await page.locator('#chart-epsilon svg line.budget').count(), 1, 'the budget line');
    assert.equal(await page.locator('#rounds tbody tr').count(), ROUNDS);
    assert.match((await page.textContent('#log'))!, /round 3 completed/);
    const screenshot = join(tmpdir(), `privmed-dashboard-${process.pid}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`dashboard screenshot: ${screenshot}`);

    const stranger = await browser.newPage();
    const denied = await stranger.goto(live.dashboard.url.replace(/\?token=.*/, ''), { timeout: 30_000 });
    assert.equal(denied?.status(), 401);
    assert.match((await stranger.textContent('body'))!, /access token/);
  } finally {
    await browser.close();
    await live.close();
  }
});
