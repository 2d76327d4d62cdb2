// The Reports and Tax pages in a real browser: sign in, read the summary cards and the
// server-drawn SVG chart, switch to 90 days and to one campaign, download a CSV export, load the
// ECB's rates through the upload form; on the Tax page see the paid affiliate flagged for a
// missing form, record their W-9 and download the 1099-NEC file. Driven by
// crates/afflux/tests/reports_browser.rs, which seeds clicks, sales and a paid payout and checks
// the database afterwards; runnable by hand against such a setup:
//
//   node e2e/reports.mjs AFFLUX_URL
//
// Environment: OWNER_EMAIL / OWNER_PASSWORD (the account to sign in with), PAYEE (the affiliate
// paid over USD 600 this year without a tax form), OTHER (an affiliate of the second campaign),
// CHROMIUM (the browser binary, default /usr/bin/chromium). Exits non-zero on the first
// expectation that fails, naming the step; screenshots go to e2e/screenshots/reports/.

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const base = (process.argv[2] ?? process.env.AFFLUX_URL ?? '').replace(/\/+$/, '');
const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
};
if (!base) {
  console.error('usage: node e2e/reports.mjs AFFLUX_URL');
  process.exit(2);
}
const owner = { email: env('OWNER_EMAIL'), password: env('OWNER_PASSWORD') };
const payee = env('PAYEE');
const other = env('OTHER');

const shots = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots', 'reports');
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

class Expectation extends Error {}
function expect(condition, message) {
  if (!condition) throw new Expectation(message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
const page = await context.newPage();
page.setDefaultTimeout(10_000);

// Script errors, CSP violations and failed subresource requests are failures.
const browserErrors = [];
page.on('pageerror', (e) => browserErrors.push(`page error: ${e.message}`));
page.on('console', (m) => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) browserErrors.push(`console error: ${m.text()}`);
});
page.on('response', (r) => {
  if (r.status() >= 400 && !r.request().isNavigationRequest()) browserErrors.push(`${r.status()} for ${r.request().method()} ${r.url()}`);
});

let current = 'start';
let shotNo = 0;
async function step(name, body) {
  current = name;
  console.log(`• ${name}`);
  await body();
  expect(browserErrors.length === 0, `the browser reported errors:\n  ${browserErrors.join('\n  ')}`);
}
async function shot(name) {
  shotNo += 1;
  await page.screenshot({ path: path.join(shots, `${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true });
}
const nav = (name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
const card = async (name) => (await page.locator(`.stat[data-stat="${name}"] dd`).innerText()).trim();
const bars = () => page.locator('svg.chart rect.chart-bar');

try {
  await step('sign in', async () => {
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/dashboard/campaigns');
  });

  await step('open Reports: the cards and the chart', async () => {
    await nav('Reports').click();
    await page.waitForURL((u) => u.pathname === '/dashboard/reports');
    const chart = page.getByRole('img', { name: /Clicks and sales per day, last 30 days/ });
    await chart.waitFor();
    expect((await bars().count()) === 30, `the chart has ${await bars().count()} bars`);
    const box = await chart.boundingBox();
    expect(box && box.width > 300 && box.height > 80, `the chart is drawn ${JSON.stringify(box)}`);
    expect((await card('clicks')) === '30', `clicks read ${await card('clicks')}`);
    expect((await card('sales')) === '3', `sales read ${await card('sales')}`);
    expect((await card('conversion')) === '10.00 %', `the conversion rate reads ${await card('conversion')}`);
    expect((await card('earnings')) === '720.00 USD', `earnings read ${await card('earnings')}`);
    const tallest = await page.locator('svg.chart rect.chart-bar[data-clicks="8"]').count();
    expect(tallest === 1, 'yesterday\'s 8 clicks are not drawn');
    const leader = page.locator('table.leaderboard tbody tr').first();
    expect((await leader.getAttribute('data-email')) === payee, 'the payee does not lead');
    await page.locator('table.source-list', { hasText: 'news.example' }).waitFor();
    await shot('reports');
  });

  await step('the last 90 days', async () => {
    await page.getByRole('navigation', { name: 'Period' }).getByRole('link', { name: 'Last 90 days' }).click();
    await page.waitForURL((u) => u.searchParams.get('days') === '90');
    await page.getByRole('img', { name: /last 90 days/ }).waitFor();
    expect((await bars().count()) === 90, `the chart has ${await bars().count()} bars`);
  });

  await step('one campaign', async () => {
    await page.getByLabel('Campaign').selectOption({ label: 'AUTUMN program' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((u) => (u.searchParams.get('program') ?? '') !== '');
    expect(new URL(page.url()).searchParams.get('days') === '90', 'the period was not kept');
    expect((await card('clicks')) === '4', `the campaign's clicks read ${await card('clicks')}`);
    const rows = page.locator('table.leaderboard tbody tr');
    expect((await rows.count()) === 1 && (await rows.first().getAttribute('data-email')) === other, 'the campaign leaderboard is wrong');
    await shot('reports-campaign');
  });

  await step('download the commissions export', async () => {
    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Commissions (CSV)' }).click();
    const download = await downloading;
    expect(/^commissions-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/.test(download.suggestedFilename()), `the file is named ${download.suggestedFilename()}`);
    const csv = readFileSync(await download.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0].startsWith('id,created_at,'), `the header reads ${lines[0]}`);
    expect(lines.length === 4, `the export has ${lines.length - 1} commissions`);
  });

  await step('load exchange rates from the ECB file', async () => {
    const csv = 'Date, USD, GBP, \r\n20 November 2026, 1.0712, 0.8325, \r\n';
    await page.getByLabel('ECB reference rates (CSV)').setInputFiles({ name: 'eurofxref.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Load rates' }).click();
    await page.waitForURL((u) => u.searchParams.get('notice') === 'rates');
    await page.getByRole('status').filter({ hasText: 'The exchange rates are loaded' }).waitFor();
    const said = await page.locator('section.fx-rates').innerText();
    expect(said.includes('2026-11-20') && said.includes('3 currencies'), `the rates section reads ${said}`);
    await shot('rates-loaded');
  });

  await step('open Tax: the payee is flagged for a missing form', async () => {
    await nav('Tax').click();
    await page.waitForURL((u) => u.pathname === '/dashboard/tax');
    const row = page.locator(`table.tax-report tr[data-email="${payee}"]`);
    await row.locator('.form-missing', { hasText: 'Form missing' }).waitFor();
    expect((await row.locator('td[data-label="Total (USD)"]').innerText()).trim() === '700.00 USD', 'the payee total is not 700.00 USD');
    await shot('tax');
  });

  await step('record the payee\'s W-9', async () => {
    const form = page.locator(`table.tax-forms tr[data-email="${payee}"]`);
    await form.getByLabel(`Tax form of ${payee}`).selectOption('W9');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'The tax form status is saved' }).waitFor();
    const row = page.locator(`table.tax-report tr[data-email="${payee}"]`);
    expect((await row.locator('.form-missing').count()) === 0, 'the payee is still flagged');
    expect((await row.locator('td[data-label="Tax form"] .badge').innerText()).trim() === 'W9', 'the report does not show the W-9');
    await shot('tax-w9');
  });

  await step('download the 1099-NEC file', async () => {
    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: /1099-NEC recipients/ }).click();
    const download = await downloading;
    expect(/^1099-nec-\d{4}\.csv$/.test(download.suggestedFilename()), `the file is named ${download.suggestedFilename()}`);
    const lines = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
    expect(lines.length === 2 && lines[1].includes(payee) && lines[1].includes('W9') && lines[1].includes('700.00'), `the file reads ${lines.join(' / ')}`);
  });

  await step('the pages work on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await nav('Reports').click();
    await page.waitForURL((u) => u.pathname === '/dashboard/reports');
    await page.locator('svg.chart').waitFor();
    await shot('reports-phone');
    await nav('Tax').click();
    await page.locator('table.tax-report').waitFor();
    await shot('tax-phone');
  });

  console.log('reports walk passed');
} catch (e) {
  const what = e instanceof Expectation ? e.message : (e?.stack ?? String(e));
  console.error(`FAILED at step "${current}" (page ${page.url()}):\n${what}`);
  await shot('failure').catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
