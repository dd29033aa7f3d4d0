// Loket staff page: a whole shift from the keyboard (issue 22, section 5).
// An ES module imported by app.js, served by src/web/staff_page.rs under
// the same strict Content-Security-Policy.
//
// - The queue's filters ("Mijn gesprekken", "Wachtend", "Collega's",
//   "Alle") with their counts: a radio group, the choice kept in
//   localStorage. The server's order (urgent first) is kept.
// - Shortcuts, only while the focus is not in a text field: j/k (and the
//   arrows inside the queue) move, o opens (Enter does on a row itself),
//   c claims, e goes to the closing topic, n opens the next thread, /
//   starts a saved reply (compose.js's picker), ? shows the help. Escape
//   in the reply box leaves it, so the letters work again. They can be
//   switched off in the help (WCAG 2.1.4: single-key shortcuts).
// - "Volgende gesprek" after closing a thread, by button or n.
// - The channel in words (WhatsApp, Website-chat).
//
// Text from the API reaches the page as text only (textContent).

const FILTER_KEY = 'loket:queue-filter';
const SHORTCUTS_KEY = 'loket:shortcuts';

// Which rows each filter shows; `me` is the logged-in user name.
const FILTERS = {
  mine: (item, me) => item.state === 'claimed' && item.claimed_by === me,
  waiting: (item) => item.state === 'queued',
  colleagues: (item, me) => item.state === 'claimed' && item.claimed_by !== me,
  all: () => true,
};
const EMPTY_TEXT = {
  mine: 'U hebt geen gesprekken opgepakt.',
  waiting: 'Er wacht geen gesprek in de wachtrij.',
  colleagues: 'Collega’s hebben geen gesprekken opgepakt.',
  all: 'Geen gesprekken in de wachtrij.',
};

const CHANNELS = { whatsapp: 'WhatsApp', web: 'Website-chat' };

const $ = (id) => document.getElementById(id);

// app.js's helpers: state, renderQueue, openConversation, showNotice.
let app = null;
let filter = 'all';
let closed = null; // {id, topic}: the thread this user just closed
let returnFocus = null; // where the focus goes when the help closes

// A conversation's channel in words.
export function channelText(channel) {
  return CHANNELS[channel] || 'onbekend kanaal';
}

function stored(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null; // storage blocked: the defaults hold for this page
  }
}

function store(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    /* blocked or full: the choice lasts as long as the page */
  }
}

export function setUpKeys(helpers) {
  app = helpers;
  const saved = stored(FILTER_KEY);
  filter = Object.hasOwn(FILTERS, saved ?? '') ? saved : 'all';
  for (const radio of document.querySelectorAll('input[name="queue-filter"]')) {
    radio.checked = radio.value === filter;
    radio.addEventListener('change', () => {
      if (!radio.checked) return;
      filter = radio.value;
      store(FILTER_KEY, filter);
      app.renderQueue();
    });
  }
  $('keys-enabled').checked = stored(SHORTCUTS_KEY) !== 'off';
  $('keys-enabled').addEventListener('change', (event) => store(SHORTCUTS_KEY, event.target.checked ? 'on' : 'off'));
  $('keys-button').addEventListener('click', openHelp);
  $('keys-help').addEventListener('keydown', trapFocus);
  $('keys-help').addEventListener('close', () => {
    const back = returnFocus;
    returnFocus = null;
    if (back?.isConnected && !back.closest('[hidden]')) back.focus();
    else $('main').focus();
  });
  $('next-button').addEventListener('click', nextThread);
  $('reply-text').addEventListener('keydown', (event) => {
    // The picker (compose.js) handles its own Escape first and stops it.
    if (event.key === 'Escape' && !event.defaultPrevented) $('thread').focus();
  });
  document.addEventListener('keydown', onKey);
}

// ------------------------------------------------------------- filters

function matches(item, me = app.state.session?.username) {
  return (FILTERS[filter] || FILTERS.all)(item, me);
}

// The rows the chosen filter shows (in the server's order), and the
// filters' counts and the empty list's words brought up to date.
export function filterQueue(items) {
  const me = app.state.session?.username;
  for (const [name, keep] of Object.entries(FILTERS)) {
    $(`filter-count-${name}`).textContent = String(items.filter((item) => keep(item, me)).length);
  }
  $('queue-empty').textContent = EMPTY_TEXT[filter];
  return items.filter((item) => matches(item, me));
}

// ---------------------------------------------------------- the thread

// Called by app.js whenever it draws the open conversation.
export function renderKeys(detail) {
  $('conv-channel').textContent = channelText(detail.channel);
  const justClosed = closed && closed.id === detail.id && detail.state === 'closed';
  $('after-close').hidden = !justClosed;
  if (!justClosed) {
    closed = null;
    $('next-status').textContent = '';
  }
}

// Called by app.js once this user closed the open thread: offer the next
// one, with the focus on that offer (the form it was on is gone).
export function afterClose(id, topic) {
  closed = { id, topic };
  $('after-close-text').textContent = `Gesprek afgesloten met onderwerp “${topic}”.`;
  $('next-status').textContent = '';
  $('after-close').hidden = false;
  $('next-button').focus();
}

// Opens the next thread to work on: the oldest that waits on us among
// the ones this user may answer or take in the chosen filter; else the
// oldest unclaimed one. Urgent threads first in both. Never a
// colleague's thread (reading it would be audited, and it is theirs).
export function nextThread() {
  const me = app.state.session?.username;
  const others = app.state.queue.filter((item) => item.id !== app.state.currentId);
  const workable = (item) => item.state === 'queued' || (item.state === 'claimed' && item.claimed_by === me);
  const next =
    oldest(others.filter((item) => matches(item, me) && workable(item) && item.signals?.waiting_on === 'us')) ??
    oldest(others.filter((item) => item.state === 'queued'));
  if (next) {
    app.openConversation(next.id);
    return;
  }
  const none = 'Er wacht geen ander gesprek.';
  if (!$('after-close').hidden) $('next-status').textContent = none;
  else app.showNotice(none, 'info');
}

// Urgent first, then the longest waiting (since the hand-over).
function oldest(items) {
  const since = (item) => Date.parse(item.queued_at || item.last_message_at) || Number.MAX_SAFE_INTEGER;
  const sorted = [...items].sort((a, b) => Number(b.urgent) - Number(a.urgent) || since(a) - since(b));
  return sorted[0] ?? null;
}

// ------------------------------------------------------------ shortcuts

// A field where letters are typed (or keys drive a player): its keys are
// its own.
function takesKeys(node) {
  if (!(node instanceof Element)) return false;
  if (node.isContentEditable) return true;
  switch (node.tagName) {
    case 'TEXTAREA':
    case 'SELECT':
    case 'AUDIO':
    case 'VIDEO':
      return true;
    case 'INPUT':
      return !['button', 'submit', 'reset', 'checkbox', 'radio', 'file', 'image'].includes(node.type);
    default:
      return false;
  }
}

function shown(node) {
  if (!node || node.closest('[hidden]')) return false;
  return node.checkVisibility ? node.checkVisibility() : true;
}

function onKey(event) {
  if (event.defaultPrevented || event.isComposing) return;
  // Ctrl, Alt and Meta combinations belong to the browser and screen readers.
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (!$('keys-enabled').checked || $('keys-help').open) return;
  if (!app.state.session || $('workspace').hidden) return;
  if (takesKeys(event.target)) return;
  const inQueue = event.target instanceof Element && event.target.closest('#queue-list') !== null;
  let handled;
  switch (event.key) {
    case 'j':
      handled = move(1);
      break;
    case 'k':
      handled = move(-1);
      break;
    // The arrows scroll the page elsewhere: only inside the queue.
    case 'ArrowDown':
      handled = inQueue && move(1);
      break;
    case 'ArrowUp':
      handled = inQueue && move(-1);
      break;
    case 'o':
      handled = inQueue && clickIfShown(event.target.closest('.q-item'));
      break;
    case 'c':
      handled = clickIfShown($('claim-button'));
      break;
    case 'e':
      handled = toClosing();
      break;
    case 'n':
      nextThread();
      handled = true;
      break;
    case '/':
      handled = toSavedReplies();
      break;
    case '?':
      openHelp();
      handled = true;
      break;
    default:
      handled = false;
  }
  if (handled) event.preventDefault();
}

// The focus one row down (1) or up (-1) the queue; from outside the
// list, the row after (or before) the open thread's, or the first.
function move(delta) {
  const rows = [...document.querySelectorAll('#queue-list .q-item')];
  if (rows.length === 0) return false;
  let index = rows.indexOf(document.activeElement);
  if (index < 0) index = rows.findIndex((row) => row.getAttribute('aria-current') === 'true');
  const next = index < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, index + delta));
  rows[next].focus();
  rows[next].scrollIntoView({ block: 'nearest' });
  return true;
}

function clickIfShown(button) {
  if (!button || button.disabled || !shown(button)) return false;
  button.click();
  return true;
}

// Closing needs a topic: the focus goes to it, and Enter there closes.
function toClosing() {
  const input = $('close-topic');
  if (!shown(input)) return false;
  input.focus();
  input.scrollIntoView({ block: 'nearest' });
  return true;
}

// "/" in the reply box, with the saved replies listed (compose.js).
function toSavedReplies() {
  if (!shown($('reply-text')) || !app.state.replyBox) return false;
  app.state.replyBox.startPicker();
  return true;
}

// ----------------------------------------------------------- the help

function openHelp() {
  const dialog = $('keys-help');
  if (dialog.open) return;
  returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  dialog.showModal();
  $('keys-help-close').focus();
}

// Tab and Shift+Tab go round inside the dialog, never behind it.
function trapFocus(event) {
  if (event.key !== 'Tab') return;
  const focusable = [...event.currentTarget.querySelectorAll('button, input, [href], [tabindex]:not([tabindex="-1"])')].filter(
    (node) => !node.disabled && shown(node),
  );
  if (focusable.length === 0) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}
