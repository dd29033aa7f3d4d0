// Browser test of the editors' page (/staff/kennisbank): Debian's Chromium,
// headless, driven by playwright-core. Started by
// tests/integration/usage.rs, which runs the real app with a few questions
// already asked (one refused, with a BSN in it; one answered).
//
// Scenario: an editor logs in on the staff page and lands on the editors'
// page; the refused question shows as a group, masked and as text; the
// usage table shows the answer given; the unused list is there; the
// overlap between entries is listed and a pair opens to its questions;
// log out.
//
// Environment:
//   BASE_URL                     the running app
//   LOKET_USER, LOKET_PASSWORD   an editor account
//   LOKET_GAP_TEXT               a word of the refused question
//   LOKET_GAP_SECRET             the personal data that must not show
//   LOKET_ANSWERED_ID            the id of the answer that was given
//   LOKET_SCREENSHOT             where to save a screenshot (optional)
//   LOKET_CHROMIUM               the browser (default /usr/bin/chromium)
//
// Exits 0 when every step passed, 1 with the failed step's name otherwise.

import { STEP_TIMEOUT_MS, StepFailure, check, env, finish, launch, step } from './common.mjs';

const TOTAL_TIMEOUT_MS = 120_000;

const baseUrl = env('BASE_URL').replace(/\/$/, '');
const user = env('LOKET_USER');
const password = env('LOKET_PASSWORD');
const gapText = env('LOKET_GAP_TEXT');
const gapSecret = env('LOKET_GAP_SECRET');
const answeredId = env('LOKET_ANSWERED_ID');
const screenshotPath = process.env.LOKET_SCREENSHOT || '';
const executablePath = env('LOKET_CHROMIUM', '/usr/bin/chromium');

async function expectVisible(locator, what) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  } catch {
    throw new StepFailure(`${what} did not become visible`);
  }
}

async function scenario(page) {
  await step('an editor logs in and lands on the editors\' page', async () => {
    await page.goto(`${baseUrl}/staff`);
    await page.getByLabel('Gebruikersnaam').fill(user);
    await page.getByLabel('Wachtwoord').fill(password);
    await page.getByRole('button', { name: 'Inloggen' }).click();
    await page.waitForURL(`${baseUrl}/staff/kennisbank`, { timeout: STEP_TIMEOUT_MS });
    await expectVisible(
      page.getByRole('heading', { name: 'Kennisbank: wat de bot niet kon beantwoorden' }),
      'the gaps heading',
    );
  });

  await step('the refused question is a group, masked, as text', async () => {
    const group = page.locator('#gap-list > li', { hasText: gapText });
    await expectVisible(group, 'the group of the refused question');
    const text = await group.first().textContent();
    check(/1 keer gevraagd/.test(text), `no count in the group: "${text}"`);
    check(text.includes('[BSN]'), `the BSN is not shown masked: "${text}"`);
    check(!text.includes(gapSecret), `the personal data shows: "${text}"`);
    check((await page.locator('#gap-list b').count()) === 0, 'markup in a question became an element');
  });

  await step('the usage table shows the answer given', async () => {
    const row = page.locator('#usage-rows > tr', { hasText: answeredId }).first();
    await expectVisible(row, `the usage row of ${answeredId}`);
    const cells = await row.locator('td').allTextContents();
    check(cells[2] === '1', `given should be 1, the row says: ${cells.join(' | ')}`);
    check(cells[5] !== 'nooit', `last given should be a date: ${cells.join(' | ')}`);
    const unused = await page.locator('#unused-list > li').count();
    check(unused > 0, 'the never-used answers are not listed');
    const listed = await page.locator('#unused-list').textContent();
    check(!listed.includes(`(${answeredId}, Nederlands)`), `${answeredId} in Dutch is listed as unused`);
    if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  await step('the overlap between entries is listed', async () => {
    const summary = page.locator('#overlap-summary');
    await page.waitForFunction(
      () => /voorbeeldvragen: \d+ % komt/.test(document.getElementById('overlap-summary')?.textContent || ''),
      null,
      { timeout: 60_000 },
    );
    const text = await summary.textContent();
    check(/paren antwoorden met overlap/.test(text), `the summary names no overlapping pairs: "${text}"`);
    const first = page.locator('#overlap-list > li').first();
    await expectVisible(first, 'the first overlapping pair');
    await first.locator('summary').click();
    const questions = await first.locator('li').count();
    check(questions > 0, 'an opened pair shows no questions');
  });

  await step('log out', async () => {
    await page.getByRole('button', { name: 'Uitloggen', exact: true }).click();
    await page.waitForURL(`${baseUrl}/staff`, { timeout: STEP_TIMEOUT_MS });
    await expectVisible(page.locator('#login-form'), 'the login form after logging out');
    const status = await page.evaluate(async () => (await fetch('/api/knowledge/usage')).status);
    check(status === 401, `the usage API answered ${status} after logging out`);
  });
}

async function run() {
  const { page, problems, close } = await launch(executablePath, {});
  try {
    try {
      await scenario(page);
      check(problems.length === 0, `the page reported problems:\n  ${problems.join('\n  ')}`);
    } catch (error) {
      if (screenshotPath) {
        const failure = screenshotPath.replace(/(\.png)?$/, '-failure.png');
        await page.screenshot({ path: failure, fullPage: true }).catch(() => {});
        console.error(`screenshot of the failure: ${failure}`);
      }
      const notice = await page.locator('#notice-text').textContent({ timeout: 1000 }).catch(() => null);
      if (notice) console.error(`the page's message area said: ${notice}`);
      if (problems.length) console.error(`the page reported:\n  ${problems.join('\n  ')}`);
      throw error;
    }
  } finally {
    await close();
  }
}

await finish(run, TOTAL_TIMEOUT_MS, 'editors browser test passed');
