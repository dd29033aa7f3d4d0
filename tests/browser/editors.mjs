// Browser test of the editors' page (/staff/kennisbank): Debian's Chromium,
// headless, driven by playwright-core. Started by
// tests/integration/usage.rs, which runs the real app with a few questions
// already asked (one refused, with a BSN in it; one answered).
//
// Scenario: an editor logs in on the staff page and lands on the editors'
// page; the refused question and its other wording show as one collapsed
// group with its count, masked and as text, and it opens to its details
// (nearest entries, wordings); the groups sort (most asked, newest, oldest)
// and filter (text, language); the group is marked as handled (it leaves
// the open list, shows under "Afgehandeld" with who marked it) and the
// mark is undone; axe finds no violation in each of these states; the
// usage table shows the answer given; the unused list is there; the
// overlap between entries is listed and a pair opens to its questions;
// the page stays short; log out.
//
// Environment:
//   BASE_URL                     the running app
//   LOKET_USER, LOKET_PASSWORD   an editor account
//   LOKET_GAP_TEXT               a word of the refused question
//   LOKET_GAP_SECRET             the personal data that must not show
//   LOKET_OTHER_GAP_TEXT         a word of another refused question, asked last
//   LOKET_ANSWERED_ID            the id of the answer that was given
//   LOKET_SCREENSHOT             where to save a screenshot (optional)
//   LOKET_CHROMIUM               the browser (default /usr/bin/chromium)
//
// Exits 0 when every step passed, 1 with the failed step's name otherwise.

import { STEP_TIMEOUT_MS, StepFailure, axe, check, env, finish, launch, step } from './common.mjs';

const TOTAL_TIMEOUT_MS = 120_000;

const baseUrl = env('BASE_URL').replace(/\/$/, '');
const user = env('LOKET_USER');
const password = env('LOKET_PASSWORD');
const gapText = env('LOKET_GAP_TEXT');
const gapSecret = env('LOKET_GAP_SECRET');
const otherGapText = env('LOKET_OTHER_GAP_TEXT');
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

  const groups = page.locator('#gap-list > li');
  const group = groups.filter({ hasText: gapText });
  const groupTexts = async () => (await groups.allTextContents()).map((t) => t.replace(/\s+/g, ' '));

  await step('two wordings of one question are one collapsed group, masked, as text', async () => {
    await expectVisible(group, 'the group of the refused question');
    check((await group.count()) === 1, `the two wordings are ${await group.count()} groups`);
    const details = group.locator('details');
    check((await details.getAttribute('open')) === null, 'the group is not collapsed');
    const summary = await group.locator('summary').textContent();
    check(/2 keer gevraagd/.test(summary), `no count of 2 in the group's line: "${summary}"`);
    check((await groups.count()) === 2, `expected 2 groups, found: ${(await groupTexts()).join(' | ')}`);
    await axe(page, 'with the groups collapsed');
    await group.locator('summary').click();
    const text = await group.first().textContent();
    check(text.includes('[BSN]'), `the BSN is not shown masked: "${text}"`);
    check(!text.includes(gapSecret), `the personal data shows: "${text}"`);
    check(/Dichtstbijzijnde antwoorden volgens de bot|Geen antwoord in de buurt/.test(text), `no nearest entries: "${text}"`);
    const other = await groups.filter({ hasText: otherGapText }).locator('summary').textContent();
    check(other.includes('<b>optocht</b>'), `the markup in a question is not shown as text: "${other}"`);
    check((await page.locator('#gap-list b').count()) === 0, 'markup in a question became an element');
    await axe(page, 'with a group opened');
  });

  await step('the groups sort and filter', async () => {
    await page.getByLabel('Sorteren').selectOption('newest');
    check((await groupTexts())[0].includes(otherGapText), `newest first does not start with the last question: ${(await groupTexts()).join(' | ')}`);
    await page.getByLabel('Sorteren').selectOption('oldest');
    check((await groupTexts())[0].includes(gapText), `oldest first does not start with the first question: ${(await groupTexts()).join(' | ')}`);
    await page.getByLabel('Sorteren').selectOption('count');
    check((await groupTexts())[0].includes(gapText), `most asked first is not the group of two: ${(await groupTexts()).join(' | ')}`);
    await page.getByLabel('Zoeken in de vragen').fill(otherGapText);
    check((await groups.count()) === 1 && (await groupTexts())[0].includes(otherGapText), `the text search shows: ${(await groupTexts()).join(' | ')}`);
    await axe(page, 'with a text search');
    await page.getByLabel('Zoeken in de vragen').fill('');
    await page.getByLabel('Taal').selectOption('en');
    check((await groups.count()) === 0, `English shows Dutch groups: ${(await groupTexts()).join(' | ')}`);
    const summary = await page.locator('#gaps-summary').textContent();
    check(/Pas de filters aan/.test(summary), `no hint with an empty filter: "${summary}"`);
    await axe(page, 'with no group passing the filter');
    await page.getByLabel('Taal').selectOption('');
    check((await groups.count()) === 2, 'all languages does not show both groups again');
  });

  await step('a group is marked as handled, shown under the filter, and the mark undone', async () => {
    await group.locator('summary').click();
    await group.getByRole('button', { name: 'Markeer als afgehandeld' }).click();
    await page.locator('#gaps-status-text', { hasText: 'gemarkeerd als afgehandeld' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#gap-list > li').length === 1);
    check((await group.count()) === 0, 'the handled group is still in the open list');
    await axe(page, 'after marking a group as handled');
    await page.getByLabel('Status').selectOption('handled');
    await expectVisible(group, 'the handled group under "Afgehandeld"');
    const summary = await group.locator('summary').textContent();
    check(/afgehandeld/.test(summary), `no handled badge: "${summary}"`);
    await group.locator('summary').click();
    const text = await group.textContent();
    check(text.includes(`Afgehandeld door ${user}`), `who handled it is not shown: "${text}"`);
    await axe(page, 'with the handled groups shown');
    await page.getByRole('button', { name: 'Ongedaan maken' }).click();
    await page.locator('#gaps-status-text', { hasText: 'staat weer open' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#gap-list > li').length === 0);
    await page.getByLabel('Status').selectOption('open');
    await expectVisible(group, 'the group open again');
    check((await groups.count()) === 2, 'not both groups open after the undo');
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

  await step('the page is short: groups, usage and overlap collapsed', async () => {
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    console.log(`     page height: ${height} px`);
    check(height < 4000, `the page is ${height} px tall`);
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
