// Browser test of the reports page (/staff/rapport): Debian's Chromium,
// headless, at 1366×768, driven by playwright-core. Started by
// tests/integration/report_browser.rs, which runs the real app with a
// thread waiting for a person and a question the bot answered.
//
// Scenario: a staff member logs in and opens the reports page; the top
// answer shows by its title, not its id; the CSV link is there for the
// shown range and downloads CSV; chart text is 12 px or larger on screen;
// the "nu" panel shows the waiting thread, then (the thread claimed
// meanwhile) refreshes itself to the new figures; a reversed range says
// what is wrong; axe finds nothing in each of these states; log out.
//
// Environment:
//   BASE_URL                     the running app
//   LOKET_USER, LOKET_PASSWORD   a staff account
//   LOKET_ANSWER_TITLE           the title of the answer the bot gave
//   LOKET_ANSWER_ID              its id (must not show as the name)
//   LOKET_SCREENSHOT             where to save a screenshot (optional)
//   LOKET_CHROMIUM               the browser (default /usr/bin/chromium)
//
// Exits 0 when every step passed, 1 with the failed step's name otherwise.

import { STEP_TIMEOUT_MS, StepFailure, axe, check, env, expectText, finish, launch, step } from './common.mjs';

const TOTAL_TIMEOUT_MS = 120_000;

// What the Rust test passes in (see the header).
const given = {
  baseUrl: env('BASE_URL').replace(/\/$/, ''),
  user: env('LOKET_USER'),
  password: env('LOKET_PASSWORD'),
  answerTitle: env('LOKET_ANSWER_TITLE'),
  answerId: env('LOKET_ANSWER_ID'),
  screenshot: process.env.LOKET_SCREENSHOT || '',
  chromium: env('LOKET_CHROMIUM', '/usr/bin/chromium'),
};
const { baseUrl, user, answerTitle, answerId } = given;

// Fails the step when `locator` is not shown within the step's time.
function expectVisible(locator, what) {
  return locator
    .first()
    .waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS })
    .catch(() => Promise.reject(new StepFailure(`${what} is not shown`)));
}

// The "nu" panel's tile value under `title`.
async function tile(page, title) {
  return page.locator('#now-tiles > div', { has: page.locator('dt', { hasText: title }) }).locator('dd').textContent();
}

async function scenario(page) {
  // The page's clock is Playwright's, so the panel's 20-second poll can be
  // run on demand instead of waited for.
  await page.clock.install();

  await step('a staff member logs in and opens the reports page', async () => {
    await page.goto(`${baseUrl}/staff`);
    await page.getByLabel('Gebruikersnaam').fill(user);
    await page.getByLabel('Wachtwoord').fill(given.password);
    await page.getByRole('button', { name: 'Inloggen' }).click();
    await expectVisible(page.getByRole('button', { name: 'Uitloggen', exact: true }), 'the staff page after login');
    await page.goto(`${baseUrl}/staff/rapport`);
    await expectVisible(page.locator('#report-body'), 'the report');
    await expectText(page.locator('#whoami-name'), user, 'who is logged in');
  });

  await step('the top answer shows by its title', async () => {
    await expectText(page.locator('#top-faq > li'), answerTitle, 'the top answers');
    const listed = await page.locator('#top-faq').textContent();
    check(!listed.includes(answerId), `the answer's id shows: "${listed}"`);
  });

  await step('the CSV link downloads the shown range as CSV', async () => {
    const link = page.locator('#csv-link');
    await expectVisible(link, 'the CSV link');
    const href = await link.getAttribute('href');
    const from = await page.locator('#range-from').inputValue();
    const to = await page.locator('#range-to').inputValue();
    check(href === `/api/report/csv?from=${from}&to=${to}`, `the link is ${href} for ${from}..${to}`);
    const accessibleName = await link.textContent();
    check(/CSV/.test(accessibleName), `the link says "${accessibleName}"`);
    const download = await page.evaluate(async (url) => {
      const response = await fetch(url, { credentials: 'same-origin' });
      return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
    }, href);
    check(download.status === 200, `the CSV answered ${download.status}`);
    check(download.type.startsWith('text/csv'), `the CSV came as ${download.type}`);
    check(download.text.startsWith('kind,period,from,to,contacts,whatsapp,web,'), `the CSV starts: ${download.text.slice(0, 80)}`);
    check(download.text.includes(answerTitle), 'the CSV names the answer by its title too');
  });

  await step('chart text is 12 px or larger on screen', async () => {
    const sizes = await page.evaluate(() =>
      [...document.querySelectorAll('.chart-box svg text')].map((text) => {
        const size = parseFloat(getComputedStyle(text).fontSize);
        // The SVG is scaled to its box: what shows is the size times the scale.
        const scale = text.getScreenCTM().a;
        return { text: text.textContent, px: size * scale };
      }),
    );
    check(sizes.length > 10, `only ${sizes.length} chart texts`);
    const small = sizes.filter((s) => s.px < 12);
    check(small.length === 0, `chart text under 12 px: ${JSON.stringify(small.slice(0, 5))}`);
    const names = await page.locator('.chart-box svg').evaluateAll((svgs) =>
      svgs.map((svg) => [svg.getAttribute('role'), svg.getAttribute('aria-label'), svg.querySelector('desc')?.textContent]),
    );
    for (const [role, label, desc] of names) {
      check(role === 'img' && label && desc, `a chart without a text alternative: ${role} ${label} ${desc}`);
    }
  });

  await step('the nu panel shows the queue now', async () => {
    await expectVisible(page.locator('#now'), 'the nu panel');
    check((await tile(page, 'Wachtend')) === '1', `waiting: ${await tile(page, 'Wachtend')}`);
    const oldest = await tile(page, 'Langste wachttijd');
    check(/\d/.test(oldest), `the oldest wait: ${oldest}`);
    check((await tile(page, 'Medewerkers online')) === '1', `online: ${await tile(page, 'Medewerkers online')}`);
    const row = await page.locator('#now-colleagues tr', { hasText: user }).locator('td').allTextContents();
    check(row[0] === 'ja' && row[1] === '0', `${user}'s row: ${row.join(' | ')}`);
    if (given.screenshot) await page.screenshot({ path: given.screenshot, fullPage: true });
    await axe(page, 'on the reports page with the report and the nu panel');
  });

  await step('the nu panel refreshes itself', async () => {
    // Claim the waiting thread through the API, as on the staff page.
    const claimed = await page.evaluate(async () => {
      const session = await (await fetch('/api/session')).json();
      const queue = await (await fetch('/api/queue')).json();
      const waiting = queue.conversations.find((c) => c.state === 'queued');
      const response = await fetch(`/api/conversations/${waiting.id}/claim`, {
        method: 'POST',
        headers: { 'X-CSRF-Token': session.csrf_token, 'Content-Type': 'application/json' },
        body: '{}',
      });
      return response.status;
    });
    check(claimed === 200, `the claim answered ${claimed}`);
    await page.clock.runFor(21_000);
    try {
      await page.waitForFunction(
        () => document.querySelector('#now-tiles dd')?.textContent === '0',
        null,
        { timeout: STEP_TIMEOUT_MS },
      );
    } catch {
      throw new StepFailure(`the panel did not refresh: waiting still ${await tile(page, 'Wachtend')}`);
    }
    const row = await page.locator('#now-colleagues tr', { hasText: user }).locator('td').allTextContents();
    check(row[1] === '1', `${user}'s open threads after the claim: ${row.join(' | ')}`);
    check((await tile(page, 'Langste wachttijd')) === 'niemand wacht', 'the oldest wait with nobody waiting');
  });

  await step('a reversed range says what is wrong', async () => {
    const from = await page.locator('#range-from').inputValue();
    const to = await page.locator('#range-to').inputValue();
    await page.locator('#range-from').fill(to);
    await page.locator('#range-to').fill(from);
    await page.getByRole('button', { name: 'Tonen' }).click();
    await expectText(page.locator('#report-status'), 'begindatum', 'the status after a reversed range');
    await axe(page, 'on the reports page with a refused range');
    await page.locator('#range-from').fill(from);
    await page.locator('#range-to').fill(to);
    await page.getByRole('button', { name: 'Tonen' }).click();
    await expectVisible(page.locator('#report-body'), 'the report again');
  });

  await step('log out from the reports page', async () => {
    await Promise.all([
      page.waitForURL(`${baseUrl}/staff`, { timeout: STEP_TIMEOUT_MS }),
      page.locator('#logout-button').click(),
    ]);
    await expectVisible(page.locator('#login-form'), 'the login form after logging out');
    const after = await page.evaluate(() => Promise.all(['/api/report', '/api/report/now'].map(async (url) => (await fetch(url)).status)));
    check(after.every((status) => status === 401), `after logging out the report APIs answered ${after.join(', ')}`);
  });
}

// What the page showed when a step failed: a screenshot, its status line
// and the problems it reported.
async function explain(page, problems) {
  if (given.screenshot) {
    const failure = given.screenshot.replace(/(\.png)?$/, '-failure.png');
    await page.screenshot({ path: failure, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failure: ${failure}`);
  }
  const status = await page.locator('#report-status').textContent({ timeout: 1000 }).catch(() => null);
  if (status) console.error(`the page's status said: ${status}`);
  if (problems.length) console.error(`the page reported:\n  ${problems.join('\n  ')}`);
}

async function run() {
  // The size of a small office screen: the chart text is measured there.
  const browser = await launch(given.chromium, { viewport: { width: 1366, height: 768 } });
  try {
    await scenario(browser.page).catch(async (error) => {
      await explain(browser.page, browser.problems);
      throw error;
    });
    check(browser.problems.length === 0, `the page reported problems:\n  ${browser.problems.join('\n  ')}`);
  } finally {
    await browser.close();
  }
}

await finish(run, TOTAL_TIMEOUT_MS, 'reports browser test passed');
