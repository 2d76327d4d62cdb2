// The Integrations page in a real browser: connect Ontraport (a wrong key first), pick a tag
// from the live picker, approve an applicant and watch their sync reach Succeeded. Driven by
// crates/afflux/tests/integrations_browser.rs, which starts the Ontraport fake, seeds the
// campaign and the applicant, and checks the fake's contact afterwards; runnable by hand
// against such a setup:
//
//   node e2e/integrations.mjs AFFLUX_URL
//
// Environment: OWNER_EMAIL / OWNER_PASSWORD (the account to sign in with), ONTRAPORT_APP_ID /
// ONTRAPORT_API_KEY (what the fake accepts), TAG (the tag to pick), APPLICANT (the applicant's
// email), CHROMIUM (the browser binary, default /usr/bin/chromium). Exits non-zero on the
// first expectation that fails, naming the step; screenshots go to e2e/screenshots/integrations/.

import { mkdirSync, rmSync } from 'node:fs';
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
  console.error('usage: node e2e/integrations.mjs AFFLUX_URL');
  process.exit(2);
}
const owner = { email: env('OWNER_EMAIL'), password: env('OWNER_PASSWORD') };
const ontraport = { appId: env('ONTRAPORT_APP_ID'), apiKey: env('ONTRAPORT_API_KEY') };
const tag = env('TAG');
const applicant = env('APPLICANT');
const wrongKey = 'definitely-not-the-key-0000';

const shots = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots', 'integrations');
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
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(10_000);

// Script errors, CSP violations and failed subresource or htmx requests are failures; pages
// may answer 4xx on purpose (a refused connection is a 422 page), judged by their content.
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
const card = () => page.locator('#vendor-ontraport');
const settings = () => card().locator('form.settings-form');

try {
  await step('sign in', async () => {
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/dashboard/campaigns');
  });

  await step('open Integrations: a connect form per vendor', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations' }).click();
    await page.waitForURL((u) => u.pathname === '/dashboard/integrations');
    for (const vendor of ['Ontraport', 'Ortto', 'Mailchimp', 'ActiveCampaign', 'Klaviyo', 'Customer.io', 'beehiiv']) {
      await page.getByRole('button', { name: `Connect ${vendor}` }).waitFor();
    }
    expect((await card().getByLabel('API Key').getAttribute('type')) === 'password', 'the API Key is not a password input');
    expect((await card().getByLabel('App ID').getAttribute('type')) === 'password', 'the App ID is not a password input');
    await shot('integrations-empty');
  });

  await step('a wrong key is refused and nothing is kept', async () => {
    await card().getByLabel('App ID').fill(ontraport.appId);
    await card().getByLabel('API Key').fill(wrongKey);
    await card().getByRole('button', { name: 'Connect Ontraport' }).click();
    const alert = card().getByRole('alert');
    await alert.waitFor();
    const said = (await alert.innerText()).trim();
    expect(said.length > 0, 'the refusal says nothing');
    expect((await card().getByLabel('API Key').inputValue()) === '', 'the refused key is shown again');
    expect((await card().getByLabel('App ID').inputValue()) === '', 'the App ID is shown again');
    const html = await page.content();
    expect(!html.includes(wrongKey), 'the refused key is in the page');
    expect(ontraport.appId.length < 6 || !html.includes(ontraport.appId), 'the App ID is in the page');
    expect((await page.locator('.vendor-card.connected').count()) === 0, 'something got connected');
    await shot('ontraport-refused');
  });

  await step('connect with the right App ID and API Key', async () => {
    await card().getByLabel('App ID').fill(ontraport.appId);
    await card().getByLabel('API Key').fill(ontraport.apiKey);
    await card().getByRole('button', { name: 'Connect Ontraport' }).click();
    await page.locator('#vendor-ontraport.connected').waitFor();
    await page.getByRole('status').filter({ hasText: 'Ontraport is connected' }).waitFor();
    expect(!(await page.content()).includes(ontraport.apiKey), 'the API key is in the page');
  });

  await step('pick a tag from the live picker and save', async () => {
    const select = settings().getByLabel('Tag', { exact: true });
    // htmx replaces the saved-choice-only select with the vendor's list.
    await settings().locator('.picker-status', { hasText: 'As listed by Ontraport' }).waitFor();
    const labels = await select.locator('option').allInnerTexts();
    expect(labels.includes(tag), `the picker does not offer ${tag}: ${labels.join(', ')}`);
    await select.selectOption({ label: tag });
    await settings().getByLabel('Default tags').fill('Partners');
    await shot('ontraport-picker');
    await settings().getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Ontraport settings saved' }).waitFor();
    await settings().locator('.picker-status', { hasText: 'As listed by Ontraport' }).waitFor();
    const chosen = await settings().getByLabel('Tag', { exact: true }).locator('option:checked').innerText();
    expect(chosen === tag, `after saving, the picker shows ${chosen}`);
    expect((await settings().getByLabel('Default tags').inputValue()) === 'Partners', 'the default tags were not kept');
  });

  await step('approve the applicant', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Affiliates' }).click();
    await page.getByRole('link', { name: /^Pending/ }).click();
    const row = page.locator(`tr[data-email="${applicant}"]`);
    await row.getByRole('button', { name: 'Approve' }).click();
    await row.locator('.badge', { hasText: 'Approved' }).waitFor();
  });

  await step('the sync reaches Succeeded', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations' }).click();
    const badge = page.locator(`#vendor-ontraport tr[data-email="${applicant}"] .badge`);
    let status = '';
    for (let i = 0; i < 30; i += 1) {
      await badge.waitFor();
      status = (await badge.innerText()).trim();
      if (status === 'Succeeded') break;
      expect(status !== 'Failed', `the sync failed: ${await page.locator(`tr[data-email="${applicant}"]`).innerText()}`);
      await page.waitForTimeout(500);
      await page.reload();
    }
    expect(status === 'Succeeded', `the sync is still ${status}`);
    const succeeded = await card().locator('.count-succeeded dd').innerText();
    expect(succeeded.trim() === '1', `the Succeeded count reads ${succeeded}`);
    await shot('ontraport-synced');
  });

  await step('a program sends its affiliates to another tag', async () => {
    const program = card().locator('li.program', { hasText: 'Spring Launch' });
    await program.locator('summary', { hasText: 'Edit override' }).click();
    // Its picker asks the vendor only once the panel opens.
    await program.locator('.picker-status', { hasText: 'As listed by Ontraport' }).waitFor();
    await program.getByLabel('Tag', { exact: true }).selectOption({ label: 'Newsletter' });
    await program.getByLabel('Extra tags').fill('Spring');
    await shot('ontraport-override');
    await program.getByRole('button', { name: 'Save override' }).click();
    await page.getByRole('status').filter({ hasText: 'override is saved' }).waitFor();
    const summary = await card().locator('li.program', { hasText: 'Spring Launch' }).locator('.program-summary').innerText();
    expect(summary === 'Tag: Newsletter · extra tags: Spring.', `the program reads: ${summary}`);
  });

  await step('retry now swaps the row in place', async () => {
    const row = page.locator(`#vendor-ontraport tr[data-email="${applicant}"]`);
    const before = page.url();
    const answered = page.waitForResponse((r) => r.url().includes('/retry') && r.request().method() === 'POST');
    await row.getByRole('button', { name: 'Retry now' }).click();
    // htmx answers the row alone: the page stays, the row is new (attempts counted afresh).
    const answer = await answered;
    expect(answer.status() === 200 && (await answer.text()).trimStart().startsWith('<tr'), 'retry did not answer a row');
    await row.locator('.badge').waitFor();
    expect(page.url() === before, `retrying navigated to ${page.url()}`);
  });

  await step('the page works on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator(`#vendor-ontraport tr[data-email="${applicant}"]`).waitFor();
    await shot('integrations-phone');
  });

  console.log('integrations walk passed');
} catch (e) {
  const what = e instanceof Expectation ? e.message : (e?.stack ?? String(e));
  console.error(`FAILED at step "${current}" (page ${page.url()}):\n${what}`);
  await shot('failure').catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
