// The Commissions and Payouts pages in a real browser: sign in, see a Pending commission, deny
// another with a reason, start a payout run, download its PayPal file, mark the item paid and
// see the balance at zero. Driven by crates/afflux/tests/money_browser.rs, which seeds the
// programs, affiliates and sales and checks the database afterwards; runnable by hand against
// such a setup:
//
//   node e2e/money.mjs AFFLUX_URL
//
// Environment: OWNER_EMAIL / OWNER_PASSWORD (the account to sign in with), PAYEE (the affiliate
// with one approved commission of 20.00 USD), PENDING (the affiliate with two Pending ones,
// 10.00 and 5.00 USD), REASON (why the 5.00 one is denied), REFERENCE (the payment's
// reference), CHROMIUM (the browser binary, default /usr/bin/chromium). Exits non-zero on the
// first expectation that fails, naming the step; screenshots go to e2e/screenshots/money/.

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
  console.error('usage: node e2e/money.mjs AFFLUX_URL');
  process.exit(2);
}
const owner = { email: env('OWNER_EMAIL'), password: env('OWNER_PASSWORD') };
const payee = env('PAYEE');
const pending = env('PENDING');
const reason = env('REASON');
const reference = env('REFERENCE');

const shots = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots', 'money');
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

// Script errors, CSP violations and failed subresource or htmx requests are failures.
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
const commission = (email, amount) => page.locator(`table.commissions tr[data-email="${email}"]`, { hasText: amount });
const balance = (email) => page.locator(`section.balances tr[data-email="${email}"]`);

try {
  await step('sign in', async () => {
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/dashboard/campaigns');
  });

  await step('open Commissions: a Pending commission and the balances', async () => {
    await nav('Commissions').click();
    await page.waitForURL((u) => u.pathname === '/dashboard/commissions');
    const kept = commission(pending, '10.00 USD');
    await kept.locator('.badge', { hasText: 'Pending' }).waitFor();
    expect((await kept.locator('td[data-label="Kind"]').innerText()).trim() === 'Direct', 'the kind is not Direct');
    await commission(payee, '20.00 USD').locator('.badge', { hasText: 'Approved' }).waitFor();
    const net = (await balance(payee).locator('td[data-label="Net"]').innerText()).trim();
    expect(net === '20.00', `${payee} is owed ${net} before the payout`);
    await shot('commissions');
  });

  await step('deny the other Pending commission with a reason', async () => {
    const row = commission(pending, '5.00 USD');
    const before = page.url();
    await row.locator('summary', { hasText: 'Deny' }).click();
    await row.getByLabel('Reason').fill(reason);
    await shot('deny-form');
    const answered = page.waitForResponse((r) => r.url().includes('/deny') && r.request().method() === 'POST');
    await row.getByRole('button', { name: 'Deny commission' }).click();
    // htmx answers the row alone: the page stays, the row says Denied and why.
    const answer = await answered;
    expect(answer.status() === 200 && (await answer.text()).trimStart().startsWith('<tr'), 'deny did not answer a row');
    await row.locator('.badge', { hasText: 'Denied' }).waitFor();
    expect((await row.locator('.reason').innerText()).trim() === reason, 'the reason is not shown');
    expect((await row.locator('summary').count()) === 0, 'a denied commission still offers Deny');
    expect(page.url() === before, `denying navigated to ${page.url()}`);
    await commission(pending, '10.00 USD').locator('.badge', { hasText: 'Pending' }).waitFor();
  });

  await step('the Pending tab shows what still waits', async () => {
    await page.getByRole('navigation', { name: 'Filter commissions by status' }).getByRole('link', { name: 'Pending' }).click();
    await page.waitForURL((u) => u.searchParams.get('status') === 'Pending');
    const rows = page.locator('table.commissions tbody tr');
    expect((await rows.count()) === 1, `the Pending tab lists ${await rows.count()} commissions`);
    await commission(pending, '10.00 USD').waitFor();
  });

  await step('start a payout run by hand', async () => {
    await nav('Payouts').click();
    await page.waitForURL((u) => u.pathname === '/dashboard/payouts');
    await page.getByText('API not connected').waitFor();
    await page.getByLabel('Pay through').selectOption('Manual');
    await shot('payouts');
    await page.getByRole('button', { name: 'Start payout run' }).click();
    await page.waitForURL((u) => /^\/dashboard\/payouts\/[0-9a-f-]{36}$/.test(u.pathname));
    await page.getByRole('status').filter({ hasText: 'The payout run is started' }).waitFor();
    const rows = page.locator('table.item-list tbody tr');
    expect((await rows.count()) === 1, `the run has ${await rows.count()} items`);
    const item = page.locator(`tr[data-email="${payee}"]`);
    expect((await item.locator('td[data-label="Amount"]').innerText()).trim() === '20.00 USD', 'the item is not 20.00 USD');
    await item.locator('.badge', { hasText: 'Pending' }).waitFor();
  });

  await step('download the PayPal file', async () => {
    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download PayPal file (USD)' }).click();
    const download = await downloading;
    expect(/^paypal-payout-.+-USD\.csv$/.test(download.suggestedFilename()), `the file is named ${download.suggestedFilename()}`);
    const csv = readFileSync(await download.path(), 'utf8');
    const fields = csv.trim().split(',');
    expect(fields.length === 7 && fields[0] === payee && fields[1] === '20.00' && fields[2] === 'USD', `the file reads ${csv}`);
  });

  await step('mark the item paid', async () => {
    const item = page.locator(`tr[data-email="${payee}"]`);
    await item.locator('summary', { hasText: 'Mark paid' }).click();
    await item.getByLabel('Reference').fill(reference);
    await shot('mark-paid');
    await item.getByRole('button', { name: 'Mark as paid' }).click();
    await item.locator('.badge', { hasText: 'Paid' }).waitFor();
    expect((await item.locator('td[data-label="Reference"]').innerText()).trim() === reference, 'the reference is not shown');
    expect((await item.locator('form').count()) === 0, 'a paid item still offers actions');
    await shot('run-paid');
  });

  await step('the balance is at zero', async () => {
    await nav('Commissions').click();
    await page.waitForURL((u) => u.pathname === '/dashboard/commissions');
    const net = (await balance(payee).locator('td[data-label="Net"]').innerText()).trim();
    expect(net === '0.00', `${payee} is still owed ${net}`);
    const paid = (await balance(payee).locator('td[data-label="Paid"]').innerText()).trim();
    expect(paid === '-20.00', `${payee} was paid ${paid}`);
    const home = (await balance(payee).locator('td[data-label="Net in USD"]').innerText()).trim();
    expect(home === '0.00 USD', `${payee}'s net in the home currency reads ${home}`);
    await commission(payee, '20.00 USD').locator('.badge', { hasText: 'Paid' }).waitFor();
    await shot('balances-paid');
  });

  await step('the pages work on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await balance(payee).waitFor();
    await shot('commissions-phone');
    await nav('Payouts').click();
    await page.locator('table.run-list a').first().click();
    await page.locator(`tr[data-email="${payee}"]`).waitFor();
    await shot('run-phone');
  });

  console.log('money walk passed');
} catch (e) {
  const what = e instanceof Expectation ? e.message : (e?.stack ?? String(e));
  console.error(`FAILED at step "${current}" (page ${page.url()}):\n${what}`);
  await shot('failure').catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
