// Browser test of the staff page through a shift (issue 22, section 5):
// Debian's Chromium, headless, driven by playwright-core. Started by
// tests/integration/keys_browser.rs, which runs the real app with 50
// threads in the queue (two held by this user, two by a colleague) and
// checks afterwards that the reply went out and the thread was closed.
//
// Scenario, at 1366x768: log in by typing; the filters' counts match
// what was seeded; without the mouse: j/k through the queue, Enter opens,
// c claims (the reply box and its send button are in view, the queue
// list scrolls and the page does not), type a reply and Ctrl+Enter,
// Escape, e and a topic and Enter close it, the offer of the next thread
// has the focus and n opens the oldest thread waiting on us; ? opens the
// shortcuts' help (focus kept inside), Escape closes it and the focus
// returns; / goes to the reply box with the saved replies listed. Then
// with the mouse: a filter shows only its rows and survives a reload; at
// 200 % zoom and at 320 px wide the page is one column that scrolls as a
// page, never sideways. axe finds nothing in each state.
//
// Environment:
//   BASE_URL                      the running app
//   LOKET_USER, LOKET_PASSWORD    a staff account
//   LOKET_COUNTS                  the seeded rows per filter (JSON: mine,
//                                 waiting, colleagues, all)
//   LOKET_OLDEST_LABEL            the queue label of the thread n must open
//   LOKET_REPLY_TEXT, LOKET_TOPIC what to reply and the closing topic
//   LOKET_CHROMIUM                the browser (default /usr/bin/chromium)
//   LOKET_SCREENSHOT              (optional) where to save screenshots
//
// Exits 0 when every step passed, 1 with the failed step's name otherwise.

import { axe, check, env, expectHidden, expectInPage, expectText, expectVisible, finish, launch, step } from './common.mjs';

const TOTAL_TIMEOUT_MS = 180_000;
const WIDE = { width: 1366, height: 768 };
const NARROW = { width: 320, height: 640 };
// 1366x768 at 200 % zoom, in CSS pixels.
const ZOOMED = { width: 683, height: 384 };

const baseUrl = env('BASE_URL').replace(/\/$/, '');
const user = env('LOKET_USER');
const password = env('LOKET_PASSWORD');
// A colleague in a second browser, who holds `counts.colleagues` threads.
const colleagueUser = env('LOKET_COLLEAGUE');
const counts = JSON.parse(env('LOKET_COUNTS'));
const oldestLabel = env('LOKET_OLDEST_LABEL');
const replyText = env('LOKET_REPLY_TEXT');
const topic = env('LOKET_TOPIC');
const executablePath = env('LOKET_CHROMIUM', '/usr/bin/chromium');
// (optional) where to save screenshots of the wide and the narrow page.
const screenshotPath = process.env.LOKET_SCREENSHOT || '';

async function screenshot(page, suffix) {
  if (!screenshotPath) return;
  const file = screenshotPath.replace(/(\.png)?$/, `-${suffix}.png`);
  await page.screenshot({ path: file });
  console.log(`     saved ${file}`);
}

const FILTER_NAMES = { mine: 'Mijn gesprekken', waiting: 'Wachtend', colleagues: 'Collega’s', all: 'Alle' };

// The id (or a description) of the focused element.
function focused(page) {
  return page.evaluate(() => {
    const node = document.activeElement;
    if (!node || node === document.body) return '(body)';
    return node.id || `${node.tagName.toLowerCase()}.${node.className}`;
  });
}

// Whether a box lies wholly inside the viewport.
function inside(box, viewport) {
  return box && box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height;
}

async function filterCounts(page) {
  const found = {};
  for (const name of Object.keys(FILTER_NAMES)) {
    found[name] = Number((await page.locator(`#filter-count-${name}`).textContent()) || 'NaN');
  }
  return found;
}

async function run() {
  const { page, problems, close } = await launch(executablePath, { viewport: WIDE });
  // A second browser (its own cookies): the colleague's staff page.
  const colleague = await launch(executablePath, { viewport: WIDE }).catch(async (error) => {
    await close();
    throw error;
  });
  try {
    await scenario(page, colleague.page).catch(async (error) => {
      await explainFailure(page, problems);
      throw error;
    });
    const all = [...problems, ...colleague.problems];
    check(all.length === 0, `the pages reported problems:\n  ${all.join('\n  ')}`);
  } finally {
    await close();
    await colleague.close();
  }
}

// What the page showed when a step failed: its messages and problems.
async function explainFailure(page, problems) {
  const said = [
    ...(await page.locator('.form-feedback:not([hidden])').allTextContents().catch(() => [])),
    (await page.locator('#notice-text').textContent({ timeout: 1000 }).catch(() => null)) || '',
  ].filter(Boolean);
  if (said.length) console.error(`the page said: ${said.join(' | ')}`);
  for (const problem of problems) console.error(`the page reported: ${problem}`);
}

async function scenario(page, colleaguePage) {
  const rows = page.locator('#queue-list > li');
  const keys = page.keyboard;

  await step('log in by typing', async () => {
    const response = await page.goto(`${baseUrl}/staff`);
    check(response && response.status() === 200, `GET /staff answered ${response?.status()}`);
    await expectVisible(page.locator('#login-form'), 'the login form');
    await expectInPage(page, () => document.activeElement?.id === 'login-username', null, 'the name field has no focus');
    await keys.type(user);
    await keys.press('Tab');
    await keys.type(password);
    await keys.press('Enter');
    await expectVisible(page.locator('#workspace'), 'the workspace');
    await expectInPage(page, (n) => document.querySelectorAll('#queue-list > li').length === n, counts.all, `the queue does not list ${counts.all} threads`);
  });

  // The colleague's view of the same queue: theirs and hers swap.
  const theirView = { ...counts, mine: counts.colleagues, colleagues: counts.mine };
  await step('a colleague logs in in a second browser and sees the queue from their side', async () => {
    const response = await colleaguePage.goto(`${baseUrl}/staff`);
    check(response && response.status() === 200, `GET /staff answered ${response?.status()}`);
    await colleaguePage.locator('#login-username').fill(colleagueUser);
    await colleaguePage.locator('#login-password').fill(password);
    await colleaguePage.locator('#login-password').press('Enter');
    await expectVisible(colleaguePage.locator('#workspace'), "the colleague's workspace");
    await expectInPage(
      colleaguePage,
      (n) => document.querySelectorAll('#queue-list > li').length === n,
      counts.all,
      `the colleague's queue does not list ${counts.all} threads`,
    );
    const found = await filterCounts(colleaguePage);
    const wrong = Object.keys(FILTER_NAMES).filter((name) => found[name] !== theirView[name]);
    check(wrong.length === 0, `the colleague's filters count ${JSON.stringify(found)}, expected ${JSON.stringify(theirView)}`);
  });

  await step('the filters count what was seeded, as a radio group', async () => {
    const found = await filterCounts(page);
    const wrong = Object.keys(FILTER_NAMES).filter((name) => found[name] !== counts[name]);
    check(wrong.length === 0, `the filters count ${JSON.stringify(found)}, seeded ${JSON.stringify(counts)}`);
    const group = page.getByRole('group', { name: 'Welke gesprekken tonen' });
    await expectVisible(group, 'the filter group');
    for (const [name, label] of Object.entries(FILTER_NAMES)) {
      const radio = group.getByRole('radio', { name: `${label} ${counts[name]}`, exact: true });
      check((await radio.count()) === 1, `no radio "${label} ${counts[name]}"`);
    }
    check(await group.getByRole('radio', { name: /^Alle/ }).isChecked(), '"Alle" is not the first choice');
    // Each row says its channel in words.
    await expectText(rows.first().locator('.q-channel'), 'WhatsApp', 'the channel of a row');
    await axe(page, 'on the queue with its filters');
  });

  await step('at 1366x768 the queue list scrolls, not the page', async () => {
    const scroll = await page.evaluate(() => {
      const list = document.getElementById('queue-list');
      const doc = document.scrollingElement;
      return {
        list: { scroll: list.scrollHeight, client: list.clientHeight, overflow: getComputedStyle(list).overflowY },
        doc: { scroll: doc.scrollHeight, client: doc.clientHeight },
        main: { scroll: document.getElementById('main').scrollHeight, client: document.getElementById('main').clientHeight },
      };
    });
    check(scroll.list.scroll > scroll.list.client && ['auto', 'scroll'].includes(scroll.list.overflow), `the queue list does not scroll: ${JSON.stringify(scroll)}`);
    check(scroll.doc.scroll <= scroll.doc.client + 1, `the page scrolls: ${JSON.stringify(scroll)}`);
    check(scroll.main.scroll <= scroll.main.client + 1, `the main area scrolls: ${JSON.stringify(scroll)}`);
  });

  let chosen = '';
  await step('j and k move through the queue; Enter opens', async () => {
    // Past the four held threads to the first waiting one, back and forth.
    for (let i = 0; i < counts.mine + counts.colleagues + 1; i += 1) await keys.press('j');
    await keys.press('k');
    await keys.press('j');
    const index = counts.mine + counts.colleagues;
    await expectInPage(
      page,
      (i) => document.activeElement === document.querySelectorAll('#queue-list .q-item')[i],
      index,
      `row ${index + 1} has no focus after j and k: the focus is on ${await focused(page)}`,
    );
    chosen = ((await rows.nth(index).locator('.q-citizen').textContent()) || '').trim();
    await expectText(rows.nth(index), 'In de wachtrij', 'the chosen row');
    await keys.press('ArrowUp');
    await keys.press('ArrowDown');
    await keys.press('Enter');
    await expectText(page.locator('#conv-title'), chosen, 'the opened thread');
    await expectText(page.locator('#conv-state'), 'In de wachtrij', 'the opened thread');
    await expectText(page.locator('#conv-channel'), 'WhatsApp', 'the channel in the header');
  });

  await step('c claims it; the reply box and its send button are in view', async () => {
    await keys.press('c');
    await expectText(page.locator('#conv-state'), 'Opgepakt door u', 'the state after c');
    await expectInPage(page, () => document.activeElement?.id === 'reply-text', null, 'the reply box has no focus after claiming');
    for (const [what, locator] of [
      ['the reply box', page.locator('#reply-text')],
      ['the send button', page.getByRole('button', { name: 'Versturen', exact: true })],
    ]) {
      const box = await locator.boundingBox();
      check(inside(box, WIDE), `${what} is not in view at 1366x768: ${JSON.stringify(box)}`);
    }
    // Still so with the queue list scrolled to its end: it scrolls alone.
    await page.evaluate(() => {
      const list = document.getElementById('queue-list');
      list.scrollTop = list.scrollHeight;
    });
    const send = await page.getByRole('button', { name: 'Versturen', exact: true }).boundingBox();
    check(inside(send, WIDE), `the send button left the view when the queue scrolled: ${JSON.stringify(send)}`);
    const thread = await page.evaluate(() => getComputedStyle(document.getElementById('thread')).overflowY);
    check(['auto', 'scroll'].includes(thread), `the thread does not scroll by itself (${thread})`);
    await axe(page, 'on a claimed thread at 1366x768');
    await screenshot(page, 'wide');
  });

  await step("the colleague's page shows the claim at once, without a reload", async () => {
    const after = { ...theirView, waiting: theirView.waiting - 1, colleagues: theirView.colleagues + 1 };
    await expectInPage(
      colleaguePage,
      (expected) =>
        Object.entries(expected).every(
          ([name, n]) => Number(document.getElementById(`filter-count-${name}`)?.textContent) === n,
        ),
      after,
      `the colleague's filters do not count ${JSON.stringify(after)} after the claim`,
    );
    // The thread itself says who has it now.
    await expectText(colleaguePage.locator('#queue-list > li', { hasText: chosen }), 'Opgepakt door', 'the claimed row');
    await axe(colleaguePage, "on the colleague's queue after the claim");
  });

  await step('type a reply and send it with Ctrl+Enter', async () => {
    await keys.type(replyText);
    await keys.press('Control+Enter');
    await expectText(page.locator('#reply-feedback'), 'Antwoord verstuurd', 'the feedback beside the reply box');
    await expectVisible(page.locator('#thread .msg.from-staff', { hasText: replyText }), 'the reply in the thread');
  });

  await step('Escape leaves the reply box; e and a topic and Enter close the thread', async () => {
    await keys.press('Escape');
    await expectInPage(page, () => document.activeElement?.id === 'thread', null, 'Escape did not leave the reply box');
    await keys.press('e');
    await expectInPage(page, () => document.activeElement?.id === 'close-topic', null, 'e did not go to the closing topic');
    await keys.type(topic);
    await keys.press('Enter');
    await expectText(page.locator('#conv-state'), 'Afgesloten', 'the state after closing');
    await expectText(page.locator('#after-close-text'), topic, 'the closing confirmation');
    await expectInPage(page, () => document.activeElement?.id === 'next-button', null, `the offer of the next thread has no focus: ${await focused(page)}`);
    await axe(page, 'with the offer of the next thread');
  });

  await step('n opens the oldest thread waiting on us', async () => {
    await keys.press('n');
    await expectText(page.locator('#conv-title'), oldestLabel, 'the next thread');
    await expectText(page.locator('#conv-state'), 'Opgepakt door u', 'the next thread');
    await expectHidden(page.locator('#after-close'), 'the offer of the next thread');
    await expectInPage(page, () => document.activeElement?.id === 'conv-title', null, 'the next thread has no focus');
  });

  await step('/ goes to the reply box with the saved replies listed; Escape twice leaves it', async () => {
    await keys.press('/');
    await expectVisible(page.getByRole('listbox', { name: 'Standaardantwoorden' }), 'the saved replies');
    await expectInPage(page, () => document.activeElement?.id === 'reply-text', null, 'the reply box has no focus after /');
    await keys.press('Escape');
    await expectHidden(page.getByRole('listbox', { name: 'Standaardantwoorden' }), 'the saved replies after Escape');
    check((await page.locator('#reply-text').inputValue()) === '/', 'the reply box does not hold the "/"');
    await keys.press('Backspace');
    await keys.press('Escape');
    await expectInPage(page, () => document.activeElement?.id === 'thread', null, 'the second Escape did not leave the reply box');
    await page.locator('#conv-title').focus();
  });

  await step('? opens the help, the focus stays in it, Escape closes it and the focus returns', async () => {
    const dialog = page.getByRole('dialog', { name: 'Sneltoetsen' });
    await keys.press('?');
    await expectVisible(dialog, 'the help');
    const inDialog = () => document.activeElement?.closest('dialog[open]') !== null;
    await expectInPage(page, inDialog, null, 'the focus is not in the help');
    for (let i = 0; i < 5; i += 1) {
      await keys.press('Tab');
      check(await page.evaluate(inDialog), `Tab left the help for ${await focused(page)}`);
    }
    await keys.press('Shift+Tab');
    check(await page.evaluate(inDialog), `Shift+Tab left the help for ${await focused(page)}`);
    await axe(page, 'with the help open');
    await screenshot(page, 'help');
    await keys.press('Escape');
    await expectHidden(dialog, 'the help after Escape');
    await expectInPage(page, () => document.activeElement?.id === 'conv-title', null, `the focus did not return: ${await focused(page)}`);
  });

  await step('a filter shows its rows only and survives a reload', async () => {
    const waiting = page.getByRole('radio', { name: /^Wachtend/ });
    await page.locator('label[for="filter-waiting"]').click();
    check(await waiting.isChecked(), '"Wachtend" is not chosen');
    // One of the waiting was closed above.
    const expected = counts.waiting - 1;
    await expectInPage(page, (n) => document.querySelectorAll('#queue-list > li').length === n, expected, `"Wachtend" does not list ${expected} rows`);
    check((await page.locator('#queue-list > li:not([data-state="queued"])').count()) === 0, '"Wachtend" lists a claimed thread');
    await axe(page, 'with the filter "Wachtend"');
    await page.reload();
    await expectVisible(page.locator('#workspace'), 'the workspace after the reload');
    await expectInPage(page, (n) => document.querySelectorAll('#queue-list > li').length === n, expected, 'the filter was lost in the reload');
    check(await page.getByRole('radio', { name: /^Wachtend/ }).isChecked(), '"Wachtend" is not chosen after the reload');
    await page.locator('label[for="filter-mine"]').click();
    await expectInPage(page, (n) => document.querySelectorAll('#queue-list > li').length === n, counts.mine, '"Mijn gesprekken" lists other rows');
  });

  for (const [what, size] of [['at 200 % zoom (683x384)', ZOOMED], ['at 320 px wide', NARROW]]) {
    await step(`${what}: one column that scrolls as a page`, async () => {
      await page.setViewportSize(size);
      await rows.first().locator('button').click();
      await expectVisible(page.locator('#reply-text'), 'the reply box');
      const sizes = await page.evaluate(() => {
        const doc = document.scrollingElement;
        // What sticks out on the right, outermost first: says what to fix.
        const wide = [...document.querySelectorAll('body *')]
          .filter((node) => node.getBoundingClientRect().right > doc.clientWidth + 1 && node.checkVisibility())
          .filter((node, _, all) => !all.includes(node.parentElement))
          .slice(0, 5)
          .map((node) => `${node.tagName.toLowerCase()}#${node.id}.${node.className}`);
        return { width: doc.scrollWidth, client: doc.clientWidth, height: doc.scrollHeight, view: window.innerHeight, wide };
      });
      check(sizes.width <= sizes.client + 1, `the page scrolls sideways ${what}: ${JSON.stringify(sizes)}`);
      check(sizes.height > sizes.view, `the page does not scroll as one column ${what}: ${JSON.stringify(sizes)}`);
      await axe(page, what);
      await screenshot(page, `${size.width}`);
      await page.setViewportSize(WIDE);
    });
  }
}

await finish(run, TOTAL_TIMEOUT_MS, 'shift browser test passed');
