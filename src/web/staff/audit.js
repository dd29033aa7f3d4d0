// Loket audit page (admins): the audit log filtered by user, action and
// date from GET /api/audit, and the export for a citizen's access request
// through POST /api/exports. Everything reaches the page as text only.

const $ = (id) => document.getElementById(id);
const TIME_ZONE = 'Europe/Amsterdam';

function el(tag, text) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  return node;
}

const timeFormat = new Intl.DateTimeFormat('nl-NL', {
  dateStyle: 'short', timeStyle: 'medium', timeZone: TIME_ZONE,
});

// A date from the form as the start of that day in the office's time zone.
function startOfDay(day) {
  // Offsets of the Netherlands are +01:00 or +02:00; take the one in force.
  for (const offset of ['+01:00', '+02:00']) {
    const at = new Date(`${day}T00:00:00${offset}`);
    const local = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(at);
    const hour = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, hour: '2-digit', hourCycle: 'h23' }).format(at);
    if (local === day && hour === '00') return at;
  }
  return new Date(`${day}T00:00:00Z`);
}

function nextDay(day) {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

async function request(method, path, body, csrf) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf) headers['X-CSRF-Token'] = csrf;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const data = await response.json().catch(() => null);
  return { response, data };
}

function problem(response, data, fallback) {
  if (response.status === 401) return 'U bent niet ingelogd. Log in op de werkplek en kom dan terug.';
  if (response.status === 403) return 'Alleen beheerders zien het auditlog en maken exports.';
  return (data && data.message) || fallback;
}

function render(entries) {
  const table = $('audit-table');
  const head = el('tr');
  for (const title of ['Tijd', 'Wie', 'Actie', 'Gesprek', 'Details', 'Adres']) {
    const th = el('th', title);
    th.setAttribute('scope', 'col');
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  for (const entry of entries) {
    const tr = el('tr');
    tr.append(
      el('td', timeFormat.format(new Date(entry.at))),
      el('td', entry.actor),
      el('td', entry.action),
      el('td', entry.conversation ?? ''),
      el('td', entry.detail || ''),
      el('td', entry.client || ''),
    );
    body.append(tr);
  }
  table.replaceChildren(thead, body);
  table.hidden = entries.length === 0;
}

async function load() {
  const params = new URLSearchParams({ limit: '1000' });
  const user = $('audit-user').value.trim();
  const action = $('audit-action').value;
  const from = $('audit-from').value;
  const to = $('audit-to').value;
  if (user) params.set('user', user);
  if (action) params.set('action', action);
  if (from) params.set('since', startOfDay(from).toISOString());
  if (to) params.set('until', startOfDay(nextDay(to)).toISOString());
  $('audit-status').textContent = 'Laden…';
  try {
    const { response, data } = await request('GET', `/api/audit?${params}`);
    if (!response.ok) {
      $('audit-status').textContent = problem(response, data, 'Het auditlog kon niet worden geladen.');
      $('audit-table').hidden = true;
      return;
    }
    render(data.entries);
    $('audit-status').textContent = data.entries.length === 0
      ? 'Geen regels voor deze keuze.'
      : `${data.entries.length} regels, nieuwste eerst${data.entries.length === 1000 ? ' (de eerste 1000; kies een kortere periode)' : ''}.`;
  } catch {
    $('audit-status').textContent = 'Geen verbinding met de server. Probeer het zo opnieuw.';
  }
}

async function exportCitizen() {
  const citizen = $('export-citizen').value.trim();
  if (!citizen) {
    $('export-status').textContent = 'Vul een telefoonnummer in.';
    return;
  }
  $('export-status').textContent = 'Exporteren…';
  try {
    // The CSRF token of this login, as the staff page gets it.
    const session = await request('GET', '/api/session');
    if (!session.response.ok) {
      $('export-status').textContent = problem(session.response, session.data, 'Niet ingelogd.');
      return;
    }
    const { response, data } = await request('POST', '/api/exports', { citizen }, session.data.csrf_token);
    if (!response.ok) {
      $('export-status').textContent = problem(response, data, 'De export is mislukt.');
      return;
    }
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
    const link = el('a');
    link.href = URL.createObjectURL(blob);
    link.download = `loket-export-${data.exported_at.slice(0, 19).replace(/[^0-9]/g, '')}.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    $('export-status').textContent = data.conversations.length + data.messages.length === 0
      ? 'Over dit nummer is niets bewaard; het gedownloade bestand zegt dat ook.'
      : `Export gemaakt: ${data.conversations.length} gesprek(ken), ${data.messages.length} bericht(en), ${data.replies.length} antwoord(en).`;
    $('export-citizen').value = '';
    load();
  } catch {
    $('export-status').textContent = 'Geen verbinding met de server. Probeer het zo opnieuw.';
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('audit-form').addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  $('export-form').addEventListener('submit', (event) => {
    event.preventDefault();
    exportCitizen();
  });
  load();
});
