// The affiliate portal in a real browser: an application on the public page, approved in the
// dashboard; the emailed sign-in link followed from the SMTP server's Maildir; the
// referral link copied; a click on the tracking link and a sale sent by signed S2S; both seen
// on the portal home. Driven by crates/afflux/tests/portal_browser.rs.
//
// Environment: AFFLUX_URL, ORG_ID, CAMPAIGN_SLUG, OWNER_EMAIL, OWNER_PASSWORD, APPLICANT_EMAIL,
// S2S_SECRET, MAIL_DIR, SCREENSHOTS (default target/screenshots/portal), CHROMIUM.
// Exits non-zero on the first expectation that fails, naming the step.

import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`missing ${name}`);
    process.exit(2);
  }
  return value;
};
const base = env('AFFLUX_URL').replace(/\/+$/, '');
const orgId = env('ORG_ID');
const campaignSlug = env('CAMPAIGN_SLUG');
const owner = { email: env('OWNER_EMAIL'), password: env('OWNER_PASSWORD') };
const applicant = env('APPLICANT_EMAIL');
const s2sSecret = env('S2S_SECRET');
const mailDir = env('MAIL_DIR');
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const shots = process.env.SCREENSHOTS ?? path.join(root, 'target', 'screenshots', 'portal');
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
// A phone-sized window: the portal is built for phones first. The user agent is an ordinary
// browser's, so the tracking link counts the click (headless browsers are filtered as bots).
const context = await browser.newContext({
  viewport: { width: 390, height: 844 },
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36',
});
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
const page = await context.newPage();
page.setDefaultTimeout(10_000);
const browserErrors = [];
page.on('pageerror', (e) => browserErrors.push(`page error: ${e.message}`));
page.on('console', (m) => {
  if (m.type() === 'error' && /Content Security Policy/.test(m.text())) browserErrors.push(m.text());
});

let shotNo = 0;
async function shot(name) {
  shotNo += 1;
  await page.screenshot({ path: path.join(shots, `${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function step(name, body) {
  try {
    await body();
  } catch (e) {
    await shot(`failed-${name.replace(/\W+/g, '-')}`).catch(() => {});
    throw new Error(`step "${name}": ${e.message}`);
  }
}

/** The newest email to `to` in the mail folder, quoted-printable undone. */
async function mailTo(to, containing) {
  for (let i = 0; i < 100; i += 1) {
    const files = existsSync(mailDir) ? readdirSync(mailDir) : [];
    for (const file of files) {
      const text = readFileSync(path.join(mailDir, file), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      if (text.split(/\r?\n/).some((l) => l.trim() === `To: ${to}`) && text.includes(containing)) return text;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Expectation(`no email to ${to} containing ${containing}`);
}

try {
  await step('apply on the public application page', async () => {
    const response = await page.goto(`${base}/p/${orgId}/${campaignSlug}`);
    expect(response.status() === 200, `the application page answered ${response.status()}`);
    await page.getByLabel('Email').fill(applicant);
    await page.getByLabel('Full name').fill('Avery Affiliate');
    await shot('public-application');
    await page.getByRole('button', { name: 'Submit application' }).click();
    const done = await page.locator('[role=status]').innerText();
    expect(done.includes('Thank you for applying'), `after submitting: ${done}`);
  });

  await step('approve in the dashboard', async () => {
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${base}/dashboard/affiliates?tab=pending`);
    const row = page.locator(`tr[data-email="${applicant}"]`);
    await row.getByRole('button', { name: 'Approve' }).click();
    await row.locator('.badge', { hasText: 'Approved' }).waitFor();
    await shot('dashboard-approved');
  });

  let signInLink;
  await step('follow the emailed sign-in link', async () => {
    const mail = await mailTo(applicant, '/a/auth/');
    signInLink = mail.match(/https?:\/\/[^\s"<>]+\/a\/auth\/[A-Za-z0-9_-]+/)?.[0];
    expect(signInLink, 'the approval email has no sign-in link');
    await page.goto(signInLink);
    await shot('sign-in-confirm');
    await page.getByRole('button', { name: 'Continue to your portal' }).click();
    await page.waitForURL(`${base}/a/${orgId}`);
    await page.locator('h1', { hasText: 'Hello Avery Affiliate' }).waitFor();
    expect((await page.locator('#clicks').innerText()) === '0', 'a fresh affiliate has clicks');
    await shot('portal-home-empty');
  });

  let referral;
  await step('copy the referral link', async () => {
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Links' }).click();
    const field = page.locator('input.referral-link').first();
    referral = await field.inputValue();
    expect(referral.includes('via='), `the referral link has no via=: ${referral}`);
    const copy = page.locator('button.copy').first();
    await copy.click();
    await page.locator('button.copy.copied', { hasText: 'Copied' }).first().waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied === referral, `the clipboard holds ${copied}, not ${referral}`);
    await shot('portal-links');
  });

  const slug = new URL(referral).searchParams.get('via');
  await step('a visitor clicks the tracking link', async () => {
    const visitor = await context.newPage();
    const response = await visitor.goto(`${base}/go/${slug}`);
    expect(response.ok(), `the tracking link answered ${response.status()}`);
    await visitor.close();
  });

  await step('the brand records a sale by signed S2S', async () => {
    const body = JSON.stringify({ externalEventId: 'e2e-order-1', type: 'sale', affiliateSlug: slug, amountCents: 12500, currency: 'USD' });
    const ts = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', s2sSecret).update(`${ts}.${body}`).digest('hex');
    const response = await fetch(`${base}/api/track/s2s`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-afflux-timestamp': String(ts), 'x-afflux-signature': signature, 'x-afflux-organization': orgId },
      body,
    });
    expect(response.status === 201, `the sale answered ${response.status}: ${await response.text()}`);
  });

  await step('the click and the sale appear in the portal', async () => {
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Home' }).click();
    expect((await page.locator('#clicks').innerText()) === '1', 'the click is not on the home page');
    expect((await page.locator('#conversions').innerText()) === '1', 'the sale is not on the home page');
    expect((await page.locator('dd.pending').innerText()).includes('USD'), 'no pending USD earnings');
    expect((await page.locator('svg.chart circle').count()) === 1, 'the chart has no conversion point');
    await shot('portal-home');
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Earnings' }).click();
    expect((await page.locator('table.commissions').innerText()).includes('125.00 USD'), 'the sale is not on the earnings page');
    await shot('portal-earnings');
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Promo tools' }).click();
    await shot('portal-promo');
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Settings' }).click();
    await page.locator('h1', { hasText: 'Settings' }).waitFor();
    await shot('portal-settings');
  });

  await step('sign out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/a/sign-in`);
    await shot('portal-sign-in');
  });

  expect(browserErrors.length === 0, `browser errors:\n${browserErrors.join('\n')}`);
  console.log(`portal walk passed; screenshots in ${shots}`);
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
