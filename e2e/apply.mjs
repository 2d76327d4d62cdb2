// The public application page in a real browser, on a phone-sized screen: the campaign's facts,
// an empty submission refused with each error next to its field (and focus order intact), then
// the form filled in and submitted without any script. Driven by
// crates/afflux/tests/applications_browser.rs; runnable by hand too:
//
//   node e2e/apply.mjs http://127.0.0.1:8080 /p/acme/spring applicant@example.com
//
// Arguments (or environment): base URL (AFFLUX_URL), the page's path (APPLY_PATH), the
// applicant's email (APPLICANT_EMAIL). CHROMIUM is the browser binary (default
// /usr/bin/chromium); SCREENSHOTS the folder for this run's pictures (default
// target/screenshots/apply). Exits non-zero on the first expectation that fails.

import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [baseArg, pathArg, applicantArg] = process.argv.slice(2);
const base = (baseArg ?? process.env.AFFLUX_URL ?? '').replace(/\/+$/, '');
const applyPath = pathArg ?? process.env.APPLY_PATH ?? '';
const applicant = applicantArg ?? process.env.APPLICANT_EMAIL ?? 'applicant@example.com';

if (!base || !applyPath) {
  console.error('usage: node e2e/apply.mjs BASE_URL APPLY_PATH [APPLICANT_EMAIL]');
  process.exit(2);
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const shots = process.env.SCREENSHOTS ?? path.join(root, 'target', 'screenshots', 'apply');
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
// A phone: the page must work there first. No JavaScript: the form needs none.
const context = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
const page = await context.newPage();
page.setDefaultTimeout(10_000);

const browserErrors = [];
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
async function expectText(selector, text) {
  await page.locator(selector, { hasText: text }).first().waitFor({ state: 'visible' });
}

try {
  await step('the page shows the program', async () => {
    const response = await page.goto(`${base}${applyPath}`);
    expect(response.status() === 200, `the page answered ${response.status()}`);
    await expectText('.facts', '30% of each sale');
    await expectText('.facts', '45 days');
    await expectText('.facts', 'Last touch');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width <= 390, `the page is ${width}px wide on a 390px screen`);
    await shot('application-page');
  });

  await step('an empty form is refused next to its fields', async () => {
    await page.getByRole('button', { name: 'Submit application' }).click();
    await expectText('[role=alert]', 'Please correct');
    const email = page.getByLabel('Email');
    expect((await email.getAttribute('aria-invalid')) === 'true', 'the email field is not marked invalid');
    const describedBy = await email.getAttribute('aria-describedby');
    const error = await page.locator(`#${describedBy}`).textContent();
    expect(/required/i.test(error ?? ''), `the email error says "${error}"`);
    await expectText('#f-platform-error', 'Tick at least one');
    await shot('application-errors');
  });

  await step('the keyboard reaches the fields in order', async () => {
    await page.getByLabel('Email').focus();
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => document.activeElement?.id);
    expect(next === 'f-name', `Tab from the email went to ${next}`);
  });

  await step('a filled form is accepted without JavaScript', async () => {
    await page.getByLabel('Email').fill(applicant);
    await page.getByLabel('Full name').fill('Avery Applicant');
    await page.getByLabel('Website or channel').fill('https://avery.example');
    await page.getByLabel('How will you promote us?').fill('A weekly newsletter for designers.');
    await page.getByLabel('Custom alias').fill('avery-designs');
    await page.getByLabel('YouTube').check();
    await page.getByLabel('Country').selectOption('CA');
    await shot('application-filled');
    await page.getByRole('button', { name: 'Submit application' }).click();
    await expectText('[role=status]', 'Thank you for applying');
    await shot('application-done');
  });

  console.log('apply walk passed');
} catch (e) {
  const what = e instanceof Expectation ? e.message : (e?.stack ?? String(e));
  console.error(`FAILED at step "${current}" (page ${page.url()}):\n${what}`);
  await shot('failure').catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
