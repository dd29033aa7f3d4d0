// Browser test of the staff page: Debian's Chromium, headless, driven by
// playwright-core. Started by tests/integration/browser.rs, which runs the
// real app (temp SQLite, fake Graph API) and checks afterwards that the
// reply reached the fake Graph API and the conversation is closed.
//
// Scenario: log in; a citizen's message is posted to the webhook (signed
// like Meta does) and appears in the queue without a reload; open it,
// claim it; the urgent thread shows its own short deadline; the citizen
// writes again while another thread is open: an unread badge and "(1)" in
// the tab title, cleared by opening the thread; reply: the row waits on
// the citizen, without a deadline; send a photo (a wrong file refused first), close it
// with a topic; (context) the reveal shows the citizen's number, a note
// and a transfer to a team with a note appear in the history, a note over
// the limit is refused beside its form, and the search finds the closed
// thread (a wrong date refused, naming the field), axe clean in each of
// those states. The reply box (issue 22): a bot message's *bold* shows
// bold; a reply over WhatsApp's limit is refused beside the reply box; a
// saved reply picked with "/" + word + Enter lands filled in; a draft
// survives a reload and is gone after sending and after logging out; axe
// finds nothing in each of these states. Then open the reports page and see
// its charts; start setting up two-step verification and see its QR code
// (inserted as SVG under the strict CSP); see a citizen's photo, play
// their voice note and download their PDF; log out; log in again through
// single sign-on (when set up).
//
// Environment:
//   BASE_URL             the running app, e.g. http://127.0.0.1:43210
//   LOKET_USER, LOKET_PASSWORD   a staff account
//   APP_SECRET           the app secret the webhook body is signed with
//   LOKET_WEBHOOK_BODY   the webhook body to post (JSON, sent as is)
//   LOKET_CITIZEN_TEXT   the citizen's text in that body
//   LOKET_CITIZEN_MASKED the same as staff first see it (personal data masked)
//   LOKET_CITIZEN_LINK   the domain of the link in it
//   LOKET_CITIZEN_LABEL  how the queue names that citizen ("•••• 0001")
//   LOKET_WEBHOOK_BODY_2 the same citizen's next message (JSON), posted
//                        once the thread is claimed
//   LOKET_CITIZEN_TEXT_2 the text in it
//   LOKET_URGENT_LABEL   the queue label of a citizen in an urgent thread
//   LOKET_URGENT_MINUTES the urgent promise in minutes ([promise] urgent)
//   LOKET_REPLY_TEXT     what staff types as the reply
//   LOKET_TOPIC          the topic to close with
//   LOKET_CITIZEN_NUMBER the citizen's number as the reveal shows it
//   LOKET_NOTE_TEXT      an internal note to write
//   LOKET_TEAM           a configured topic (team) to pass the thread to
//   LOKET_TRANSFER_NOTE  the note that goes with that transfer
//   LOKET_ATTACH_FILE    a PNG to attach to a second reply (its path)
//   LOKET_ATTACH_CAPTION the caption sent with it
//   LOKET_SCREENSHOT     where to save a screenshot of the queue page (optional)
//   LOKET_CHROMIUM       the browser (default /usr/bin/chromium)
//   LOKET_MEDIA_CITIZEN  (optional) the queue label of a citizen who sent a
//                        photo, a PDF and a voice note, all fetched already
//   LOKET_SSO_USER, LOKET_SSO_LABEL  (optional) log in once more through
//                        single sign-on as this user of tests/oidc/provider.mjs,
//                        with the button "Inloggen met <label>"
//
// Exits 0 when every step passed, 1 with the failed step's name otherwise.

import { createHmac } from 'node:crypto';
import path from 'node:path';
import { CHROMIUM_ARGS, STEP_TIMEOUT_MS, StepFailure, axe, check, env, expectHidden, expectText, expectVisible, finish, launch, step } from './common.mjs';

const TOTAL_TIMEOUT_MS = 180_000;

const baseUrl = env('BASE_URL').replace(/\/$/, '');
const user = env('LOKET_USER');
const password = env('LOKET_PASSWORD');
const appSecret = env('APP_SECRET');
const webhookBody = env('LOKET_WEBHOOK_BODY');
const citizenText = env('LOKET_CITIZEN_TEXT');
const citizenMasked = env('LOKET_CITIZEN_MASKED');
const citizenLink = env('LOKET_CITIZEN_LINK');
const citizenLabel = env('LOKET_CITIZEN_LABEL');
const secondBody = env('LOKET_WEBHOOK_BODY_2');
const secondText = env('LOKET_CITIZEN_TEXT_2');
const urgentLabel = env('LOKET_URGENT_LABEL');
const urgentMinutes = Number(env('LOKET_URGENT_MINUTES'));
const replyText = env('LOKET_REPLY_TEXT');
const topic = env('LOKET_TOPIC');
const citizenNumber = env('LOKET_CITIZEN_NUMBER');
const noteText = env('LOKET_NOTE_TEXT');
const team = env('LOKET_TEAM');
const transferNote = env('LOKET_TRANSFER_NOTE');
const attachFile = env('LOKET_ATTACH_FILE');
const attachCaption = env('LOKET_ATTACH_CAPTION');
const screenshotPath = process.env.LOKET_SCREENSHOT || '';
const executablePath = env('LOKET_CHROMIUM', '/usr/bin/chromium');
// Single sign-on (optional): a user of the test provider and the button's label.
const ssoUser = process.env.LOKET_SSO_USER || '';
const ssoLabel = process.env.LOKET_SSO_LABEL || '';
const mediaCitizen = process.env.LOKET_MEDIA_CITIZEN || '';

// A voice note is started by the script, not by a click.
const STAFF_CHROMIUM_ARGS = [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'];

// Runs `action` on `page`; returns the errors the page logged meanwhile
// (a CSP violation is one).
async function consoleErrorsDuring(page, action) {
  const problems = [];
  const listen = (message) => {
    if (message.type() === 'error') problems.push(message.text());
  };
  page.on('console', listen);
  try {
    await action();
  } finally {
    page.off('console', listen);
  }
  return problems;
}

async function postWebhook(body = webhookBody) {
  const signature = createHmac('sha256', appSecret).update(body, 'utf8').digest('hex');
  const response = await fetch(`${baseUrl}/webhooks/whatsapp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
    body,
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  check(response.status === 200, `the webhook answered ${response.status}, not 200`);
}

// Waits (bounded) until the tab title passes `test`; fails with the title.
async function expectTitle(page, test, what) {
  try {
    await page.waitForFunction(test, null, { timeout: STEP_TIMEOUT_MS });
  } catch {
    throw new StepFailure(`${what}: the tab title is "${await page.title()}"`);
  }
}

async function run() {
  const { page, problems, close } = await launch(executablePath, { args: STAFF_CHROMIUM_ARGS });
  try {

    try {
      await scenario(page);
      check(problems.length === 0, `the page reported problems:\n  ${problems.join('\n  ')}`);
    } catch (error) {
      const failure = screenshotPath ? screenshotPath.replace(/(\.png)?$/, '-failure.png') : '';
      if (failure) {
        await page.screenshot({ path: failure, fullPage: true }).catch(() => {});
        console.error(`screenshot of the failure: ${failure}`);
      }
      const notice = await page.locator('#notice-text').textContent({ timeout: 1000 }).catch(() => null);
      if (notice) console.error(`the page's message area said: ${notice}`);
      const beside = await page.locator('.form-feedback:not([hidden])').allTextContents().catch(() => []);
      if (beside.length) console.error(`beside the forms: ${beside.join(' | ')}`);
      if (problems.length) console.error(`the page reported:\n  ${problems.join('\n  ')}`);
      throw error;
    }
  } finally {
    await close();
  }
}

async function scenario(page) {
  // The queue preview is masked and cut at 80 characters.
  const row = page.locator('#queue-list > li', { hasText: citizenMasked.slice(0, 40) });
  // The same thread by its citizen, once a later message changed the preview.
  const threadRow = page.locator('#queue-list > li', { hasText: citizenLabel });

  await step('open the page', async () => {
    const response = await page.goto(`${baseUrl}/staff`);
    check(response && response.status() === 200, `GET /staff answered ${response?.status()}`);
    const policy = response.headers()['content-security-policy'] || '';
    check(policy.includes("default-src 'self'"), `no strict Content-Security-Policy: "${policy}"`);
    await expectVisible(page.locator('#login-form'), 'the login form');
  });

  await step('a wrong password is refused visibly', async () => {
    await page.getByLabel('Gebruikersnaam').fill(user);
    await page.getByLabel('Wachtwoord').fill(`${password}-wrong`);
    await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
    await expectText(page.locator('#notice'), 'klopt niet', 'the message area');
    check(await page.locator('#workspace').isHidden(), 'the workspace showed after a wrong password');
  });

  await step('log in', async () => {
    await page.getByLabel('Wachtwoord').fill(password);
    await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
    await expectVisible(page.locator('#workspace'), 'the workspace');
    await expectText(page.locator('#whoami-name'), user, 'the logged-in name');
    await expectText(page.locator('#live-status'), 'Live', 'the live indicator');
    check((await row.count()) === 0, 'the citizen is already in the queue before writing');
    // Set a marker: a reload would wipe it.
    await page.evaluate(() => {
      window.loketNoReload = true;
    });
  });

  await step('a citizen writes; the thread appears without reload', async () => {
    await postWebhook();
    await expectVisible(row, `a queue row with "${citizenText}"`);
    check(await page.evaluate(() => window.loketNoReload === true), 'the page was reloaded');
    await expectText(row, 'Vroeg om een medewerker', 'the queue row reason');
    await expectText(row.locator('.q-left'), 'nog ', 'the time left');
    await expectText(row, 'In de wachtrij', 'the queue row state');
    // Urgent threads first, each marked.
    const urgent = await page.locator('#queue-list > li').evaluateAll((rows) =>
      rows.map((r) => r.classList.contains('urgent') && r.querySelector('.badge-urgent') !== null),
    );
    const firstCalm = urgent.indexOf(false);
    check(
      firstCalm === -1 || !urgent.slice(firstCalm).includes(true),
      `an urgent thread is listed after a non-urgent one: ${JSON.stringify(urgent)}`,
    );
    check(!(await row.evaluate((r) => r.classList.contains('urgent'))), 'the new thread is marked urgent');
  });

  await step('open the conversation', async () => {
    await row.locator('button').click();
    await expectVisible(page.locator('#conv-body'), 'the conversation');
    // The address names the thread by its random public id, never by a number.
    const hash = await page.evaluate(() => location.hash);
    check(/^#gesprek-[0-9a-f]{32}$/.test(hash), `the address names the thread as ${hash}`);
    await expectText(page.locator('#conv-reason'), 'Vroeg om een medewerker', 'the reason');
    await expectText(page.locator('#conv-language'), 'Nederlands', 'the language');
    await expectText(page.locator('#conv-state'), 'In de wachtrij', 'the state');
    const citizenMessage = page.locator('#thread .msg.from-citizen', { hasText: citizenMasked });
    await expectVisible(citizenMessage, 'the masked citizen message in the thread');
    // Citizen text is text: markup in it must not become elements or links.
    check((await page.locator('#thread a, #thread b, #thread img').count()) === 0, 'citizen markup was rendered');
    await expectText(citizenMessage.locator('.msg-links'), citizenLink, 'the link domain beside the message');
    await expectVisible(page.getByRole('button', { name: 'Persoonsgegevens tonen', exact: true }), 'the reveal button');
    await expectVisible(page.getByRole('button', { name: 'Oppakken', exact: true }), 'the claim button');
    check(await page.locator('#reply-area').isHidden(), 'the reply box shows before claiming');
  });

  if (screenshotPath) {
    await step('screenshot of the queue page', async () => {
      await page.screenshot({ path: screenshotPath, fullPage: true });
      console.log(`     saved ${screenshotPath}`);
    });
  }

  await step('claim it', async () => {
    await page.getByRole('button', { name: 'Oppakken', exact: true }).click();
    await expectText(page.locator('#conv-state'), 'Opgepakt door u', 'the state after claiming');
    // The confirmation beside the buttons, not in the bar at the top.
    await expectText(page.locator('#actions-feedback'), 'opgepakt', 'the feedback beside the buttons');
    await expectText(row, 'Opgepakt door u', 'the queue row after claiming');
    await expectVisible(page.locator('#reply-text'), 'the reply box');
    await expectVisible(page.getByRole('button', { name: 'Teruggeven', exact: true }), 'the release button');
    check(await page.getByRole('button', { name: 'Oppakken', exact: true }).isHidden(), 'the claim button still shows');
  });

  await step('the urgent thread shows its own short deadline', async () => {
    const urgentRow = page.locator('#queue-list > li.urgent', { hasText: urgentLabel });
    await expectVisible(urgentRow, `the urgent row of ${urgentLabel}`);
    const left = ((await urgentRow.locator('.q-left').textContent()) || '').trim();
    const minutes = /^nog (\d+) min$/.exec(left);
    check(minutes && Number(minutes[1]) <= urgentMinutes, `the urgent thread's deadline reads "${left}", not within ${urgentMinutes} min`);
    await expectText(urgentRow.locator('.q-waiting'), 'wacht op ons', 'the urgent row');
    check(
      (await page.locator('#queue-list > li').first().getAttribute('class')).includes('urgent'),
      'the urgent thread is not pinned at the top',
    );
  });

  await step('the citizen writes again: an unread badge and "(1)" in the tab title', async () => {
    await expectText(threadRow.locator('.q-waiting'), 'wacht op ons', 'my row before the reply');
    check((await threadRow.locator('.badge-unread').count()) === 0, 'my thread has an unread badge while open');
    // Look at another thread, so the new message is not read at once.
    await page.locator('#queue-list > li', { hasText: urgentLabel }).locator('button').click();
    await expectText(page.locator('#conv-title'), urgentLabel, 'the urgent thread');
    await postWebhook(secondBody);
    await expectText(threadRow.locator('.badge-unread'), '1', 'the unread badge');
    await expectTitle(page, () => document.title.startsWith('(1) '), 'one unread message');
  });

  await step('opening the thread clears the badge and the title', async () => {
    await threadRow.locator('button').click();
    await expectVisible(page.locator('#thread .msg.from-citizen', { hasText: secondText }), 'the new message');
    await expectHidden(threadRow.locator('.badge-unread'), 'the unread badge');
    await expectTitle(page, () => !document.title.startsWith('('), 'nothing unread');
    await expectVisible(page.locator('#reply-text'), 'the reply box');
  });

  await step('reveal the personal data', async () => {
    await page.getByRole('button', { name: 'Persoonsgegevens tonen', exact: true }).click();
    await expectVisible(page.locator('#thread .msg.from-citizen', { hasText: citizenText }), 'the unmasked message');
    await expectText(page.locator('#privacy-text'), 'vastgelegd', 'the privacy bar');
    await expectText(page.locator('#contact-line'), citizenNumber, 'the revealed number');
    await axe(page, 'with the number revealed');
  });

  await step('a reply with a link to an unknown site is refused visibly', async () => {
    const draft = `Kijk op http://${citizenLink}/iets`;
    await page.locator('#reply-text').fill(draft);
    await page.getByRole('button', { name: 'Versturen', exact: true }).click();
    // The server's refusal, as it worded it, beside the reply box.
    await expectText(page.locator('#reply-feedback[data-kind="error"]'), citizenLink, 'the error beside the reply box');
    check((await page.locator('#reply-text').inputValue()) === draft, 'the refused draft was lost');
    await page.locator('#reply-text').fill('');
  });

  await replyBoxSteps(page);

  await step('search the knowledge base and insert an answer', async () => {
    await page.getByLabel('Zoek in de kennisbank').fill('paspoort aanvragen');
    await page.getByRole('button', { name: 'Zoeken', exact: true }).click();
    const hit = page.locator('#knowledge-hits button.hit').first();
    await expectVisible(hit, 'a knowledge hit');
    await hit.click();
    const inserted = await page.locator('#reply-text').inputValue();
    check(inserted.trim().length > 20, `the answer was not inserted (reply box: "${inserted}")`);
  });

  await step('reply', async () => {
    await page.locator('#reply-text').fill(replyText);
    await page.locator('#reply-text').press('Control+Enter');
    await expectText(page.locator('#reply-feedback'), 'Antwoord verstuurd', 'the feedback beside the reply box');
    await expectVisible(page.locator('#thread .msg.from-staff', { hasText: replyText }), 'the reply in the thread');
    check((await page.locator('#reply-text').inputValue()) === '', 'the reply box was not emptied');
    check((await drafts(page)).length === 0, `a draft is kept after sending: ${JSON.stringify(await drafts(page))}`);
  });

  await step('after the reply the thread waits on the citizen, without a deadline', async () => {
    await expectText(threadRow.locator('.q-waiting'), 'wacht op inwoner', 'my row after the reply');
    await expectHidden(threadRow.locator('.q-left'), 'the deadline in my row');
    check((await threadRow.locator('.left-late').count()) === 0, 'my row shows a late deadline');
    await expectText(page.locator('#conv-waiting'), 'wacht op inwoner', 'the thread header');
    await expectText(page.locator('#conv-deadline'), '–', 'the deadline in the thread header');
    // The history in words, never stored codes like "staff:ilse".
    const history = (await page.locator('#history-list').textContent()) || '';
    const name = user.charAt(0).toUpperCase() + user.slice(1);
    check(history.includes(`Opgepakt door ${name}`), `the history does not say who claimed it: "${history}"`);
    check(history.includes('Vroeg om een medewerker'), `the history does not give the reason in words: "${history}"`);
    check(!/staff:|asked_for_person|\(claimed\)/.test(history), `the history shows codes: "${history}"`);
  });

  await step('attach a photo: name and size shown, removable, a wrong file refused', async () => {
    const input = page.locator('#reply-file');
    check((await input.getAttribute('accept')) === 'image/jpeg,image/png,application/pdf', 'the file picker accepts other types');
    await input.setInputFiles(attachFile);
    const name = path.basename(attachFile);
    await expectText(page.locator('#reply-file-info'), name, 'the chosen file');
    await expectText(page.locator('#reply-file-info'), 'bytes', 'the chosen file size');
    await page.getByRole('button', { name: 'Bijlage verwijderen', exact: true }).click();
    await expectHidden(page.locator('#reply-file-info'), 'the removed file');
    // HTML dressed up as a PDF: the server reads the bytes and refuses it.
    await input.setInputFiles({ name: 'brief.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<!doctype html><p>nep</p>') });
    await page.getByRole('button', { name: 'Versturen', exact: true }).click();
    await expectText(page.locator('#reply-feedback[data-kind="error"]'), 'Alleen een foto (JPEG of PNG) of een PDF', 'the error beside the reply box');
    check((await page.locator('#thread .msg.from-staff', { hasText: 'brief.pdf' }).count()) === 0, 'the refused file is in the thread');
  });

  await step('send the photo with a caption', async () => {
    await page.locator('#reply-file').setInputFiles(attachFile);
    await page.locator('#reply-text').fill(attachCaption);
    await page.getByRole('button', { name: 'Versturen', exact: true }).click();
    await expectText(page.locator('#reply-feedback'), 'Bijlage verstuurd', 'the feedback beside the reply box');
    const name = path.basename(attachFile);
    await expectVisible(page.locator('#thread .msg.from-staff', { hasText: name }), 'the photo in the thread');
    await expectHidden(page.locator('#reply-file-info'), 'the sent file beside the reply box');
    check((await page.locator('#reply-text').inputValue()) === '', 'the caption was not emptied');
  });

  await step('a note appears in the history; one over the limit is refused beside its form', async () => {
    const history = page.locator('#history-list');
    await page.getByLabel('Interne notitie').fill('x'.repeat(2001));
    await page.getByRole('button', { name: 'Notitie opslaan', exact: true }).click();
    await expectText(page.locator('#note-error'), 'te lang', 'the error beside the note form');
    check((await page.locator('#note-text').getAttribute('aria-invalid')) === 'true', 'the note field is not marked invalid');
    await axe(page, 'with a refused note');
    await page.getByLabel('Interne notitie').fill(noteText);
    await page.getByRole('button', { name: 'Notitie opslaan', exact: true }).click();
    await expectHidden(page.locator('#note-error'), 'the error beside the note form');
    await expectText(history.locator('li.history-note'), noteText, 'the note in the history');
    await expectText(history.locator('li.history-note'), 'Interne notitie van u', 'the note author');
    check((await page.locator('#thread', { hasText: noteText }).count()) === 0, 'the note shows as a message');
    await axe(page, 'with a note in the history');
  });

  await step('pass the thread to a team with a note, then claim it again', async () => {
    await page.getByLabel('Doorzetten naar collega of team').selectOption({ label: `Team ${team}` });
    await page.getByLabel('Notitie bij het doorzetten').fill(transferNote);
    await page.getByRole('button', { name: 'Doorzetten', exact: true }).click();
    await expectText(page.locator('#conv-state'), 'In de wachtrij', 'the state after the transfer');
    const history = page.locator('#history-list');
    await expectText(history.locator('li'), `Doorgezet naar team ${team}`, 'the transfer in the history');
    await expectText(history.locator('li.history-note'), transferNote, "the transfer's note in the history");
    await axe(page, 'after a transfer to a team');
    await page.getByRole('button', { name: 'Oppakken', exact: true }).click();
    await expectText(page.locator('#conv-state'), 'Opgepakt door u', 'the state after claiming again');
  });

  await step('close it with a topic', async () => {
    await page.getByLabel('Onderwerp bij afsluiten').fill(topic);
    await page.getByRole('button', { name: 'Afsluiten', exact: true }).click();
    await expectText(page.locator('#conv-state'), 'Afgesloten', 'the state after closing');
    await expectText(page.locator('#notice'), 'afgesloten', 'the message area');
    await expectHidden(threadRow, 'the closed conversation in the queue');
    check(await page.locator('#reply-area').isHidden(), 'the reply box still shows after closing');
    check(await page.evaluate(() => window.loketNoReload === true), 'the page was reloaded');
  });

  await step('search finds the closed thread; a wrong date is refused naming the field', async () => {
    const reference = (await page.evaluate(() => location.hash)).replace('#gesprek-', '').slice(0, 8);
    await page.locator('#closed-search > summary').click();
    await page.getByLabel('Afgesloten vanaf').fill('24-11-2026');
    await page.getByRole('button', { name: 'Zoeken in afgesloten gesprekken', exact: true }).click();
    await expectText(page.locator('#search-error'), 'Vanaf', 'the error beside the search form');
    check((await page.locator('#search-from').getAttribute('aria-invalid')) === 'true', 'the date field is not marked invalid');
    await axe(page, 'with a refused search');
    await page.getByLabel('Afgesloten vanaf').fill('');
    await page.getByLabel('Kenmerk').fill(reference);
    await page.getByRole('button', { name: 'Zoeken in afgesloten gesprekken', exact: true }).click();
    await expectHidden(page.locator('#search-error'), 'the error beside the search form');
    const found = page.locator('#search-results button', { hasText: `#${reference}` });
    await expectVisible(found, `the closed thread #${reference} in the results`);
    await expectText(found, topic, 'the topic of the found thread');
    await axe(page, 'with search results');
    await page.locator('#queue-list > li').first().locator('button').click();
    await found.click();
    await expectText(page.locator('#conv-state'), 'Afgesloten', 'the found thread, opened');
    check(await page.locator('#reply-area').isHidden(), 'the found thread is not read-only');
  });

  if (mediaCitizen) await mediaSteps(page);

  await step('the reports page shows its charts and figures', async () => {
    const problems = await consoleErrorsDuring(page, async () => {
      await page.getByRole('link', { name: 'Rapportage', exact: true }).click();
      await expectVisible(page.locator('#report-body'), 'the report');
      for (const chart of ['#chart-contacts', '#chart-waiting']) {
        await expectVisible(page.locator(`${chart} svg`), `the chart ${chart}`);
      }
      // The conversation closed above was handed over today: one bar at least.
      const bars = await page.locator('#chart-contacts svg rect.bar.handed-over').count();
      check(bars >= 1, `the contacts chart has ${bars} hand-over bars`);
      const rows = await page.locator('#days-table tbody tr').count();
      check(rows >= 1, 'the day table is empty');
    });
    check(problems.length === 0, `the reports page logged errors: ${problems.join('; ')}`);
    await page.getByRole('link', { name: 'Naar de werkplek', exact: true }).click();
    await expectVisible(page.getByRole('button', { name: 'Uitloggen', exact: true }), 'the staff page again');
  });

  await step('account security shows the QR code to set up two-step verification', async () => {
    const problems = await consoleErrorsDuring(page, async () => {
      await page.getByRole('button', { name: 'Beveiliging', exact: true }).click();
      await expectVisible(page.locator('#security-view'), 'the security view');
      await page.getByRole('button', { name: 'Tweestapsverificatie instellen', exact: true }).click();
      await expectVisible(page.locator('#mfa-qr svg path'), 'the QR code');
      const key = (await page.locator('#mfa-secret').textContent()) || '';
      check(/^[A-Z2-7]{32}$/.test(key), `the key shown is ${JSON.stringify(key)}`);
    });
    check(problems.length === 0, `the security view logged errors: ${problems.join('; ')}`);
    await page.getByRole('button', { name: 'Terug naar de wachtrij', exact: true }).click();
    await expectVisible(page.locator('#workspace'), 'the workspace again');
  });

  await step('log out', async () => {
    // A draft left in some thread: logging out removes it from this browser.
    await page.evaluate(() => localStorage.setItem('loket:draft:0123456789abcdef0123456789abcdef', 'vergeten concept'));
    await page.getByRole('button', { name: 'Uitloggen', exact: true }).click();
    await expectVisible(page.locator('#login-form'), 'the login form after logging out');
    check((await drafts(page)).length === 0, `drafts are kept after logging out: ${JSON.stringify(await drafts(page))}`);
    const queue = await page.evaluate(async () => (await fetch('/api/queue')).status);
    check(queue === 401, `the queue answered ${queue} after logging out`);
  });

  if (!ssoUser) return;
  await step('log in with single sign-on', async () => {
    const button = page.getByRole('link', { name: `Inloggen met ${ssoLabel}`, exact: true });
    await expectVisible(button, 'the single sign-on button');
    await button.click();
    // The provider's own login page (tests/oidc/provider.mjs).
    await expectVisible(page.getByLabel('Gebruiker'), "the provider's login form");
    check(!page.url().startsWith(baseUrl), `still on Loket: ${page.url()}`);
    await page.getByLabel('Gebruiker').fill(ssoUser);
    await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
    await expectVisible(page.locator('#workspace'), 'the workspace after single sign-on');
    check(page.url() === `${baseUrl}/staff`, `landed on ${page.url()}`);
    await expectText(page.locator('#whoami-name'), ssoUser, 'the logged-in name');
    await page.getByRole('button', { name: 'Uitloggen', exact: true }).click();
    await expectVisible(page.locator('#login-form'), 'the login form after logging out');
  });
}

// The drafts this browser keeps: [key, text] pairs.
function drafts(page) {
  return page.evaluate(() =>
    Object.keys(localStorage)
      .filter((key) => key.startsWith('loket:draft:'))
      .map((key) => [key, localStorage.getItem(key)]),
  );
}

// The reply box of a claimed thread that is open (issue 22, sections 3, 4).
async function replyBoxSteps(page) {
  const box = page.locator('#reply-text');
  const feedback = page.locator('#reply-feedback');

  await step("a bot message's *bold* renders as bold, without asterisks", async () => {
    const bot = page.locator('#thread .msg.from-bot').filter({ has: page.locator('.msg-text strong') }).first();
    await expectVisible(bot, 'a bot message with bold text');
    const text = (await bot.locator('.msg-text').textContent()) || '';
    check(!text.includes('*'), `the bot message shows asterisks: "${text}"`);
    const bold = ((await bot.locator('.msg-text strong').first().textContent()) || '').trim();
    check(bold.length > 0 && text.includes(bold), `the bold part "${bold}" is not in "${text}"`);
    await axe(page, 'on a claimed thread with formatted bot messages');
  });

  await step("a reply over WhatsApp's limit: the counter says so and the error shows beside the reply box", async () => {
    await box.fill('a'.repeat(4100));
    await expectText(page.locator('#reply-count'), '4 te veel', 'the character counter');
    check((await page.locator('#reply-count').getAttribute('data-over')) === 'true', 'the counter is not marked over the limit');
    await page.getByRole('button', { name: 'Versturen', exact: true }).click();
    await expectText(page.locator('#reply-feedback[data-kind="error"]'), 'te lang', 'the error beside the reply box');
    const top = (await page.locator('#notice-text').textContent()) || '';
    check(!top.includes('te lang'), 'the error (also) shows in the bar at the top');
    // Beside the form: just under the send button, not a screen away.
    const send = await page.getByRole('button', { name: 'Versturen', exact: true }).boundingBox();
    const shown = await feedback.boundingBox();
    check(send && shown && shown.y >= send.y && shown.y - (send.y + send.height) < 120, `the error is not beside the reply box: ${JSON.stringify({ send, shown })}`);
    check((await feedback.getAttribute('aria-live')) === 'polite', 'the error is not announced');
    await axe(page, 'with an error beside the reply box');
    await box.fill('');
    await expectText(page.locator('#reply-count'), '0 / 4.096', 'the character counter after emptying');
  });

  await step('a saved reply: "/" and a word, Enter, lands filled in', async () => {
    await box.focus();
    await page.keyboard.type('Goedemiddag. /terug');
    const list = page.getByRole('listbox', { name: 'Standaardantwoorden' });
    await expectVisible(list, 'the saved replies picker');
    const options = list.getByRole('option');
    await expectText(options.first(), 'Terugbellen', 'the first saved reply');
    check((await box.getAttribute('aria-expanded')) === 'true', 'the reply box does not say the picker is open');
    const active = await box.getAttribute('aria-activedescendant');
    check(active && (await page.locator(`#${active}`).getAttribute('aria-selected')) === 'true', `aria-activedescendant is ${active}`);
    await axe(page, 'with the saved replies picker open');
    await page.keyboard.press('Enter');
    await expectHidden(list, 'the picker after Enter');
    const text = await box.inputValue();
    const name = user.charAt(0).toUpperCase() + user.slice(1);
    check(text.startsWith('Goedemiddag. Wilt u liever gebeld worden?'), `the reply was not inserted at the "/": "${text}"`);
    check(!text.includes('/terug') && !text.includes('{'), `placeholders or the "/word" are left: "${text}"`);
    check(text.includes(name), `the colleague's name ${name} is not filled in: "${text}"`);
    check(/uiterlijk \*[^*{}]+\*/.test(text), `the deadline is not filled in: "${text}"`);
    await expectText(feedback, 'Terugbellen', 'the confirmation beside the reply box');
    // Escape closes the picker and leaves the text as typed.
    await page.keyboard.type(' /afs');
    await expectVisible(list, 'the picker again');
    await page.keyboard.press('Escape');
    await expectHidden(list, 'the picker after Escape');
    check((await box.inputValue()).endsWith(' /afs'), 'Escape changed the text');
  });

  await step('a draft survives a reload', async () => {
    const draft = 'Concept: ik kijk het na en kom erop terug.';
    await box.fill(draft);
    await page.reload();
    await expectVisible(page.locator('#conv-body'), 'the thread after the reload');
    await expectVisible(box, 'the reply box after the reload');
    try {
      await page.waitForFunction((text) => document.getElementById('reply-text').value === text, draft, { timeout: STEP_TIMEOUT_MS });
    } catch {
      throw new StepFailure(`the draft was lost in the reload: "${await box.inputValue()}"`);
    }
    await axe(page, 'after a reload with a draft');
    await box.fill('');
    check((await drafts(page)).length === 0, 'an emptied draft is kept');
    // The reload above was on purpose; later steps check for others.
    await page.evaluate(() => {
      window.loketNoReload = true;
    });
  });
}

// A citizen's photo, voice note and PDF, fetched before the page opens.
async function mediaSteps(page) {
  const thread = page.locator('#thread');
  await step("open the thread of the citizen who sent files", async () => {
    const mediaRow = page.locator('#queue-list > li', { hasText: mediaCitizen });
    await expectVisible(mediaRow, `a queue row of ${mediaCitizen}`);
    await mediaRow.locator('button').click();
    await expectVisible(thread.locator('.media').first(), 'a file in the thread');
  });

  await step('see the photo', async () => {
    const photo = thread.locator('img.media-thumb');
    await expectVisible(photo, 'the photo');
    try {
      await photo.evaluate(
        (img) =>
          new Promise((resolve, reject) => {
            const done = () => (img.naturalWidth > 0 ? resolve() : reject(new Error('not decoded')));
            if (img.complete) done();
            else {
              img.addEventListener('load', done, { once: true });
              img.addEventListener('error', () => reject(new Error('failed to load')), { once: true });
            }
          }),
      );
    } catch (error) {
      throw new StepFailure(`the photo did not load: ${error.message}`);
    }
    const [src, href] = [await photo.getAttribute('src'), await thread.locator('a.media-open').getAttribute('href')];
    check(href === src, `the thumbnail opens ${href}, not the photo ${src}`);
    check((await photo.getAttribute('loading')) === 'lazy', 'the thumbnail does not load lazily');
  });

  await step('play the voice note', async () => {
    const audio = thread.locator('audio.media-player');
    await expectVisible(audio, 'the voice note player');
    const played = await audio.evaluate(async (a) => {
      if (a.readyState < 1) {
        await new Promise((resolve, reject) => {
          a.addEventListener('loadedmetadata', resolve, { once: true });
          a.addEventListener('error', () => reject(new Error(`media error ${a.error?.code}`)), { once: true });
          a.load();
        });
      }
      await a.play();
      return { readyState: a.readyState, duration: a.duration, paused: a.paused };
    });
    check(played.readyState >= 1 && played.duration > 0, `the voice note has no duration: ${JSON.stringify(played)}`);
    check(!played.paused, 'the voice note does not play');
    await audio.evaluate((a) => a.pause());
    if (screenshotPath) {
      const media = screenshotPath.replace(/(\.png)?$/, '-media.png');
      await page.screenshot({ path: media, fullPage: true });
      console.log(`     saved ${media}`);
    }
  });

  await step('download the PDF', async () => {
    const link = thread.locator('a.media-download', { hasText: 'document' });
    await expectVisible(link, 'the document link');
    const served = await link.evaluate(async (a) => {
      const response = await fetch(a.href);
      const bytes = new Uint8Array(await response.arrayBuffer());
      return {
        status: response.status,
        disposition: response.headers.get('content-disposition') || '',
        magic: String.fromCharCode(...bytes.slice(0, 5)),
      };
    });
    check(served.status === 200, `the PDF answered ${served.status}`);
    check(/^attachment; filename="document-\d+\.pdf"$/.test(served.disposition), `the PDF is not an attachment: ${served.disposition}`);
    check(served.magic === '%PDF-', `the download is not a PDF: ${JSON.stringify(served.magic)}`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    check(/^document-\d+\.pdf$/.test(download.suggestedFilename()), `downloaded as ${download.suggestedFilename()}`);
  });
}

await finish(run, TOTAL_TIMEOUT_MS, 'browser test passed');
