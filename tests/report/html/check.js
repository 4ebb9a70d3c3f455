// Drives the HTML report in headless Chromium: node check.js PAGE.html SHOT.png
// Fails (exit 1) with a message when groups do not render, a filter does not filter, a growing
// group lacks its growth, the page requests anything but itself, or a script error happens.
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

function check(cond, what) {
  if (!cond) throw new Error(what);
}

async function visible(page) {
  return page.locator('details.group:visible').count();
}

async function main() {
  const [html, png] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const foreign = [], errors = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) foreign.push(r.url()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto('file://' + path.resolve(html));

    const total = await page.locator('details.group').count();
    check(total >= 3, `expected the fixture groups, found ${total}`);
    check(await page.locator('#summary').count() === 1, 'no summary table');
    check(await page.locator('details.group ol.stack li').count() >= total, 'stacks missing');
    check(await visible(page) === total, 'not every group is shown before filtering');
    check((await page.textContent('#shown')).startsWith(`${total} of ${total}`), 'bad count line');

    // Severity order: the first group is the deadlock.
    check(await page.locator('details.group').first().getAttribute('data-verdict') === 'deadlocked',
          'groups are not ordered by severity');

    await page.selectOption('#f-verdict', 'leaked');
    const leaked = await page.locator('details.group[data-verdict="leaked"]').count();
    check(leaked > 0 && leaked < total, 'fixtures should mix verdicts');
    check(await visible(page) === leaked, 'verdict filter shows the wrong groups');
    check(await page.locator('details.group[data-verdict="deadlocked"]:visible').count() === 0,
          'verdict filter left a deadlocked group visible');

    await page.selectOption('#f-reason', 'chan receive');
    const both = await page.locator(
      'details.group[data-verdict="leaked"][data-reason="chan receive"]').count();
    check(both === 1 && await visible(page) === 1, 'reason filter does not combine with verdict');

    await page.selectOption('#f-verdict', 'blocked');
    check(await visible(page) === 0, 'a filter matching nothing still shows groups');

    await page.selectOption('#f-verdict', '');
    await page.selectOption('#f-reason', '');
    check(await visible(page) === total, 'clearing the filters does not show everything again');

    // Every group's stacks are in view without a click; a group still folds on its summary.
    check(await page.locator('details.group:not([open])').count() === 0,
          'a group starts closed: its stacks are hidden');
    check(await page.locator('details.group ol.stack:visible').count() >= total,
          'a group has no visible stack');
    // (a handle, not a locator: a locator would re-select another group after the click)
    const open = await page.locator('details.group[open]').first().elementHandle();
    await (await open.$('summary')).click();
    check(!(await open.evaluate((e) => e.open)), 'a group does not fold on click');
    await (await open.$('summary')).click();
    check(await open.evaluate((e) => e.open), 'a folded group does not open again on click');

    // Wait objects by name, who holds them, and the creator, in the text report's words.
    const waits = await page.locator('details.group .wait').allTextContents();
    check(waits.some((w) => w.startsWith('waits for mutex account_a (bank+0x4080), held by thread:3')),
          `no named wait object among: ${waits.join(' | ')}`);
    check((await page.textContent('body')).includes('created by thread:1, start worker_main:'),
          'the creator and start function are not shown');

    // A growing site shows its growth: live units now and a window ago, the rise, rate and site.
    const grow = page.locator('details.group[data-verdict="growing"]');
    check(await grow.count() === 1, 'the growing group is missing');
    const gl = grow.locator('.growth');
    check(await gl.count() === 1 && await gl.isVisible(), 'the growing group shows no growth');
    const gt = await gl.textContent();
    check(gt === 'growing: 1200 live now, 100 a window ago (+1100 in 1m0s, 18.3/s); site 5e1f00d2a4c3b697',
          `the growth line says: ${gt}`);
    check(await gl.getAttribute('data-rate') === '18.333' &&
          await gl.getAttribute('data-count') === '1200' &&
          await gl.getAttribute('data-count-before') === '100' &&
          await gl.getAttribute('data-window-ms') === '60000', 'the growth numbers are not on the line');
    check(await page.locator('details.group:not([data-verdict="growing"]) .growth').count() === 0,
          'a group that is not growing shows a growth line');
    await page.selectOption('#f-verdict', 'growing');
    check(await visible(page) === 1, 'the verdict filter does not find the growing group');
    await page.selectOption('#f-verdict', '');

    // Deadlock cycles as SVG: an arrow per edge, labelled with the objects' names.
    check(await page.locator('#deadlocks svg path[marker-end]').count() >= 2, 'deadlock graph is missing');
    const labels = await page.locator('#deadlocks svg text').allTextContents();
    check(labels.includes('account_a') && labels.includes('account_b'),
          `deadlock edges are not labelled with object names: ${labels.join(', ')}`);
    await page.screenshot({ path: png, fullPage: true });
    check(foreign.length === 0, `the page made network requests: ${foreign.join(', ')}`);
    check(errors.length === 0, `script errors: ${errors.join('; ')}`);
    console.log(`report-html: ${total} groups, filters ok, screenshot ${png}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`report-html: ${e.message}`);
  process.exit(1);
});
