// Loket staff page: the queue, one conversation, and the actions on it.
//
// Plain JavaScript, no build step; served by src/web/staff_page.rs under a
// strict Content-Security-Policy (no inline script or style).
//
// Invariant: citizen text is hostile input. Everything from the API reaches
// the page through textContent or form values, never parsed as HTML, so
// markup in a message stays text and links in it are not clickable.
// WhatsApp formatting is built as elements around text nodes (compose.js).

import { clearFeedback, localDrafts, setUpReplyBox, showFeedback, whatsappNodes } from './compose.js';

import { renderContext, revealShowsMore, setUpContext, teamOptions, transfer } from './context.js';

import { afterClose, channelText, filterQueue, renderKeys, setUpKeys } from './keys.js';

const REASONS = {
  no_answer: 'Bot wist geen antwoord',
  asked_for_person: 'Vroeg om een medewerker',
  feedback_no: 'Antwoord hielp niet',
  media: 'Foto/bestand/locatie',
  emergency: 'SPOED',
  entry_handover: 'Doorverwezen na antwoord',
  personal_case: 'Eigen situatie',
  not_ours: 'Onderwerp van een andere organisatie (verwijzing gestuurd)',
  flood: 'Veel berichten achter elkaar (bot antwoordt niet meer)',
  reopened: 'Heropend',
};
const LANGUAGES = { nl: 'Nederlands', en: 'Engels' };
const MESSAGE_STATUS = {
  pending: 'wordt verstuurd',
  sent: 'verstuurd',
  delivered: 'afgeleverd',
  read: 'gelezen',
  failed: 'niet afgeleverd',
};
// A thread's history in words: who did what, never a stored code.
const EVENT_WORDS = {
  queued: (who, detail) => `Doorgezet naar de wachtrij${detail ? `: ${reasonText(detail)}` : ''}`,
  claimed: (who) => `Opgepakt door ${who}`,
  released: (who, detail) => {
    const holder = detail ? personName(detail) : null;
    return holder && holder !== who ? `Teruggegeven aan de wachtrij door ${who} (had ${holder})` : `Teruggegeven aan de wachtrij door ${who}`;
  },
  transferred: (who, detail) =>
    detail?.startsWith('topic:')
      ? `Doorgezet naar team ${detail.slice('topic:'.length)} door ${who}`
      : `Overgedragen aan ${detail ? personName(detail) : 'een collega'} door ${who}`,
  replied: (who, detail) => (detail && detail.startsWith('template ') ? `Sjabloon gestuurd door ${who}` : `Beantwoord door ${who}`),
  closed: (who, detail) => `Afgesloten door ${who}${detail ? `, onderwerp: ${detail}` : ''}`,
  reopened: (who, detail) => `Heropend: de inwoner schreef opnieuw${detail ? ` (eerder: ${detail})` : ''}`,
  followup: () => 'Sjabloon “Heeft u nog een vraag?” verstuurd: het 24-uursvenster was verlopen',
};
const WAITING_ON = { us: 'wacht op ons', citizen: 'wacht op inwoner' };
const MEDIA_KINDS = {
  image: 'foto',
  video: 'video',
  audio: 'geluid',
  voice: 'spraakbericht',
  document: 'document',
  location: 'locatie',
  sticker: 'sticker',
  contacts: 'contactkaart',
};
const TIME_ZONE = 'Europe/Amsterdam';
const QUEUE_POLL_MS = 60_000; // safety net next to the live events
const CLOCK_TICK_MS = 30_000; // how often "nog 12 min" is recomputed
const MAX_RECONNECT_MS = 30_000;

const $ = (id) => document.getElementById(id);

const state = {
  session: null, // {username, role, csrf_token, topics}
  queue: [],
  skewMs: 0, // the server's clock minus the browser's
  currentId: null,
  current: null, // the open conversation's detail
  revealed: false, // personal data of the open conversation shown (audited)
  drafts: localDrafts(), // conversation id -> unsent reply text (localStorage)
  replyBox: null, // compose.js: counter, saved replies picker, length check
  unreadTotal: 0, // unread citizen messages in my threads (the tab title)
  staff: [],
  events: null, // the EventSource
  reconnectDelay: 1000,
  reconnectTimer: null,
  timers: [],
  queueRefresh: { timer: null, running: false, again: false },
  currentRefresh: null,
  pendingMediaRefresh: null,
  lastKnowledgeQuery: '',
};

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.error || null;
  }
}

// `body`: a value sent as JSON, or a FormData sent as it is (multipart;
// the browser sets its Content-Type with the boundary).
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.session) headers['X-CSRF-Token'] = state.session.csrf_token;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined || form ? body : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, { error: 'network' });
  }
  let data = null;
  if ((response.headers.get('content-type') || '').includes('json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function describeError(error) {
  if (!(error instanceof ApiError)) return `Er ging iets mis in de pagina: ${error}`;
  const body = error.body;
  // The server's own words first: it knows who and what (the claim limit
  // of the colleague a thread was passed to, not "you").
  if (error.code !== 'network' && typeof body.message === 'string' && body.message.trim()) return body.message;
  switch (error.code) {
    case 'network':
      return 'Geen verbinding met de server. Probeer het zo opnieuw.';
    case 'already_claimed':
      return `Al opgepakt door ${body.claimed_by || 'een collega'}.`;
    case 'claim_limit':
      return `U hebt al ${body.limit ?? 'het maximumaantal'} gesprekken opgepakt. Rond er eerst een af of geef er een terug.`;
    case 'not_queued':
      return 'Dit gesprek staat niet (meer) in de wachtrij.';
    case 'not_yours':
      return body.claimed_by
        ? `Dit gesprek is opgepakt door ${body.claimed_by}, niet door u.`
        : 'Dit gesprek is niet door u opgepakt.';
    case 'window_closed':
      return 'Het 24-uursvenster van WhatsApp is gesloten: vrije tekst kan niet meer. Stuur het sjabloon.';
    case 'unknown_user':
      return 'Die collega is onbekend of heeft geen toegang meer.';
    case 'invalid':
      return body.message || 'Dat is niet geldig; controleer de invoer.';
    case 'csrf':
      return 'De beveiligingscode van uw sessie klopte niet. Probeer het nog eens.';
    case 'forbidden':
      return 'Daar hebt u met uw rol geen toegang toe.';
    case 'not_found':
      return 'Dat gesprek bestaat niet (meer).';
    case 'invalid_credentials':
      return 'Gebruikersnaam of wachtwoord klopt niet.';
    case 'mfa_required':
    case 'invalid_code':
    case 'mfa_enrolment_required':
    case 'mfa_required_by_policy':
      return body.message;
    case 'too_many_attempts':
      return `Te veel pogingen. Probeer het over ${body.retry_after_seconds ?? 'enkele'} seconden opnieuw.`;
    case 'unauthenticated':
      return 'U bent niet (meer) ingelogd.';
    default:
      return body.message || `Er ging iets mis (HTTP ${error.status}).`;
  }
}

// Runs a user action: disables its button meanwhile, shows errors, and
// sends the user back to the login form when the session is gone.
// `near` (default: the button) is where its errors show.
async function act(button, action, near = button) {
  if (button) button.disabled = true;
  try {
    await action();
  } catch (error) {
    await handleError(error, near);
  } finally {
    if (button) button.disabled = false;
  }
}

// `near`: the control whose action failed; the error shows beside it.
async function handleError(error, near = null) {
  if (error instanceof ApiError && error.status === 401 && state.session) {
    loggedOut('Uw sessie is verlopen. Log opnieuw in.');
    return;
  }
  showNotice(describeError(error), 'error', near);
  if (error instanceof ApiError && error.code === 'csrf') {
    // Fetch the session's token again so the next try works.
    try {
      state.session = await api('GET', '/api/session');
    } catch {
      /* the next action reports it */
    }
  }
  // A conflict means the conversation changed under us: show how it is now.
  if (error instanceof ApiError && [403, 404, 409].includes(error.status) && state.currentId) {
    refreshCurrent();
    scheduleQueueRefresh(0);
  }
}

// ------------------------------------------------------------- the notice

let noticeTimer = null;

// `near`: show it beside that control's form instead (compose.js), when
// that form is in view; the bar under the top bar otherwise.
function showNotice(text, kind = 'info', near = null) {
  if (near && showFeedback(near, text, kind)) {
    hideNotice();
    return;
  }
  const notice = $('notice');
  clearTimeout(noticeTimer);
  notice.dataset.kind = kind;
  $('notice-text').textContent = text;
  notice.hidden = false;
  // Successes fade after a while; errors stay until closed or replaced.
  if (kind === 'ok') noticeTimer = setTimeout(hideNotice, 8000);
}

function hideNotice() {
  clearTimeout(noticeTimer);
  $('notice').hidden = true;
  $('notice-text').textContent = '';
}

// ------------------------------------------------------------ formatting

function nowMs() {
  return Date.now() + state.skewMs;
}

function duration(minutes) {
  if (minutes < 1) return 'minder dan 1 min';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} u`);
  if (mins && !days) parts.push(`${mins} min`);
  return parts.join(' ');
}

// "nog 1 u 20 min" or "te laat: 15 min", and how urgent that is.
function timeLeft(deadline, asap = false) {
  if (asap) return { text: 'zo snel mogelijk', level: 'soon' };
  if (!deadline) return { text: 'geen termijn', level: 'none' };
  const ms = Date.parse(deadline) - nowMs();
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  if (ms < 0) return { text: `te laat: ${duration(Math.max(minutes, 1))}`, level: 'late' };
  return { text: `nog ${duration(minutes)}`, level: ms < 15 * 60_000 ? 'soon' : 'ok' };
}

const clockFormat = new Intl.DateTimeFormat('nl-NL', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
});
const dateFormat = new Intl.DateTimeFormat('nl-NL', {
  timeZone: TIME_ZONE,
  weekday: 'short',
  day: 'numeric',
  month: 'short',
});

function when(iso) {
  if (!iso) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  const sameDay = dateFormat.format(at) === dateFormat.format(new Date(nowMs()));
  return sameDay ? clockFormat.format(at) : `${dateFormat.format(at)} ${clockFormat.format(at)}`;
}

// A colleague as the history names them: "Ilse" for the account ilse.
function personName(username) {
  if (!username) return 'een collega';
  return username.charAt(0).toUpperCase() + username.slice(1);
}

function actorName(actor) {
  if (actor === 'citizen') return 'de inwoner';
  if (actor === 'bot') return 'de bot';
  if (actor === 'system') return 'Loket';
  if (typeof actor === 'string' && actor.startsWith('staff:')) return personName(actor.slice('staff:'.length));
  return 'onbekend';
}

function eventText(event) {
  const words = EVENT_WORDS[event.kind];
  return words ? words(actorName(event.actor), event.detail || null) : `Wijziging door ${actorName(event.actor)}`;
}

function reasonText(reason) {
  if (!reason) return 'Onbekend';
  // A reason this page does not know yet: words, never the stored code.
  return REASONS[reason] || 'Andere reden';
}

function stateText(summary) {
  switch (summary.state) {
    case 'queued':
      return 'In de wachtrij';
    case 'claimed':
      return summary.claimed_by === state.session?.username
        ? 'Opgepakt door u'
        : `Opgepakt door ${summary.claimed_by || 'een collega'}`;
    case 'closed':
      return 'Afgesloten';
    case 'bot':
      return 'Bij de bot';
    default:
      return summary.state || '';
  }
}

function authorText(author) {
  if (author === 'citizen') return 'Inwoner';
  if (author === 'bot') return 'Bot';
  if (typeof author === 'string' && author.startsWith('staff:')) {
    const name = author.slice('staff:'.length);
    return name === state.session?.username ? 'U' : `Medewerker ${name}`;
  }
  return author || '';
}

function authorClass(author) {
  if (author === 'citizen') return 'from-citizen';
  if (author === 'bot') return 'from-bot';
  return 'from-staff';
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

// ---------------------------------------------------------------- queue

async function loadQueue() {
  const sentAt = Date.now();
  const data = await api('GET', '/api/queue');
  const serverNow = Date.parse(data.now);
  if (!Number.isNaN(serverNow)) state.skewMs = serverNow - (sentAt + Date.now()) / 2;
  state.queue = Array.isArray(data.conversations) ? data.conversations : [];
  state.unreadTotal = Number.isInteger(data.unread_total) ? data.unread_total : 0;
  renderQueue();
}

// Coalesces bursts of events into one fetch; never two fetches at once.
function scheduleQueueRefresh(delay = 150) {
  const refresh = state.queueRefresh;
  clearTimeout(refresh.timer);
  refresh.timer = setTimeout(async () => {
    if (!state.session) return;
    if (refresh.running) {
      refresh.again = true;
      return;
    }
    refresh.running = true;
    try {
      await loadQueue();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) loggedOut('Uw sessie is verlopen. Log opnieuw in.');
      else showNotice(`De wachtrij kon niet worden bijgewerkt: ${describeError(error)}`, 'error');
    } finally {
      refresh.running = false;
      if (refresh.again) {
        refresh.again = false;
        scheduleQueueRefresh(0);
      }
    }
  }, delay);
}

function renderQueue() {
  const list = $('queue-list');
  // Live updates must not take the keyboard focus away from the list.
  const focused = list.contains(document.activeElement)
    ? document.activeElement.closest('li')?.dataset.id
    : null;
  const shown = filterQueue(state.queue); // keys.js: the chosen filter
  const rows = shown.map((item) => queueRow(item));
  list.replaceChildren(...rows);
  if (focused) list.querySelector(`li[data-id="${focused}"] .q-item`)?.focus();
  $('queue-empty').hidden = shown.length > 0;
  const waiting = state.queue.filter((c) => c.state === 'queued').length;
  $('queue-count').textContent = `(${state.queue.length})`;
  renderTitle(waiting);
}

// "(2) Loket – werkplek KCC – 3 wachtend": unread citizen messages in my
// threads first, as mail and chat tabs do; the waiting threads after.
function renderTitle(waiting) {
  const unread = state.unreadTotal > 0 ? `(${state.unreadTotal}) ` : '';
  const queued = waiting > 0 ? ` – ${waiting} wachtend` : '';
  document.title = `${unread}Loket – werkplek KCC${queued}`;
}

// What a thread's row and header say about its deadline: only while it
// waits on us and nobody answered yet (the server decides, see signals).
function deadlineOf(item) {
  const signals = item.signals || {};
  return timeLeft(signals.due || null, signals.as_soon_as_possible === true);
}

function waitingText(item) {
  return WAITING_ON[item.signals?.waiting_on] || '';
}

function queueRow(item) {
  const left = deadlineOf(item);
  const signals = item.signals || {};
  const unread = Number.isInteger(item.unread) && item.unread > 0 ? item.unread : 0;
  const mine = item.state === 'claimed' && item.claimed_by === state.session?.username;
  const classes = ['q-row', `q-${item.state}`];
  if (item.urgent) classes.push('urgent');
  if (mine) classes.push('mine');
  const button = el(
    'button',
    {
      type: 'button',
      className: 'q-item',
      'aria-current': item.id === state.currentId ? 'true' : null,
    },
    el(
      'span',
      { className: 'q-line q-top' },
      item.urgent ? el('span', { className: 'badge badge-urgent', text: 'SPOED' }) : null,
      item.urgent && item.reason === 'emergency'
        ? null
        : el('span', { className: 'q-reason', text: reasonText(item.reason) }),
      unread
        ? el(
            'span',
            { className: 'badge badge-unread', title: `${unread} ongelezen ${unread === 1 ? 'bericht' : 'berichten'}` },
            String(unread),
            // Part of the row's name for screen readers, which is its
            // visible text (axe: label-content-name-mismatch).
            el('span', { className: 'visually-hidden', text: ' ongelezen' }),
          )
        : null,
      signals.due || signals.as_soon_as_possible
        ? el('span', {
            className: `q-left left-${left.level}`,
            text: left.text,
            dataset: { deadline: signals.due || '', asap: signals.as_soon_as_possible ? 'true' : null },
          })
        : null,
    ),
    el(
      'span',
      { className: 'q-line q-sub' },
      el('span', { className: 'q-citizen', text: item.citizen || `#${item.id.slice(0, 8)}` }),
      el('span', { className: 'q-channel', text: channelText(item.channel) }),
      el('span', { className: 'q-lang', text: (item.language || '').toUpperCase(), title: LANGUAGES[item.language] || null }),
      el('span', { className: 'q-state', text: stateText(item) }),
      el('span', { className: `q-waiting waiting-${signals.waiting_on || 'us'}`, text: waitingText(item) }),
    ),
    el('span', { className: 'q-preview' }, whatsappNodes(item.preview || '', { inline: true })),
  );
  button.addEventListener('click', () => openConversation(item.id));
  if (unread) classes.push('unread');
  return el('li', { className: classes.join(' '), dataset: { id: String(item.id), state: item.state } }, button);
}

function tickClocks() {
  for (const span of document.querySelectorAll('[data-deadline]')) {
    const left = timeLeft(span.dataset.deadline || null, span.dataset.asap === 'true');
    span.textContent = left.text;
    span.className = span.className.replace(/left-\w+/g, '').trim() + ` left-${left.level}`;
  }
}

// ---------------------------------------------------------- conversation

async function openConversation(id) {
  if (state.currentId !== id) clearFeedback();
  if (state.currentId !== null && state.currentId !== id) saveDraft();
  if (state.currentId !== id) state.revealed = false;
  state.currentId = id;
  history.replaceState(null, '', `#gesprek-${id}`);
  for (const row of document.querySelectorAll('#queue-list .q-item')) row.removeAttribute('aria-current');
  const row = document.querySelector(`#queue-list li[data-id="${id}"] .q-item`);
  if (row) row.setAttribute('aria-current', 'true');
  $('knowledge-hits').replaceChildren();
  $('knowledge-query').value = '';
  $('reply-text').value = state.drafts.get(id) || '';
  state.replyBox?.refresh();
  try {
    state.current = await fetchConversation(id);
    renderConversation({ scroll: true });
    $('conv-title').focus();
    if (state.current?.unread > 0) markRead(id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) closeConversationView();
    await handleError(error);
  }
}

// Personal data stays masked unless this user revealed it for this
// conversation; the server remembers a reveal for the rest of the login
// (audited once), so a reload keeps showing it.
function fetchConversation(id) {
  return api('GET', `/api/conversations/${id}`);
}

function reveal() {
  const id = state.currentId;
  return act($('reveal-button'), async () => {
    const detail = await api('POST', `/api/conversations/${id}/reveal`);
    if (state.currentId !== id) return;
    state.revealed = true;
    state.current = detail;
    renderConversation({ scroll: false });
  });
}

async function refreshCurrent() {
  const id = state.currentId;
  if (id === null || !state.session) return;
  try {
    const detail = await fetchConversation(id);
    if (state.currentId !== id) return;
    const before = state.current?.messages?.length ?? 0;
    state.current = detail;
    renderConversation({ scroll: (detail.messages?.length ?? 0) !== before });
    // A message that arrives while the thread is open in view is read.
    if (detail.unread > 0) markRead(id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      closeConversationView();
      showNotice(describeError(error), 'error');
    } else if (error instanceof ApiError && error.status === 401) {
      loggedOut('Uw sessie is verlopen. Log opnieuw in.');
    }
  }
}

// Tells the server this user has seen the open thread's messages, when
// the page is in view; the queue then drops its unread badge.
async function markRead(id) {
  if (document.visibilityState !== 'visible' || state.currentId !== id || !state.session) return;
  try {
    await api('POST', `/api/conversations/${id}/read`);
    const item = state.queue.find((c) => c.id === id);
    if (item?.unread > 0) {
      if (item.claimed_by === state.session?.username) state.unreadTotal = Math.max(0, state.unreadTotal - item.unread);
      item.unread = 0;
      renderQueue();
    }
    if (state.current?.id === id) state.current.unread = 0;
    scheduleQueueRefresh();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) loggedOut('Uw sessie is verlopen. Log opnieuw in.');
    // Otherwise the badge stays until the next try; nothing else is lost.
  }
}

function scheduleCurrentRefresh() {
  clearTimeout(state.currentRefresh);
  state.currentRefresh = setTimeout(refreshCurrent, 150);
}

function closeConversationView() {
  state.currentId = null;
  state.current = null;
  history.replaceState(null, '', location.pathname);
  $('conv-body').hidden = true;
  $('conv-placeholder').hidden = false;
}

function saveDraft() {
  const text = $('reply-text').value;
  if (text.trim()) state.drafts.set(state.currentId, text);
  else state.drafts.delete(state.currentId);
}

function mayAct(detail) {
  if (detail.state !== 'claimed') return false;
  return detail.claimed_by === state.session?.username || state.session?.role === 'admin';
}

function renderConversation({ scroll }) {
  const detail = state.current;
  if (!detail) return;
  $('conv-placeholder').hidden = true;
  $('conv-body').hidden = false;

  $('conv-title').textContent = `Gesprek met ${detail.citizen || `#${detail.id.slice(0, 8)}`}`;
  const reason = $('conv-reason');
  reason.replaceChildren();
  if (detail.urgent) reason.append(el('span', { className: 'badge badge-urgent', text: 'SPOED' }));
  if (!(detail.urgent && detail.reason === 'emergency')) reason.append(reasonText(detail.reason));
  $('conv-language').textContent = LANGUAGES[detail.language] || detail.language || 'onbekend';
  const stateNode = $('conv-state');
  stateNode.textContent = stateText(detail);
  stateNode.dataset.state = detail.state;
  const signals = detail.signals || {};
  const running = detail.state !== 'closed' && (signals.due || signals.as_soon_as_possible);
  const left = running ? deadlineOf(detail) : { text: '–', level: 'none' };
  const deadline = $('conv-deadline');
  deadline.textContent = left.text;
  deadline.className = `left-${left.level}`;
  if (running) {
    deadline.dataset.deadline = signals.due || '';
    if (signals.as_soon_as_possible) deadline.dataset.asap = 'true';
    else delete deadline.dataset.asap;
  } else {
    delete deadline.dataset.deadline;
    delete deadline.dataset.asap;
  }
  $('conv-waiting').textContent = detail.state === 'closed' ? '–' : waitingText(detail) || '–';

  const windowOpen = detail.window?.open !== false;
  const expires = detail.window?.expires_at;
  const windowNode = $('conv-window');
  windowNode.textContent = windowOpen
    ? `open tot ${when(expires)}`
    : `gesloten${expires ? ` sinds ${when(expires)}` : ''}`;
  windowNode.className = windowOpen ? '' : 'window-shut';
  // A web chat has no 24-hour window: the row would only mislead.
  $('conv-window-row').hidden = detail.channel === 'web';

  const messages = detail.messages || [];
  renderThread(messages, scroll);
  // The number is personal data too: hidden until the (audited) reveal.
  const masked = messages.some((m) => m.masked) || revealShowsMore(detail);
  $('reveal-button').hidden = !masked;
  $('privacy-text').textContent = masked
    ? 'Persoonsgegevens zijn verborgen; tonen wordt vastgelegd.'
    : detail.contact || state.revealed
      ? 'Persoonsgegevens worden getoond; dat is vastgelegd.'
      : 'Geen verborgen persoonsgegevens in dit gesprek.';
  renderHistory(detail.events || []);
  renderContext(detail);
  renderKeys(detail);

  // What this user may do now.
  const canAct = mayAct(detail);
  $('claim-button').hidden = detail.state !== 'queued';
  $('release-button').hidden = !canAct;
  $('conv-actions').hidden = detail.state !== 'queued' && !canAct;
  $('reply-area').hidden = !canAct;
  $('closing').hidden = !canAct;
  $('knowledge-area').hidden = !canAct;
  const hint = $('reply-hint');
  hint.hidden = canAct;
  if (detail.state === 'queued') hint.textContent = 'Pak het gesprek op om te kunnen antwoorden.';
  else if (detail.state === 'claimed') hint.textContent = `${stateText(detail)}; alleen die medewerker kan antwoorden of afsluiten.`;
  else if (detail.state === 'closed') hint.textContent = 'Dit gesprek is afgesloten.';
  else hint.textContent = 'Dit gesprek ligt bij de bot.';

  // WhatsApp's 24-hour rule: outside the window only the template may go.
  $('window-closed').hidden = windowOpen;
  $('reply-form').hidden = !windowOpen;
  $('knowledge-form').hidden = !windowOpen;
  if (!windowOpen) {
    // null: no template configured; absent: the server did not say which.
    const template = detail.template;
    const closed = 'Het 24-uursvenster van WhatsApp is gesloten: de inwoner schreef meer dan 24 uur geleden. Vrije tekst kan niet meer.';
    const name = template ? ` "${template.name}" (${LANGUAGES[template.language] || template.language})` : '';
    $('window-closed-text').textContent =
      template === null
        ? `${closed} Er is geen goedgekeurd sjabloon ingesteld, dus u kunt de inwoner nu niet via WhatsApp bereiken.`
        : `${closed} Stuur het goedgekeurde sjabloon${name}; als de inwoner daarop reageert, kunt u weer gewoon antwoorden.`;
    $('template-button').hidden = template === null;
  }
  renderTransferOptions();
}

function renderThread(messages, scroll) {
  const thread = $('thread');
  const items = messages.map((message) => {
    const kind = message.kind || 'text';
    // The text is a placeholder like "[foto] caption"; a fetched file is
    // shown beside it (renderMedia), a location with its map link.
    const media = Object.hasOwn(MEDIA_KINDS, kind);
    const classes = ['msg', authorClass(message.author)];
    if (media) classes.push('msg-media');
    const status = message.status ? MESSAGE_STATUS[message.status] || message.status : null;
    return el(
      'li',
      { className: classes.join(' ') },
      el(
        'div',
        { className: 'msg-meta' },
        el('span', { className: 'msg-author', text: authorText(message.author) }),
        el('time', { datetime: message.at, text: when(message.at) }),
        status ? el('span', { className: `msg-status status-${message.status}`, text: status }) : null,
      ),
      message.media ? renderMedia(message.media) : null,
      media && !message.media && !message.location
        ? el('span', { className: 'media-label', text: `Bijlage: ${MEDIA_KINDS[kind]} (niet getoond)` })
        : null,
      message.location ? renderLocation(message.location) : null,
      el('div', { className: 'msg-text' }, whatsappNodes(message.text ?? '')),
      message.masked ? el('span', { className: 'msg-note', text: 'persoonsgegevens verborgen' }) : null,
      // Links are never clickable: name the sites they really lead to.
      Array.isArray(message.link_domains) && message.link_domains.length
        ? el('span', { className: 'msg-note msg-links', text: `Link naar: ${message.link_domains.join(', ')} (niet aanklikbaar)` })
        : null,
    );
  });
  thread.replaceChildren(...items);
  forgetUnusedMediaNodes(messages);
  if (items.length === 0) thread.append(el('li', { className: 'muted', text: 'Nog geen berichten.' }));
  if (scroll) thread.scrollTop = thread.scrollHeight;
  if (messages.some((m) => m.media?.state === 'pending')) schedulePendingMediaRefresh();
}

// ----------------------------------------------------------------- media

// Sites the page itself links to (opened in a new tab, without referrer):
// only OpenStreetMap, for a shared location. Citizens' own links stay
// unclickable.
const PAGE_LINK_ALLOWLIST = ['www.openstreetmap.org'];
const PENDING_MEDIA_REFRESH_MS = 5_000;
// Rendered players and pictures by URL, reused on every re-render so that
// a voice note keeps playing when the thread refreshes.
const mediaNodes = new Map();

function outgoingLink(href, text) {
  const url = new URL(href);
  if (url.protocol !== 'https:' || !PAGE_LINK_ALLOWLIST.includes(url.hostname)) return el('span', { text });
  return el('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', text });
}

function fileSize(bytes) {
  if (typeof bytes !== 'number') return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace('.', ',')} MB`;
}

function renderMedia(media) {
  const noun = media.voice ? MEDIA_KINDS.voice : MEDIA_KINDS[media.kind] || 'bestand';
  if (media.state === 'pending') {
    return el('span', { className: 'media-label media-pending', text: `${noun} wordt opgehaald…` });
  }
  if (media.state !== 'stored' || !media.url) {
    return el('span', { className: 'media-label media-failed', text: media.failure_nl || `${noun} kon niet worden opgehaald` });
  }
  const known = mediaNodes.get(media.url);
  if (known) return known;
  const node = el('div', { className: 'media', dataset: { kind: media.kind } }, ...mediaContent(media, noun));
  mediaNodes.set(media.url, node);
  return node;
}

function mediaContent(media, noun) {
  const size = fileSize(media.size);
  const download = (label) =>
    el('a', { className: 'media-download', href: media.url, download: '', text: `${label}${size ? ` (${size})` : ''}` });
  switch (media.kind) {
    case 'image':
    case 'sticker':
      return [
        el(
          'a',
          { className: 'media-open', href: media.url, target: '_blank', rel: 'noopener noreferrer', title: `${noun} op volle grootte openen` },
          el('img', { className: 'media-thumb', src: media.url, loading: 'lazy', alt: `${noun} van de inwoner` }),
        ),
      ];
    case 'audio':
      return [
        el('audio', { className: 'media-player', controls: true, preload: 'metadata', src: media.url, 'aria-label': `${noun} van de inwoner` }),
        download(`${noun} downloaden`),
      ];
    case 'video':
      return [
        el('video', { className: 'media-player media-video', controls: true, preload: 'metadata', src: media.url, 'aria-label': `${noun} van de inwoner` }),
        download(`${noun} downloaden`),
      ];
    default:
      return [download(`${noun} downloaden`)];
  }
}

function forgetUnusedMediaNodes(messages) {
  const shown = new Set(messages.map((m) => m.media?.url).filter(Boolean));
  for (const url of mediaNodes.keys()) if (!shown.has(url)) mediaNodes.delete(url);
}

function renderLocation(location) {
  const { latitude, longitude } = location;
  const coordinates = `${Number(latitude).toFixed(5)}, ${Number(longitude).toFixed(5)}`;
  const map = `https://www.openstreetmap.org/?mlat=${encodeURIComponent(latitude)}&mlon=${encodeURIComponent(longitude)}#map=17/${encodeURIComponent(latitude)}/${encodeURIComponent(longitude)}`;
  return el(
    'div',
    { className: 'media media-location' },
    location.name ? el('strong', { className: 'location-name', text: location.name }) : null,
    location.address ? el('span', { className: 'location-address', text: location.address }) : null,
    el('span', { className: 'location-coordinates', text: `Coördinaten: ${coordinates}` }),
    outgoingLink(map, 'Bekijk op OpenStreetMap'),
  );
}

// While a file is being fetched, look again now and then; stops by itself
// once nothing is pending.
function schedulePendingMediaRefresh() {
  clearTimeout(state.pendingMediaRefresh);
  state.pendingMediaRefresh = setTimeout(refreshCurrent, PENDING_MEDIA_REFRESH_MS);
}

function renderHistory(events) {
  $('history-list').replaceChildren(
    ...events.map((event) =>
      el(
        'li',
        {},
        el('time', { datetime: event.at, text: when(event.at) }),
        ` ${eventText(event)}`,
      ),
    ),
  );
}

function renderTransferOptions() {
  const select = $('transfer-to');
  const previous = select.value;
  const colleagues = state.staff.filter((s) => s.username !== state.session?.username);
  const options = [el('option', { value: '', text: colleagues.length ? 'Kies een collega' : 'Geen collega’s beschikbaar' })];
  for (const colleague of colleagues) {
    options.push(
      el('option', { value: colleague.username, text: `${colleague.username}${colleague.online ? ' (online)' : ''}` }),
    );
  }
  const teams = teamOptions(state.session?.topics);
  if (teams) options.push(teams);
  select.replaceChildren(...options);
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  $('transfer-button').disabled = colleagues.length === 0 && !teams;
}

async function loadStaff() {
  try {
    const data = await api('GET', '/api/staff');
    state.staff = Array.isArray(data.staff) ? data.staff : [];
  } catch {
    state.staff = [];
  }
  renderTransferOptions();
}

// --------------------------------------------------------------- actions

function conversationPath(action) {
  return `/api/conversations/${state.currentId}/${action}`;
}

function afterChange(detail) {
  // Claim, release, transfer and close answer with the new summary.
  if (detail && state.current && detail.id === state.current.id) {
    state.current = { ...state.current, ...detail };
    renderConversation({ scroll: false });
  }
  scheduleQueueRefresh(0);
  scheduleCurrentRefresh();
}

function claim() {
  return act($('claim-button'), async () => {
    const detail = await api('POST', conversationPath('claim'));
    afterChange(detail);
    showNotice('U hebt dit gesprek opgepakt.', 'ok', $('release-button'));
    $('reply-text').focus();
  });
}

function release() {
  return act($('release-button'), async () => {
    const detail = await api('POST', conversationPath('release'));
    afterChange(detail);
    showNotice('Gesprek teruggegeven aan de wachtrij.', 'ok', $('claim-button'));
  });
}

function sendReply(event) {
  event?.preventDefault();
  if (chosenAttachment()) return sendAttachment();
  const textarea = $('reply-text');
  const text = textarea.value.trim();
  if (!text) {
    showNotice('Typ eerst een antwoord.', 'error', textarea);
    textarea.focus();
    return Promise.resolve();
  }
  if (state.replyBox && !state.replyBox.withinLimit()) return Promise.resolve();
  const id = state.currentId;
  return act($('reply-send'), async () => {
    await api('POST', conversationPath('reply'), { text });
    if (state.currentId === id) textarea.value = '';
    state.drafts.delete(id);
    state.replyBox?.refresh();
    showNotice('Antwoord verstuurd.', 'ok', $('reply-send'));
    scheduleCurrentRefresh();
  });
}

// ---- Attachments: a photo or PDF sent with the reply text as caption ----

const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'application/pdf'];

function chosenAttachment() {
  const input = $('reply-file');
  return input.files && input.files.length > 0 ? input.files[0] : null;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

// Shows the chosen file's name and size, and the button that removes it.
function showAttachment() {
  const file = chosenAttachment();
  const info = $('reply-file-info');
  info.hidden = !file;
  $('reply-file-remove').hidden = !file;
  info.textContent = file ? `${file.name} (${formatSize(file.size)})` : '';
  if (file && !ATTACHMENT_TYPES.includes(file.type)) {
    showNotice('Alleen een foto (JPEG of PNG) of een PDF kan worden verstuurd.', 'error', $('reply-file'));
  }
}

function removeAttachment() {
  $('reply-file').value = '';
  showAttachment();
}

// The file and the reply text (as caption) as one multipart form; the
// server checks both before anything is stored or sent.
function sendAttachment() {
  const file = chosenAttachment();
  const textarea = $('reply-text');
  const caption = textarea.value.trim();
  const id = state.currentId;
  return act($('reply-send'), async () => {
    const form = new FormData();
    form.append('file', file, file.name);
    if (caption) form.append('caption', caption);
    await api('POST', conversationPath('attachment'), form);
    if (state.currentId === id) {
      textarea.value = '';
      removeAttachment();
    }
    state.drafts.delete(id);
    state.replyBox?.refresh();
    showNotice('Bijlage verstuurd.', 'ok', $('reply-send'));
    scheduleCurrentRefresh();
  });
}

function setUpAttachments() {
  $('reply-file').addEventListener('change', showAttachment);
  $('reply-file-remove').addEventListener('click', removeAttachment);
}

function sendTemplate() {
  return act($('template-button'), async () => {
    await api('POST', conversationPath('reply'), { template: true });
    showNotice('Sjabloon verstuurd. Reageert de inwoner, dan kunt u weer vrij antwoorden.', 'ok', $('template-button'));
    scheduleCurrentRefresh();
  });
}

function closeConversation(event) {
  event.preventDefault();
  const input = $('close-topic');
  const topic = input.value.trim();
  if (!topic) {
    showNotice('Kies of typ een onderwerp om af te sluiten.', 'error', input);
    input.focus();
    return Promise.resolve();
  }
  return act($('close-button'), async () => {
    const id = state.currentId;
    const detail = await api('POST', conversationPath('close'), { topic });
    input.value = '';
    state.drafts.delete(id);
    afterChange(detail);
    showNotice(`Gesprek afgesloten met onderwerp “${topic}”.`, 'ok', $('close-button'));
    if (state.currentId === id) afterClose(id, topic);
  });
}

function searchKnowledge(event) {
  event.preventDefault();
  const query = $('knowledge-query').value.trim();
  const hits = $('knowledge-hits');
  if (!query) {
    hits.replaceChildren();
    return Promise.resolve();
  }
  const lang = state.current?.language === 'en' ? 'en' : 'nl';
  return act(null, async () => {
    const data = await api('GET', `/api/knowledge/search?${new URLSearchParams({ q: query, lang })}`);
    const found = Array.isArray(data.hits) ? data.hits : [];
    if (found.length === 0) {
      hits.replaceChildren(el('li', { className: 'muted', text: 'Niets gevonden.' }));
      return;
    }
    hits.replaceChildren(
      ...found.map((hit) => {
        const button = el(
          'button',
          { type: 'button', className: 'hit' },
          el('span', { className: 'hit-title', text: hit.title || hit.id }),
          el('span', { className: 'hit-body' }, whatsappNodes(summarise(hit.body || ''), { inline: true })),
          el('span', { className: 'hit-action', 'aria-hidden': 'true', text: 'Invoegen in antwoord' }),
        );
        button.addEventListener('click', () => insertAnswer(hit));
        return el('li', {}, button);
      }),
    );
  }, $('knowledge-query'));
}

function summarise(text) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 140 ? `${flat.slice(0, 139)}…` : flat;
}

function insertAnswer(hit) {
  const textarea = $('reply-text');
  const body = (hit.body || '').trim();
  textarea.value = textarea.value.trim() ? `${textarea.value.trimEnd()}\n\n${body}` : body;
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  state.replyBox?.edited();
  showNotice(`“${hit.title || hit.id}” ingevoegd; pas het aan waar nodig.`, 'ok', textarea);
}

// ------------------------------------------------------------ live events

function connectEvents() {
  disconnectEvents();
  const source = new EventSource('/api/events');
  state.events = source;
  setLive('connecting');
  source.addEventListener('open', () => {
    if (state.events !== source) return;
    state.reconnectDelay = 1000;
    setLive('live');
    // Whatever happened while we were away: fetch it now.
    scheduleQueueRefresh(0);
    if (state.currentId !== null) scheduleCurrentRefresh();
  });
  source.addEventListener('conversation', (event) => {
    if (state.events !== source) return;
    onConversationEvent(event);
  });
  source.addEventListener('resync', () => {
    // The server dropped events for us (we fell behind): reload everything.
    if (state.events !== source) return;
    scheduleQueueRefresh(0);
    if (state.currentId !== null) scheduleCurrentRefresh();
  });
  source.addEventListener('error', () => {
    if (state.events !== source) return;
    setLive('down');
    if (source.readyState === EventSource.CLOSED) {
      // The browser gave up (the session may be gone): retry ourselves.
      source.close();
      state.events = null;
      scheduleReconnect();
    }
    // Otherwise the browser reconnects by itself.
  });
}

function scheduleReconnect() {
  clearTimeout(state.reconnectTimer);
  const delay = state.reconnectDelay;
  state.reconnectDelay = Math.min(delay * 2, MAX_RECONNECT_MS);
  state.reconnectTimer = setTimeout(async () => {
    try {
      state.session = await api('GET', '/api/session');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        loggedOut('Uw sessie is verlopen. Log opnieuw in.');
        return;
      }
    }
    if (state.session) connectEvents();
  }, delay);
}

function disconnectEvents() {
  clearTimeout(state.reconnectTimer);
  if (state.events) {
    const source = state.events;
    state.events = null;
    source.close();
  }
}

function setLive(mode) {
  const node = $('live-status');
  node.dataset.state = mode;
  node.textContent = { live: 'Live', connecting: 'Verbinden…', down: 'Verbinding verbroken' }[mode];
}

function onConversationEvent(event) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  scheduleQueueRefresh();
  if (data.id === state.currentId) scheduleCurrentRefresh();
  const me = state.session?.username;
  // The queue as the page knew it: a citizen's message event does not
  // name the holder.
  const known = state.queue.find((c) => c.id === data.id);
  const holder = data.claimed_by || known?.claimed_by || null;
  if (data.change === 'queued' || data.change === 'reopened') {
    notify(
      data.urgent ? 'SPOED: nieuw gesprek in de wachtrij' : 'Nieuw gesprek in de wachtrij',
      'Open Loket om het op te pakken.',
      data.id,
    );
    if (data.urgent) announce('Nieuw spoedgesprek in de wachtrij.', 'assertive');
  } else if (data.change === 'message' && holder && holder === me) {
    const inView = data.id === state.currentId && document.visibilityState === 'visible';
    if (!inView) {
      const who = known?.citizen ? ` van ${known.citizen}` : '';
      notify('Nieuw bericht in uw gesprek', `De inwoner${who} schreef opnieuw.`, data.id);
    }
    announce(`Nieuw bericht van de inwoner in uw gesprek${known?.citizen ? ` met ${known.citizen}` : ''}.`);
  } else if (data.change === 'transferred' && data.to && data.to === me) {
    notify('Gesprek aan u doorgezet', 'Een collega heeft een gesprek aan u doorgezet.', data.id);
    announce('Een collega heeft een gesprek aan u doorgezet.');
  }
}

// The page's own voice for screen readers: what a notification would
// say, read out without moving the focus. Polite, assertive for urgent.
function announce(text, urgency = 'polite') {
  const region = $(urgency === 'assertive' ? 'announce-urgent' : 'announce');
  // Emptied first, so the same words twice are read twice.
  region.textContent = '';
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

// ---------------------------------------------------------- notifications

// Notifications carry no citizen text: they may show on a locked screen.
function notify(title, body, id) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const notification = new Notification(title, { body, tag: `loket-${id}`, lang: 'nl' });
    notification.addEventListener('click', () => {
      window.focus();
      openConversation(id);
      notification.close();
    });
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}

function renderNotifyControls() {
  const button = $('notify-button');
  const status = $('notify-status');
  if (!('Notification' in window)) {
    button.hidden = true;
    status.hidden = true;
    return;
  }
  const permission = Notification.permission;
  button.hidden = permission !== 'default';
  status.hidden = permission === 'default';
  status.textContent = permission === 'granted' ? 'Meldingen aan' : 'Meldingen geblokkeerd in de browser';
}

async function askNotifications() {
  try {
    await Notification.requestPermission();
  } catch {
    /* older browsers: callback form, ignored */
  }
  renderNotifyControls();
}

// --------------------------------------------------------- login, logout

function showOnly(view) {
  $('loading').hidden = true;
  $('login-view').hidden = view !== 'login';
  $('workspace').hidden = view !== 'workspace';
  $('security-view').hidden = view !== 'security';
  $('session-tools').hidden = view !== 'workspace' && view !== 'security';
}

function showLogin(message) {
  showOnly('login');
  if (message) showNotice(message, 'info');
  $('login-username').focus();
  showLoginOptions();
}

// The single sign-on button when it is set up; the password form unless
// passwords are switched off.
async function showLoginOptions() {
  let options;
  try {
    options = await api('GET', '/api/login-options');
  } catch {
    return;
  }
  if (options.sso) {
    $('sso-button').textContent = `Inloggen met ${options.sso.label}`;
    $('sso-button').href = options.sso.start;
    $('sso-login').hidden = false;
  }
  $('login-form').hidden = !options.passwords;
}

async function login(event) {
  event.preventDefault();
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  const code = $('login-code').value.trim();
  if (!username || !password) {
    showNotice('Vul uw gebruikersnaam en wachtwoord in.', 'error');
    return;
  }
  const body = { username, password };
  if (code) body.code = code;
  await act($('login-submit'), async () => {
    try {
      state.session = await api('POST', '/api/session', body);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'mfa_required') {
        // The password was right: ask for the code from the app.
        $('login-code-field').hidden = false;
        $('login-code').focus();
      }
      if (error instanceof ApiError && error.code === 'mfa_enrolment_required') {
        startEnrolmentOnly(username, error.body.csrf_token);
        return;
      }
      $('login-code').value = '';
      throw error;
    }
    $('login-password').value = '';
    $('login-code').value = '';
    $('login-code-field').hidden = true;
    hideNotice();
    startWorkspace();
  });
}

// ------------------------------------------------ account security (MFA)

// A session that may only set up the second factor ([staff] require_mfa).
function startEnrolmentOnly(username, csrfToken) {
  state.session = { username, role: null, csrf_token: csrfToken, enrolmentOnly: true };
  $('login-password').value = '';
  $('whoami-name').textContent = username;
  for (const id of ['report-link', 'kennisbank-link', 'audit-link', 'live-status', 'security-button']) {
    $(id).hidden = true;
  }
  $('security-close').hidden = true;
  $('mfa-required-text').hidden = false;
  openSecurity();
}

// The QR code arrives as an SVG document: parsed as XML (not HTML) and
// kept only if it holds nothing but the rect and path of a QR code.
function qrNode(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.nodeName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  for (const child of root.querySelectorAll('*')) {
    if (child.nodeName !== 'rect' && child.nodeName !== 'path') return null;
  }
  return document.importNode(root, true);
}

async function openSecurity() {
  showOnly('security');
  $('mfa-enrol').hidden = true;
  $('mfa-recovery').hidden = true;
  await loadMfaStatus();
  $('security-title').focus();
}

async function loadMfaStatus() {
  try {
    const status = await api('GET', '/api/mfa');
    $('mfa-status').textContent = status.enabled
      ? `Tweestapsverificatie staat aan. U hebt nog ${status.recovery_codes_left} herstelcodes.`
      : 'Tweestapsverificatie staat uit: inloggen vraagt alleen uw wachtwoord.';
    $('mfa-start').hidden = status.enabled;
    $('mfa-disable-form').hidden = !status.enabled || status.required;
  } catch (error) {
    await handleError(error);
  }
}

async function startMfa() {
  await act($('mfa-start'), async () => {
    const started = await api('POST', '/api/mfa/enrolment', {});
    const qr = qrNode(started.qr_svg);
    $('mfa-qr').replaceChildren(...(qr ? [qr] : []));
    $('mfa-secret').textContent = started.secret;
    $('mfa-enrol').hidden = false;
    $('mfa-start').hidden = true;
    $('mfa-confirm-code').focus();
  });
}

async function confirmMfa(event) {
  event.preventDefault();
  const code = $('mfa-confirm-code').value.trim();
  await act($('mfa-confirm'), async () => {
    const result = await api('POST', '/api/mfa/enrolment/confirm', { code });
    $('mfa-confirm-code').value = '';
    $('mfa-enrol').hidden = true;
    $('mfa-qr').replaceChildren();
    $('mfa-secret').textContent = '';
    $('mfa-recovery-list').replaceChildren(
      ...result.recovery_codes.map((recovery) => el('li', {}, recovery)),
    );
    $('mfa-recovery').hidden = false;
    showNotice('Tweestapsverificatie staat aan.', 'ok');
  });
}

async function recoveryCodesKept() {
  $('mfa-recovery-list').replaceChildren();
  $('mfa-recovery').hidden = true;
  if (state.session?.enrolmentOnly) {
    // The session may do everything its role may now.
    await act(null, async () => {
      state.session = await api('GET', '/api/session');
      $('mfa-required-text').hidden = true;
      $('security-close').hidden = false;
      $('security-button').hidden = false;
      startWorkspace();
    });
    return;
  }
  await loadMfaStatus();
}

async function disableMfa(event) {
  event.preventDefault();
  const code = $('mfa-disable-code').value.trim();
  await act($('mfa-disable'), async () => {
    await api('POST', '/api/mfa/disable', { code });
    $('mfa-disable-code').value = '';
    showNotice('Tweestapsverificatie staat uit.', 'ok');
    await loadMfaStatus();
  });
}

async function logoutEverywhere() {
  await act($('logout-everywhere'), async () => {
    await api('DELETE', '/api/sessions');
    loggedOut('U bent overal uitgelogd.');
  });
}

async function logout() {
  await act($('logout-button'), async () => {
    try {
      await api('DELETE', '/api/session');
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
    loggedOut('U bent uitgelogd.');
  });
}

function loggedOut(message) {
  disconnectEvents();
  clearTimeout(state.queueRefresh.timer);
  clearTimeout(state.currentRefresh);
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
  state.session = null;
  state.queue = [];
  state.drafts.clear();
  state.unreadTotal = 0;
  state.staff = [];
  closeConversationView();
  clearFeedback();
  $('queue-list').replaceChildren();
  $('reply-text').value = '';
  state.replyBox?.refresh();
  // Whatever the account-security view showed goes, recovery codes first.
  $('mfa-recovery-list').replaceChildren();
  $('mfa-qr').replaceChildren();
  $('mfa-secret').textContent = '';
  for (const id of ['mfa-recovery', 'mfa-enrol', 'mfa-required-text']) $(id).hidden = true;
  $('security-button').hidden = false;
  $('security-close').hidden = false;
  document.title = 'Loket – werkplek KCC';
  showLogin(message);
}

function startWorkspace() {
  const session = state.session;
  $('whoami-name').textContent = `${session.username} (${session.role})`;
  $('topic-list').replaceChildren(
    ...(session.topics || []).map((topic) => el('option', { value: topic })),
  );
  if (session.role === 'editor') {
    // Editors work on the knowledge base, not on citizens' threads.
    location.assign('/staff/kennisbank');
    return;
  }
  $('kennisbank-link').hidden = session.role !== 'admin';
  $('audit-link').hidden = session.role !== 'admin';
  showOnly('workspace');
  $('report-link').hidden = session.role !== 'staff' && session.role !== 'admin';
  if (session.role !== 'staff' && session.role !== 'admin') {
    // Editors may search the knowledge base but not read citizens' threads.
    $('queue-list').replaceChildren();
    $('queue-empty').textContent = `Met de rol ${session.role} hebt u geen toegang tot gesprekken met inwoners.`;
    $('queue-empty').hidden = false;
    $('live-status').hidden = true;
    return;
  }
  $('queue-empty').textContent = 'Geen gesprekken in de wachtrij.';
  $('live-status').hidden = false;
  renderNotifyControls();
  connectEvents();
  scheduleQueueRefresh(0);
  loadStaff();
  state.timers.push(setInterval(tickClocks, CLOCK_TICK_MS));
  state.timers.push(setInterval(() => scheduleQueueRefresh(0), QUEUE_POLL_MS));
  // A conversation is named by its public id (32 hex digits), never by a number.
  const match = /^#gesprek-([0-9a-f]{32})$/.exec(location.hash);
  if (match) openConversation(match[1]);
  else $('main').focus();
}

async function boot() {
  setUpContext({ api, act, el, when, personName, ApiError, openConversation, afterChange, refreshCurrent, showNotice, state });
  $('login-form').addEventListener('submit', login);
  $('logout-button').addEventListener('click', logout);
  $('security-button').addEventListener('click', openSecurity);
  $('security-close').addEventListener('click', () => showOnly('workspace'));
  $('mfa-start').addEventListener('click', startMfa);
  $('mfa-confirm-form').addEventListener('submit', confirmMfa);
  $('mfa-recovery-done').addEventListener('click', recoveryCodesKept);
  $('mfa-disable-form').addEventListener('submit', disableMfa);
  $('logout-everywhere').addEventListener('click', logoutEverywhere);
  $('notify-button').addEventListener('click', askNotifications);
  $('notice-close').addEventListener('click', hideNotice);
  $('queue-refresh').addEventListener('click', () => scheduleQueueRefresh(0));
  // Back to the tab with a thread open: its new messages are read now.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.currentId !== null && state.current?.unread > 0) {
      markRead(state.currentId);
    }
  });
  $('claim-button').addEventListener('click', claim);
  $('reveal-button').addEventListener('click', reveal);
  $('release-button').addEventListener('click', release);
  $('template-button').addEventListener('click', sendTemplate);
  $('reply-form').addEventListener('submit', sendReply);
  state.replyBox = setUpReplyBox({
    api,
    language: () => state.current?.language,
    threadId: () => state.currentId,
    drafts: state.drafts,
    onError: (error) => handleError(error, $('reply-text')),
  });
  setUpAttachments();
  setUpKeys({ state, renderQueue, openConversation, showNotice });
  $('reply-text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) sendReply(event);
  });
  $('knowledge-form').addEventListener('submit', searchKnowledge);
  $('transfer-form').addEventListener('submit', transfer);
  $('close-form').addEventListener('submit', closeConversation);

  try {
    state.session = await api('GET', '/api/session');
    startWorkspace();
  } catch (error) {
    state.session = null;
    if (error instanceof ApiError && error.code === 'mfa_enrolment_required') {
      startEnrolmentOnly('', error.body.csrf_token);
      return;
    }
    showLogin(error instanceof ApiError && error.status === 401 ? null : describeError(error));
  }
}

boot();
