#!/usr/bin/env node
// Opens an HTML review report in headless Chromium (Debian's, not a
// downloaded one) and checks what a reviewer sees, at a laptop width and at
// a phone width.
//
// Usage: node check_report.js <report.html> <screenshot-prefix> <expectations.json>
// expectations.json: {"visible": ["text", ...], "marked": ["changed word", ...]}
// Prints one JSON line: {"ok": true} or {"ok": false, "problems": [...]}.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [report, screenshotPrefix, expectationsPath] = process.argv.slice(2);
const expectations = JSON.parse(fs.readFileSync(expectationsPath, 'utf8'));
const executablePath = process.env.PROMPTPACK_CHROMIUM || '/usr/bin/chromium';

async function checkAt(browser, width, height, label, problems) {
  const page = await browser.newPage({ viewport: { width, height } });
  const requests = [];
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) requests.push(request.url());
  });
  await page.goto('file://' + path.resolve(report));
  for (const text of expectations.visible) {
    const locator = page.getByText(text, { exact: false }).first();
    if ((await locator.count()) === 0 || !(await locator.isVisible())) {
      problems.push(`${label}: "${text}" is not visible`);
    }
  }
  for (const word of expectations.marked) {
    const marks = page.locator('ins, del').filter({ hasText: word });
    if ((await marks.count()) === 0 || !(await marks.first().isVisible())) {
      problems.push(`${label}: the changed words "${word}" are not highlighted`);
    }
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) problems.push(`${label}: the page is ${overflow}px wider than the window`);
  if (requests.length > 0) problems.push(`${label}: the page made requests: ${requests.join(', ')}`);
  await page.screenshot({ path: `${screenshotPrefix}-${label}.png`, fullPage: true });
  await page.close();
}

(async () => {
  const problems = [];
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    await checkAt(browser, 1280, 900, 'laptop', problems);
    await checkAt(browser, 390, 844, 'phone', problems);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(problems.length ? { ok: false, problems } : { ok: true }) + '\n');
})().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, problems: [String((err && err.stack) || err)] }) + '\n');
});
