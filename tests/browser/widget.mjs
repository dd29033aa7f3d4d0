// Browser test of the website chat widget (issue 24): Debian's Chromium,
// headless, driven by playwright-core. Started by
// tests/integration/widget_browser.rs, which runs the real app (temp
// SQLite, fake Graph API) and checks the store afterwards.
//
// Scenario: open the demo page; axe finds no WCAG 2.1 A/AA violation with
// the widget closed; open it with the keyboard only; ask a question the
// knowledge base answers and see the answer; axe again with it open; pick
// "Nee, een medewerker" with the keyboard and see the acknowledgement with
// a time; a staff member replies through the staff API and the reply
// appears; the network drops, staff reply again, the network comes back
// and the reply appears once, nothing repeated; close with Escape and the
// focus is back on the button.
//
// Environment:
//   BASE_URL                     the running app
//   LOKET_USER, LOKET_PASSWORD   a staff account (for the staff API)
//   LOKET_QUESTION               a question the knowledge base answers
//   LOKET_ANSWER                 a piece of that answer
//   LOKET_CHROMIUM               the browser (default /usr/bin/chromium)
//
// Every wait is bounded (STEP_TIMEOUT_MS, and TOTAL_TIMEOUT_MS for all).
// Exits 0 when every step passed, 1 with the failed step's name otherwise.

import { STEP_TIMEOUT_MS, StepFailure, axe, check, env, expectText, finish, launch, step } from './common.mjs';

const TOTAL_TIMEOUT_MS = 150_000;

const baseUrl = env('BASE_URL').replace(/\/$/, '');
const user = env('LOKET_USER');
const password = env('LOKET_PASSWORD');
const question = env('LOKET_QUESTION');
const answer = env('LOKET_ANSWER');
const executablePath = env('LOKET_CHROMIUM', '/usr/bin/chromium');

// Waits (bounded) until `probe` returns true.
async function until(probe, what) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new StepFailure(`timed out waiting for ${what}`);
}

// The staff side, through the staff API (as the staff page does).
async function staffLogin() {
  const response = await fetch(`${baseUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
  });
  check(response.status === 200, `staff login answered ${response.status}`);
  const cookie = response.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await response.json();
  return { cookie, csrf };
}

async function staffCall(session, method, url, body) {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  check(response.ok, `${method} ${url} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

async function run() {
  const { context, page, problems, close } = await launch(executablePath, { reducedMotion: 'reduce' });
  try {
    await scenario(context, page);
    check(problems.length === 0, `the page reported problems:\n  ${problems.join('\n  ')}`);
  } finally {
    await close();
  }
}

async function scenario(context, page) {
  const launcher = page.locator('button.launcher');
  const input = page.getByLabel('Je bericht');
  const log = page.locator('[role="log"] li');

  await step('the demo page shows the chat button', async () => {
    await page.goto(`${baseUrl}/widget/demo`);
    await launcher.waitFor({ state: 'visible' });
    check((await launcher.textContent()) === 'Chat met ons', 'the button says "Chat met ons"');
    check((await launcher.getAttribute('aria-expanded')) === 'false', 'aria-expanded is false');
  });

  await step('axe: no violations with the widget closed', () => axe(page, 'with the widget closed'));

  await step('open the widget with the keyboard only', async () => {
    for (let i = 0; i < 10 && !(await launcher.evaluate((b) => b.getRootNode().activeElement === b)); i++) {
      await page.keyboard.press('Tab');
    }
    check(await launcher.evaluate((b) => b.getRootNode().activeElement === b), 'Tab reaches the chat button');
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'visible' });
    await until(() => input.evaluate((i) => i.getRootNode().activeElement === i), 'the focus in the message field');
    const live = await page.locator('[role="log"]').getAttribute('aria-live');
    check(live === 'polite', `the message list is aria-live="polite", not ${live}`);
    await expectText(page.locator('.status'), 'medewerker', 'the availability line');
  });

  await step('ask a question the knowledge base answers', async () => {
    await page.keyboard.type(question);
    await page.keyboard.press('Enter');
    await expectText(log, question, 'the citizen message in the list');
    await expectText(log, answer, 'the answer');
    // WhatsApp's *bold* shows as bold, not as asterisks.
    const answers = page.locator('[role="log"] li.bot');
    const bold = await answers.locator('strong').count();
    const shown = (await answers.allInnerTexts()).join('\n');
    check(bold > 0, `the answer's *bold* is rendered as <strong>: ${shown}`);
    check(!/\*\S/.test(shown), `no raw asterisks in the bot's messages: ${shown}`);
  });

  await step('axe: no violations with the widget open', () => axe(page, 'with the widget open'));

  await step('ask for a person with the feedback button (keyboard)', async () => {
    const no = page.getByRole('button', { name: 'Nee, een medewerker' });
    await no.first().focus();
    await page.keyboard.press('Enter');
    await expectText(log, 'Je krijgt uiterlijk', 'the acknowledgement with a time');
  });

  const staff = await staffLogin();
  let thread;
  await step('a staff reply through the staff API appears in the widget', async () => {
    const queue = await staffCall(staff, 'GET', '/api/queue');
    thread = queue.conversations.find((t) => t.channel === 'web');
    check(thread, `no web chat in the queue: ${JSON.stringify(queue)}`);
    await staffCall(staff, 'POST', `/api/conversations/${thread.id}/claim`, {});
    await staffCall(staff, 'POST', `/api/conversations/${thread.id}/reply`, { text: 'Goedemorgen, u spreekt met Ilse.' });
    await expectText(log, 'u spreekt met Ilse', 'the staff reply');
  });

  await step('after a network drop the missed reply appears once', async () => {
    await context.setOffline(true);
    // The widget's stream breaks; staff reply meanwhile.
    await new Promise((done) => setTimeout(done, 1500));
    await staffCall(staff, 'POST', `/api/conversations/${thread.id}/reply`, { text: 'Bent u er nog?' });
    await new Promise((done) => setTimeout(done, 1500));
    await context.setOffline(false);
    await expectText(log, 'Bent u er nog?', 'the reply sent while offline');
    // Give a repeat time to show up, then count.
    await new Promise((done) => setTimeout(done, 2500));
    const texts = await log.allTextContents();
    const count = (needle) => texts.filter((t) => t.includes(needle)).length;
    check(count('Bent u er nog?') === 1, `the missed reply shows ${count('Bent u er nog?')} times`);
    check(count('u spreekt met Ilse') === 1, `the earlier reply shows ${count('u spreekt met Ilse')} times`);
    check(count(question) === 1, `the question shows ${count(question)} times`);
  });

  await step('Escape closes the widget and the focus returns to the button', async () => {
    await input.focus();
    await page.keyboard.press('Escape');
    await launcher.waitFor({ state: 'visible' });
    await until(() => launcher.evaluate((b) => b.getRootNode().activeElement === b), 'the focus back on the button');
  });
}

await finish(run, TOTAL_TIMEOUT_MS, 'widget browser test passed');
