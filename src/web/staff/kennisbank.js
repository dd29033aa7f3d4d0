// Loket editors' page: the questions the bot could not answer (grouped,
// sorted and filtered here, marked as handled through
// POST /api/knowledge/gaps/handled), how much each answer is used and
// where entries overlap, from GET /api/knowledge/gaps,
// GET /api/knowledge/usage and GET /api/knowledge/confusions. Plain JavaScript, no build step; served by
// src/web/staff_page.rs under the same strict Content-Security-Policy as
// the staff page.
//
// Invariant: the questions are citizens' words (masked, still hostile
// input). Everything from the API reaches the page through textContent,
// never parsed as HTML.

const TIME_ZONE = 'Europe/Amsterdam';
const LANGUAGES = { nl: 'Nederlands', en: 'Engels' };

const $ = (id) => document.getElementById(id);

const state = { session: null, titles: new Map() };

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && state.session) headers['X-CSRF-Token'] = state.session.csrf_token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { message: 'Geen verbinding met de server. Probeer het zo opnieuw.' });
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

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

function showNotice(text, kind = 'info') {
  $('notice-text').textContent = text;
  $('notice').dataset.kind = kind;
  $('notice').hidden = false;
}

// A 401 means the session is gone: log in again on the staff page, which
// sends editors back here.
function handleError(error) {
  if (error instanceof ApiError && error.status === 401) {
    location.assign('/staff');
    return;
  }
  showNotice(error.message || 'Er ging iets mis.', 'error');
}

/** The day of `at` in the office's time zone, as YYYY-MM-DD. */
function officeDay(at) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(at);
}

/** `path` with `?since=day`, or without it: the server's default period. */
function withSince(path, day) {
  return day ? `${path}?since=${encodeURIComponent(day)}` : path;
}

function when(iso) {
  if (!iso) return 'nooit';
  return new Intl.DateTimeFormat('nl-NL', {
    timeZone: TIME_ZONE,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));
}

function times(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// ------------------------------------------------------------------ gaps

/** Groups shown at first; the rest behind one button, so the page stays short. */
const GAPS_SHOWN = 30;

/** The groups of the chosen period as the server sent them. */
state.groups = [];
/** The last mark made, for "Ongedaan maken". */
state.lastMark = null;
state.gapsShown = GAPS_SHOWN;

async function loadGaps(event) {
  event?.preventDefault();
  try {
    const data = await api('GET', withSince('/api/knowledge/gaps', $('gaps-since').value));
    // The server's clock decides the default period.
    if (!$('gaps-since').value && data.since) $('gaps-since').value = officeDay(new Date(data.since));
    state.groups = data.groups || [];
    renderGaps();
  } catch (error) {
    handleError(error);
  }
}

/** Lower case without accents, for the text search. */
function folded(text) {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/** The groups that pass the page's filters, in the chosen order. */
function visibleGroups() {
  const status = $('gaps-state').value;
  const language = $('gaps-language').value;
  const words = folded($('gaps-search').value).split(/\s+/).filter(Boolean);
  const passes = (group) => {
    // A reopened group was asked again after the mark: it needs work.
    const handled = group.state === 'handled';
    if (status === 'open' && handled) return false;
    if (status === 'handled' && !handled) return false;
    if (language && group.language !== language) return false;
    const text = folded((group.examples || []).join(' '));
    return words.every((word) => text.includes(word));
  };
  const time = (iso) => new Date(iso).getTime();
  const order = {
    count: (a, b) => b.count - a.count || time(b.last_asked) - time(a.last_asked),
    newest: (a, b) => time(b.last_asked) - time(a.last_asked),
    oldest: (a, b) => time(a.first_asked) - time(b.first_asked),
  }[$('gaps-sort').value] || (() => 0);
  return state.groups.filter(passes).sort(order);
}

function renderGaps() {
  const groups = state.groups;
  const shown = visibleGroups();
  const total = groups.reduce((sum, g) => sum + g.count, 0);
  const handled = groups.filter((g) => g.state === 'handled').length;
  let summary = groups.length
    ? `${times(total, 'onbeantwoorde vraag', 'onbeantwoorde vragen')} in ${times(groups.length, 'groep', 'groepen')}` +
      (handled ? `, waarvan ${handled} afgehandeld` : '') +
      `. ${times(shown.length, 'groep', 'groepen')} getoond.`
    : 'Geen onbeantwoorde vragen in deze periode.';
  if (groups.length && !shown.length) summary += ' Pas de filters aan om meer te zien.';
  $('gaps-summary').textContent = summary;
  $('gap-list').replaceChildren(...shown.slice(0, state.gapsShown).map(gapItem));
  const more = $('gaps-more');
  more.hidden = shown.length <= state.gapsShown;
  more.textContent = `Alle ${shown.length} groepen tonen`;
}

function refilter() {
  state.gapsShown = GAPS_SHOWN;
  renderGaps();
}

const LANGUAGE_CODES = { nl: 'NL', en: 'EN' };

function gapItem(group) {
  const [first, ...others] = group.examples || [];
  const facts = [];
  if (group.abstained) facts.push(`${group.abstained}× geen antwoord`);
  if (group.feedback_no) facts.push(`${group.feedback_no}× “Nee” na een antwoord`);
  facts.push(`eerst gevraagd ${when(group.first_asked)}`);
  facts.push(`laatst gevraagd ${when(group.last_asked)}`);
  const badge =
    group.state === 'handled'
      ? el('span', { className: 'gap-badge gap-badge-handled', text: 'afgehandeld' })
      : group.state === 'reopened'
        ? el('span', {
            className: 'gap-badge gap-badge-reopened',
            text: `opnieuw gevraagd: ${group.new_since_handled}× na afhandeling`,
          })
        : null;
  const nearest = (group.nearest || []).length
    ? el(
        'div',
        {},
        el('p', { className: 'gap-facts', text: 'Dichtstbijzijnde antwoorden volgens de bot:' }),
        el(
          'ol',
          { className: 'gap-near' },
          ...group.nearest.map((entry) =>
            el(
              'li',
              {},
              `${entry.title || entry.id} (${entry.id}) `,
              el('span', { className: 'score', text: `${Math.round(entry.score * 100)} % zeker` }),
            ),
          ),
        ),
      )
    : el('p', { className: 'gap-facts', text: 'Geen antwoord in de buurt: misschien een nieuw onderwerp.' });
  const handledLine = group.handled
    ? el('p', {
        className: 'gap-facts',
        text: `Afgehandeld door ${group.handled.by} op ${when(group.handled.at)}.`,
      })
    : null;
  const action = el('button', {
    type: 'button',
    className: group.state === 'handled' ? 'secondary' : null,
    text: group.state === 'handled' ? 'Weer openzetten' : 'Markeer als afgehandeld',
  });
  action.addEventListener('click', () => mark(group, group.state !== 'handled', action));
  return el(
    'li',
    { className: group.state === 'handled' ? 'gap handled' : 'gap', 'data-key': group.key },
    el(
      'details',
      {},
      el(
        'summary',
        {},
        el('span', { className: 'gap-count', text: `${group.count} keer gevraagd:` }),
        first || '',
        el('span', { className: 'gap-lang', text: `(${LANGUAGE_CODES[group.language] || group.language})` }),
        badge,
      ),
      el('p', { className: 'gap-facts', text: facts.join(' · ') }),
      nearest,
      others.length
        ? el(
            'ul',
            { className: 'gap-examples', 'aria-label': 'Andere formuleringen' },
            ...others.map((text) => el('li', { text })),
          )
        : null,
      handledLine,
      el('div', { className: 'gap-actions' }, action),
    ),
  );
}

/** Marks `group` as handled (or opens it again), then shows the list anew. */
async function mark(group, handled, button) {
  if (button) button.disabled = true;
  try {
    await api('POST', '/api/knowledge/gaps/handled', { questions: group.question_ids, handled });
    state.lastMark = { group, handled };
    const first = (group.examples || [])[0] || '';
    $('gaps-status-text').textContent = handled
      ? `Groep “${first}” gemarkeerd als afgehandeld.`
      : `Groep “${first}” staat weer open.`;
    $('gaps-undo').hidden = false;
    await loadGaps();
    // The group may have left the list: keep the keyboard near the action.
    $('gaps-undo').focus();
  } catch (error) {
    if (button) button.disabled = false;
    $('gaps-status-text').textContent = error.message || 'Markeren lukte niet.';
    $('gaps-undo').hidden = true;
    if (error instanceof ApiError && error.status === 401) handleError(error);
  }
}

async function undoMark() {
  const last = state.lastMark;
  if (!last) return;
  state.lastMark = null;
  await mark(last.group, !last.handled, null);
  $('gaps-undo').hidden = true;
  $('gap-list').focus();
}

// ----------------------------------------------------------------- usage

/** Usage rows shown at first. */
const USAGE_SHOWN = 15;

async function loadUsage(event) {
  event?.preventDefault();
  try {
    const report = await api('GET', withSince('/api/knowledge/usage', $('usage-since').value));
    if (!$('usage-since').value && report.since) $('usage-since').value = report.since;
    for (const row of report.entries || []) {
      if (row.title && (!state.titles.has(row.faq_id) || row.lang === 'nl')) state.titles.set(row.faq_id, row.title);
    }
    renderUsage(report);
  } catch (error) {
    handleError(error);
  }
}

function renderUsage(report) {
  const entries = report.entries || [];
  const given = entries.reduce((sum, r) => sum + r.answered, 0);
  const yes = entries.reduce((sum, r) => sum + r.helpful, 0);
  const no = entries.reduce((sum, r) => sum + r.not_helpful, 0);
  $('usage-summary').textContent = `${times(given, 'antwoord', 'antwoorden')} gegeven van ${report.since} tot en met ${report.until}; ${yes}× “Ja, bedankt”, ${no}× “Nee”.`;
  $('usage-caption').textContent = 'Meest gegeven eerst. “Laatst gegeven” kijkt verder terug dan de gekozen periode.';
  // The most given first; the rest behind one button, so the page stays short.
  const rows = entries.map(usageRow);
  $('usage-rows').replaceChildren(...rows.slice(0, USAGE_SHOWN));
  const more = $('usage-more');
  more.hidden = rows.length <= USAGE_SHOWN;
  more.textContent = `Alle ${rows.length} antwoorden tonen`;
  more.onclick = () => {
    $('usage-rows').replaceChildren(...rows);
    more.hidden = true;
    $('usage-rows').rows[USAGE_SHOWN]?.querySelector('td')?.setAttribute('tabindex', '-1');
    $('usage-rows').rows[USAGE_SHOWN]?.querySelector('td')?.focus();
  };
  const unused = report.unused || [];
  $('unused-title').textContent = `Niet gebruikt in de laatste 90 dagen (${unused.length})`;
  $('unused-hint').hidden = unused.length === 0;
  $('unused-list').replaceChildren(
    ...(unused.length
      ? unused.map((row) =>
          el(
            'li',
            {},
            `${row.title || row.faq_id} `,
            el('span', {
              className: 'muted',
              text: `(${row.faq_id}, ${LANGUAGES[row.lang] || row.lang}) – ${row.last_used_at ? `laatst gegeven ${when(row.last_used_at)}` : 'nooit gegeven'}`,
            }),
          ),
        )
      : [el('li', { text: 'Alle antwoorden zijn in de laatste 90 dagen gegeven.' })]),
  );
}

function usageRow(row) {
  return el(
    'tr',
    { className: row.last_used_at ? null : 'never' },
    el(
      'td',
      {},
      row.title || 'Niet meer in de kennisbank',
      el('span', { className: 'faq-id', text: row.faq_id }),
    ),
    el('td', { text: LANGUAGES[row.lang] || row.lang }),
    el('td', { className: 'num', text: String(row.answered) }),
    el('td', { className: 'num', text: String(row.helpful) }),
    el('td', { className: row.not_helpful ? 'num not-helpful' : 'num', text: String(row.not_helpful) }),
    el('td', { text: when(row.last_used_at) }),
  );
}

// --------------------------------------------------------------- overlap

/** Pairs shown at first; the rest behind one button, so the page stays short. */
const OVERLAP_SHOWN = 25;

async function loadOverlap() {
  try {
    renderOverlap(await api('GET', '/api/knowledge/confusions'));
  } catch (error) {
    $('overlap-summary').textContent = 'De overlap kon niet worden berekend.';
    handleError(error);
  }
}

function renderOverlap(report) {
  const pairs = report.pairs || [];
  const percent = Math.round((report.top1 || 0) * 100);
  $('overlap-summary').textContent =
    `${times(report.questions || 0, 'voorbeeldvraag', 'voorbeeldvragen')}: ${percent} % komt bij het eigen antwoord uit. ` +
    (pairs.length
      ? `${times(pairs.length, 'paar antwoorden', 'paren antwoorden')} met overlap, meeste overlap eerst.`
      : 'Geen antwoorden met overlap.');
  const items = pairs.map(overlapItem);
  const list = $('overlap-list');
  list.replaceChildren(...items.slice(0, OVERLAP_SHOWN));
  if (items.length > OVERLAP_SHOWN) {
    const more = el('button', { type: 'button', className: 'secondary', text: `Alle ${items.length} paren tonen` });
    more.addEventListener('click', () => {
      list.replaceChildren(...items);
      more.remove();
      list.querySelectorAll('summary')[OVERLAP_SHOWN]?.focus();
    });
    list.after(more);
  }
}

function entryName(id) {
  const title = state.titles.get(id);
  return title ? `${title} (${id})` : id;
}

function overlapItem(pair) {
  const questions = pair.questions || [];
  return el(
    'li',
    { className: 'overlap' },
    el(
      'details',
      {},
      el(
        'summary',
        {},
        `${entryName(pair.a)} en ${entryName(pair.b)} `,
        el('span', {
          className: 'muted',
          text: `(${LANGUAGES[pair.lang] || pair.lang}, ${times(questions.length, 'vraag', 'vragen')})`,
        }),
      ),
      el('ul', { className: 'gap-examples', 'aria-label': 'Vragen die bij het andere antwoord uitkwamen' }, ...questions.map((text) => el('li', { text }))),
    ),
  );
}

// ---------------------------------------------------------------- session

async function logout() {
  try {
    await api('DELETE', '/api/session');
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      handleError(error);
      return;
    }
  }
  location.assign('/staff');
}

async function boot() {
  $('notice-close').addEventListener('click', () => {
    $('notice').hidden = true;
  });
  $('logout-button').addEventListener('click', logout);
  $('gaps-form').addEventListener('submit', loadGaps);
  for (const id of ['gaps-sort', 'gaps-state', 'gaps-language']) $(id).addEventListener('change', refilter);
  $('gaps-search').addEventListener('input', refilter);
  $('gaps-undo').addEventListener('click', undoMark);
  $('gaps-more').addEventListener('click', () => {
    state.gapsShown = Infinity;
    renderGaps();
    $('gap-list').querySelectorAll('summary')[GAPS_SHOWN]?.focus();
  });
  $('usage-form').addEventListener('submit', loadUsage);
  try {
    state.session = await api('GET', '/api/session');
  } catch (error) {
    handleError(error);
    return;
  }
  const { username, role } = state.session;
  $('whoami-name').textContent = `${username} (${role})`;
  $('session-tools').hidden = false;
  $('loading').hidden = true;
  $('workspace-link').hidden = role === 'editor';
  if (role !== 'editor' && role !== 'admin') {
    showNotice(`Met de rol ${role} hebt u geen toegang tot de kennisbank.`, 'error');
    return;
  }
  $('editors').hidden = false;
  // Usage first: it knows the titles the gap groups refer to.
  await loadUsage();
  await loadGaps();
  $('main').focus();
  // Last: the server computes it once per knowledge version (a second or so).
  await loadOverlap();
}

boot();
