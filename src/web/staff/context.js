// Loket staff page: context beside a thread (issue 22). The citizen's
// number behind the audited reveal, their earlier conversations, internal
// notes in the history, passing a thread to a colleague or a team with a
// note, and the search of closed threads.
//
// app.js hands over what this module uses (setUpContext) and calls
// renderContext whenever it renders the open conversation. Everything
// from the API reaches the page as text (textContent, el's `text`), never
// as HTML: notes and topics are people's text.

const TIME_ZONE = 'Europe/Amsterdam';
const STATE_WORDS = {
  bot: 'bij de bot',
  queued: 'in de wachtrij',
  claimed: 'opgepakt',
  closed: 'afgesloten',
};
// The prefix of a team in the transfer list; no user name has a colon.
const TEAM = 'topic:';

const dayFormat = new Intl.DateTimeFormat('nl-NL', {
  timeZone: TIME_ZONE,
  day: 'numeric',
  month: 'short',
  year: 'numeric',
});

const $ = (id) => document.getElementById(id);

// app.js's helpers: api, act, el, when, personName, ApiError,
// openConversation, afterChange, refreshCurrent, showNotice, state.
let app = null;
let earlierFor = null; // the conversation whose earlier ones are listed

export function setUpContext(helpers) {
  app = helpers;
  $('note-form').addEventListener('submit', addNote);
  $('note-text').addEventListener('input', () => clearError('note-error', 'note-text'));
  $('transfer-note').addEventListener('input', () => clearError('transfer-error', 'transfer-note'));
  $('search-form').addEventListener('submit', searchClosed);
  $('earlier-list').addEventListener('click', openPast);
  $('search-results').addEventListener('click', openPast);
}

// Whether the reveal would show something: masked text, or the number
// of a WhatsApp citizen (a web chat has none).
export function revealShowsMore(detail) {
  return !detail.contact && detail.channel !== 'web';
}

// Called by app.js each time the open conversation is drawn.
export function renderContext(detail) {
  renderContact(detail);
  renderNotes(detail.notes || []);
  if (earlierFor !== detail.id) {
    earlierFor = detail.id;
    clearError('note-error', 'note-text');
    clearError('transfer-error', 'transfer-note');
    loadEarlier(detail.id);
  }
}

// ---------------------------------------------------------- the contact

function renderContact(detail) {
  const line = $('contact-line');
  const contact = detail.contact;
  if (contact) {
    const name = contact.profile_name ? `WhatsApp-naam: ${contact.profile_name}` : null;
    line.textContent = [contact.text_nl, name].filter(Boolean).join(' · ');
  } else if (detail.channel === 'web') {
    line.textContent = 'Webchat: er is geen telefoonnummer (de inwoner schrijft via de website).';
  } else {
    line.textContent = 'Telefoonnummer verborgen.';
  }
}

// -------------------------------------------------------------- notes

// Notes join the history in time order, marked as internal.
function renderNotes(notes) {
  const list = $('history-list');
  for (const old of list.querySelectorAll('li.history-note')) old.remove();
  if (!notes.length) return;
  const items = [...list.children];
  for (const note of notes) {
    const item = app.el(
      'li',
      { className: 'history-note', dataset: { at: note.at } },
      app.el('time', { datetime: note.at, text: app.when(note.at) }),
      ' ',
      app.el('strong', { text: `Interne notitie van ${authorName(note.author)}` }),
      app.el('span', { className: 'visually-hidden', text: ' (niet verstuurd aan de inwoner)' }),
      ': ',
      app.el('span', { className: 'note-text', text: note.text }),
    );
    items.push(item);
  }
  const at = (item) => Date.parse(item.dataset.at || item.querySelector('time')?.getAttribute('datetime') || '') || 0;
  items.sort((a, b) => at(a) - at(b));
  list.replaceChildren(...items);
  list.closest('details')?.setAttribute('open', '');
}

function authorName(author) {
  if (author === 'system') return 'Loket';
  if (typeof author === 'string' && author.startsWith('staff:')) {
    const name = author.slice('staff:'.length);
    return name === app.state.session?.username ? 'u' : app.personName(name);
  }
  return 'een collega';
}

function addNote(event) {
  event.preventDefault();
  const input = $('note-text');
  const text = input.value;
  if (!text.trim()) {
    showError('note-error', 'note-text', 'Schrijf eerst een notitie.');
    return Promise.resolve();
  }
  const id = app.state.currentId;
  return app.act($('note-save'), async () => {
    try {
      await app.api('POST', `/api/conversations/${id}/notes`, { text });
    } catch (error) {
      if (refusedHere(error, 'note-error', 'note-text')) return;
      throw error;
    }
    input.value = '';
    app.showNotice('Notitie opgeslagen (alleen voor collega’s).', 'ok');
    await app.refreshCurrent();
  });
}

// A 400 from the server is shown beside the form that caused it.
function refusedHere(error, errorId, inputId) {
  if (!(error instanceof app.ApiError) || error.status !== 400) return false;
  showError(errorId, inputId, error.body.message || 'Dat is niet geldig.');
  return true;
}

function showError(errorId, inputId, text) {
  const node = $(errorId);
  node.textContent = text;
  node.hidden = false;
  const input = inputId ? $(inputId) : null;
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

function clearError(errorId, inputId) {
  const node = $(errorId);
  node.hidden = true;
  node.textContent = '';
  if (inputId) $(inputId).removeAttribute('aria-invalid');
}

// ------------------------------------------------------------ transfer

// The teams a thread can go to: the configured topics.
export function teamOptions(topics) {
  if (!topics?.length) return null;
  return app.el(
    'optgroup',
    { label: 'Teams (terug in de wachtrij)' },
    ...topics.map((topic) => app.el('option', { value: `${TEAM}${topic}`, text: `Team ${topic}` })),
  );
}

export function transfer(event) {
  event.preventDefault();
  const choice = $('transfer-to').value;
  if (!choice) {
    showError('transfer-error', 'transfer-to', 'Kies eerst een collega of een team.');
    return Promise.resolve();
  }
  const note = $('transfer-note').value;
  const team = choice.startsWith(TEAM) ? choice.slice(TEAM.length) : null;
  const body = team ? { topic: team } : { to: choice };
  if (note.trim()) body.note = note;
  return app.act($('transfer-button'), async () => {
    let detail;
    try {
      detail = await app.api('POST', `/api/conversations/${app.state.currentId}/transfer`, body);
    } catch (error) {
      const field = error instanceof app.ApiError ? error.body.field : null;
      if (refusedHere(error, 'transfer-error', field === 'note' ? 'transfer-note' : 'transfer-to')) return;
      throw error;
    }
    $('transfer-note').value = '';
    clearError('transfer-error', 'transfer-note');
    app.afterChange(detail);
    app.showNotice(team ? `Gesprek doorgezet naar team ${team}.` : `Gesprek doorgezet naar ${choice}.`, 'ok');
  });
}

// ------------------------------------------------ earlier conversations

async function loadEarlier(id) {
  const list = $('earlier-list');
  const empty = $('earlier-empty');
  list.replaceChildren();
  empty.hidden = true;
  let data;
  try {
    data = await app.api('GET', `/api/conversations/${id}/earlier`);
  } catch {
    if (app.state.currentId !== id) return;
    empty.textContent = 'Eerdere gesprekken konden niet worden geladen.';
    empty.hidden = false;
    return;
  }
  if (app.state.currentId !== id) return;
  const found = data?.conversations || [];
  list.replaceChildren(...found.map((c) => pastItem(c, c.started_at)));
  empty.textContent = 'Geen eerdere gesprekken (binnen de bewaartermijn).';
  empty.hidden = found.length > 0;
}

// One line of a list of conversations: a button that opens it (read-only
// unless it is one's own).
function pastItem(conversation, at) {
  const day = at ? dayFormat.format(new Date(at)) : '';
  const parts = [day, `#${conversation.reference}`, conversation.topic || 'geen onderwerp', STATE_WORDS[conversation.state] || conversation.state];
  return app.el(
    'li',
    {},
    app.el(
      'button',
      { type: 'button', className: 'link-button past-open', dataset: { id: conversation.id } },
      parts.join(' · '),
    ),
  );
}

function openPast(event) {
  const button = event.target.closest('button.past-open');
  if (button) app.openConversation(button.dataset.id);
}

// -------------------------------------------------------------- search

function searchClosed(event) {
  event.preventDefault();
  const fields = ['reference', 'from', 'to', 'topic'];
  for (const field of fields) $(`search-${field}`).removeAttribute('aria-invalid');
  clearError('search-error', null);
  const params = new URLSearchParams();
  for (const field of fields) {
    const value = $(`search-${field}`).value.trim();
    if (value) params.set(field, value);
  }
  const results = $('search-results');
  return app.act($('search-button'), async () => {
    let data;
    try {
      data = await app.api('GET', `/api/closed-conversations?${params}`);
    } catch (error) {
      const field = error instanceof app.ApiError ? error.body.field : null;
      if (refusedHere(error, 'search-error', fields.includes(field) ? `search-${field}` : null)) {
        results.replaceChildren();
        $('search-status').textContent = '';
        return;
      }
      throw error;
    }
    const found = data?.conversations || [];
    results.replaceChildren(...found.map((c) => pastItem(c, c.closed_at)));
    $('search-status').textContent =
      found.length === 0 ? 'Geen afgesloten gesprekken gevonden.' : `${found.length} gevonden.`;
  });
}
