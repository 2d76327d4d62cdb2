// The first browser walk through Afflux: setup, sign-out and sign-in, a campaign created with
// the form, an application through the public API, then approving and rejecting applicants
// from the Pending tab. Driven by crates/afflux/tests/browser.rs; runnable by hand too:
//
//   node e2e/foundation.mjs http://127.0.0.1:8080 SETUP_TOKEN applicant@example.com
//
// Arguments (or environment): base URL (AFFLUX_URL), setup token (AFFLUX_SETUP_TOKEN),
// applicant email (APPLICANT_EMAIL). OWNER_EMAIL / OWNER_PASSWORD name the account it creates.
// CHROMIUM is the browser binary (default /usr/bin/chromium). Exits non-zero on the first
// expectation that fails, naming the step; screenshots of each page go to e2e/screenshots/.

import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [baseArg, tokenArg, applicantArg] = process.argv.slice(2);
const base = (baseArg ?? process.env.AFFLUX_URL ?? '').replace(/\/+$/, '');
const setupToken = tokenArg ?? process.env.AFFLUX_SETUP_TOKEN ?? '';
const applicant = applicantArg ?? process.env.APPLICANT_EMAIL ?? 'applicant@example.com';
const rejected = `declined.${applicant}`;
const owner = {
  org: 'Acme Widgets',
  name: 'Olivia Owner',
  email: process.env.OWNER_EMAIL ?? 'owner@example.com',
  password: process.env.OWNER_PASSWORD ?? 'correct horse battery staple',
};
const campaign = { name: 'Spring Launch', slug: 'spring-launch', url: 'https://acme.example/pricing', value: '20' };

if (!base || !setupToken) {
  console.error('usage: node e2e/foundation.mjs BASE_URL SETUP_TOKEN [APPLICANT_EMAIL]');
  process.exit(2);
}

const shots = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');
// Only this run's pictures: a stale one from an earlier run would mislead.
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

/** A failed expectation: the message says what was expected, in words. */
class Expectation extends Error {}
function expect(condition, message) {
  if (!condition) throw new Expectation(message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
const page = await context.newPage();
// Waits fail in seconds, not the default half-minute: every page here is local.
page.setDefaultTimeout(10_000);

// Script errors, CSP violations and failed subresource or htmx requests are all failures.
// Pages themselves may answer 4xx on purpose (a refused sign-in is a 401 page), and Chromium
// logs those as console errors too, so load failures are judged by the response events.
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
async function expectPath(pathname, search = '') {
  await page.waitForURL((u) => u.pathname === pathname && (search === '' || u.search === search));
}
async function expectText(selector, text) {
  await page.locator(selector, { hasText: text }).first().waitFor({ state: 'visible' });
}

/** The public application form's endpoint, called the way a brand's site would. */
async function apply(orgId, email, name) {
  const response = await fetch(`${base}/api/v1/public/${orgId}/programs/${campaign.slug}/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, name }),
  });
  const body = await response.text();
  expect(response.status === 201, `applying as ${email} answered ${response.status}: ${body}`);
}

async function signIn(password) {
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

try {
  await step('first-run setup', async () => {
    await page.goto(`${base}/setup?token=${encodeURIComponent(setupToken)}`);
    await expectText('h1', 'Welcome to Afflux');
    await page.getByLabel('Organization name').fill(owner.org);
    await page.getByLabel('Your name').fill(owner.name);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await shot('setup');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await expectPath('/dashboard/campaigns');
    await expectText('.org-name', owner.org);
    await expectText('.user-email', owner.email);
    await expectText('.empty', 'No campaigns yet');
    expect((await page.evaluate(() => typeof window.htmx)) === 'object', 'htmx did not load on the dashboard');
    await shot('campaigns-empty');
  });

  await step('log out', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await expectPath('/login');
    await page.goto(`${base}/dashboard/campaigns`);
    await expectPath('/login');
    await shot('login');
  });

  await step('a wrong password is refused', async () => {
    await signIn('not the right password');
    await expectText('[role=alert]', 'Wrong email or password');
    await shot('login-wrong-password');
  });

  await step('log in again', async () => {
    await signIn(owner.password);
    await expectPath('/dashboard/campaigns');
    await expectText('.user-email', owner.email);
  });

  await step('create a campaign', async () => {
    await page.getByRole('link', { name: 'New campaign' }).first().click();
    await expectPath('/dashboard/campaigns/new');
    await page.getByLabel('Name', { exact: true }).fill(campaign.name);
    await page.getByLabel('Slug (optional)').fill(campaign.slug);
    await page.getByLabel('Destination URL').fill(campaign.url);
    await page.getByLabel('Commission type').selectOption('Percentage');
    await page.getByLabel('Commission value').fill(campaign.value);
    expect((await page.getByLabel('Cookie window (days)').inputValue()) === '60', 'the cookie window does not default to 60 days');
    await shot('campaign-new');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await expectPath('/dashboard/campaigns');
    const row = page.locator('tr', { hasText: campaign.name });
    await row.waitFor();
    const text = await row.innerText();
    expect(text.includes(campaign.slug) && text.includes('20 %') && text.includes('60 days'), `the campaign row reads: ${text}`);
    await shot('campaigns');
  });

  await step('two people apply through the public endpoint', async () => {
    const orgId = await page.locator('body').getAttribute('data-org-id');
    expect(/^[0-9a-f-]{36}$/.test(orgId ?? ''), `the dashboard body has no organization id (data-org-id=${orgId})`);
    await apply(orgId, applicant, 'Avery Applicant');
    await apply(orgId, rejected, 'Dana Declined');
  });

  await step('approve from the Pending tab', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Affiliates' }).click();
    await expectPath('/dashboard/affiliates');
    await page.getByRole('link', { name: /^Pending/ }).click();
    await expectPath('/dashboard/affiliates', '?tab=pending');
    const row = page.locator(`tr[data-email="${applicant}"]`);
    await row.locator('.badge', { hasText: 'Pending' }).waitFor();
    expect((await row.innerText()).includes(campaign.name), 'the pending row does not name the campaign');
    await shot('affiliates-pending');
    await row.getByRole('button', { name: 'Approve' }).click();
    // htmx swaps the row in place: same page, the status now Approved, no buttons left.
    await row.locator('.badge', { hasText: 'Approved' }).waitFor();
    expect(new URL(page.url()).search === '?tab=pending', `approving navigated away to ${page.url()}`);
    expect((await row.getByRole('button', { name: 'Approve' }).count()) === 0, 'the approved row still offers Approve');
    await shot('affiliates-approved');
  });

  await step('reject with a reason', async () => {
    const row = page.locator(`tr[data-email="${rejected}"]`);
    await row.locator('summary', { hasText: 'Reject' }).click();
    await row.getByLabel('Reason (optional)').fill('Not a fit for this launch');
    expect(await row.getByLabel('Tell them by email').isChecked(), 'the notify box is not ticked by default');
    await shot('affiliates-reject-form');
    await row.getByRole('button', { name: 'Reject application' }).click();
    await row.locator('.badge', { hasText: 'Rejected' }).waitFor();
    await expectText(`tr[data-email="${rejected}"] .reason`, 'Not a fit for this launch');
  });

  await step('decided applicants leave the Pending tab', async () => {
    await page.reload();
    await expectText('.empty', 'No applications are waiting');
    await page.getByRole('link', { name: 'All', exact: true }).click();
    await expectPath('/dashboard/affiliates', '?tab=all');
    await page.locator(`tr[data-email="${applicant}"] .badge`, { hasText: 'Approved' }).waitFor();
    await shot('affiliates-all');
  });

  await step('the dashboard works on a phone', async () => {
    const orgId = await page.locator('body').getAttribute('data-org-id');
    const later = `later.${applicant}`;
    await apply(orgId, later, 'Lee Later');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/dashboard/affiliates?tab=pending`);
    await page.locator(`tr[data-email="${later}"]`).getByRole('button', { name: 'Approve' }).waitFor();
    await shot('affiliates-phone');
    await page.goto(`${base}/dashboard/campaigns`);
    await expectText('td', campaign.name);
    await shot('campaigns-phone');
  });

  console.log('foundation walk passed');
} catch (e) {
  const what = e instanceof Expectation ? e.message : (e?.stack ?? String(e));
  console.error(`FAILED at step "${current}" (page ${page.url()}):\n${what}`);
  await shot('failure').catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
