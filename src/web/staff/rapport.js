// Loket reports page: asks /api/report for a date range and shows the
// figures as tiles, two charts and tables, with a CSV download of the same
// range (/api/report/csv, the bytes of `loket report --csv`). The "nu"
// panel polls /api/report/now. The charts come as SVG from the server
// (report::chart) and are placed as parsed SVG nodes; figures only ever
// reach the page as text.

const $ = (id) => document.getElementById(id);
const TIME_ZONE = 'Europe/Amsterdam';
// How often the "nu" panel asks again while the page is visible.
const NOW_EVERY_MS = 20_000;

let session = null;

const COLUMNS = [
  ['contacts', 'Contacten'],
  ['whatsapp', 'Via WhatsApp'],
  ['web', 'Via webchat'],
  ['outside_hours', 'Buiten kantoortijd'],
  ['bot_one_go', 'Bot in één keer'],
  ['bot_exchange', 'Bot na gesprek'],
  ['handed_over', 'Naar medewerker'],
  ['in_progress', 'Loopt nog'],
  ['first_reply_median_secs', 'Wachttijd mediaan'],
  ['first_reply_p90_secs', 'Wachttijd p90'],
  ['handling_median_secs', 'Behandeltijd mediaan'],
  ['deadline_met', 'Op tijd beantwoord'],
];

function el(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function duration(secs) {
  if (secs === null || secs === undefined) return '–';
  if (secs < 60) return `${secs} s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min`;
  return `${Math.floor(secs / 3600)} u ${String(Math.floor((secs % 3600) / 60)).padStart(2, '0')} min`;
}

function percent(part, share) {
  return share === null || share === undefined ? '–' : `${part} (${Math.round(share * 100)}%)`;
}

function cell(row, key) {
  switch (key) {
    case 'outside_hours':
      return percent(row.outside_hours, row.outside_hours_share);
    case 'deadline_met':
      return row.deadline_met_share === null
        ? '–'
        : `${row.deadline_met}/${row.deadline_due} (${Math.round(row.deadline_met_share * 100)}%)`;
    case 'first_reply_median_secs':
    case 'first_reply_p90_secs':
    case 'handling_median_secs':
      return duration(row[key]);
    case 'whatsapp':
    case 'web':
      return String(row.contacts_by_channel[key] || 0);
    default:
      return String(row[key]);
  }
}

const dayFormat = new Intl.DateTimeFormat('nl-NL', {
  weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC',
});

function dayLabel(row) {
  return dayFormat.format(new Date(`${row.from}T00:00:00Z`));
}

function weekLabel(row) {
  const [year, week] = row.period.split('-W');
  return `week ${Number(week)} (${year})`;
}

function fillTable(table, rows, label, total) {
  const head = el('tr');
  head.append(el('th', { scope: 'col' }, ''));
  for (const [, title] of COLUMNS) head.append(el('th', { scope: 'col' }, title));
  const body = el('tbody');
  const all = total ? [...rows, total] : rows;
  for (const row of all) {
    const tr = el('tr');
    const day = new Date(`${row.from}T00:00:00Z`).getUTCDay();
    if (!total && (day === 0 || day === 6)) tr.className = 'weekend';
    tr.append(el('th', { scope: 'row' }, row === total ? 'Totaal' : label(row)));
    for (const [key] of COLUMNS) tr.append(el('td', {}, cell(row, key)));
    body.append(tr);
  }
  const thead = el('thead');
  thead.append(head);
  table.replaceChildren(thead, body);
}

// The SVG is made by the server from numbers and fixed labels; parsing it
// as SVG (not HTML) cannot run script, and the page policy forbids inline
// script anyway.
function placeSvg(container, text) {
  const parsed = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = parsed.documentElement;
  if (svg.nodeName !== 'svg' || parsed.getElementsByTagName('parsererror').length) {
    container.replaceChildren(el('p', { class: 'muted' }, 'Grafiek niet beschikbaar.'));
    return;
  }
  container.replaceChildren(document.importNode(svg, true));
}

function tile(title, value) {
  const box = el('div');
  box.append(el('dt', {}, title), el('dd', {}, value));
  return box;
}

function render(report) {
  const t = report.total;
  $('summary').replaceChildren(
    tile('Contacten', String(t.contacts)),
    tile('Door de bot afgehandeld', percent(t.bot_one_go + t.bot_exchange, t.contacts ? (t.bot_one_go + t.bot_exchange) / t.contacts : null)),
    tile('Naar een medewerker', percent(t.handed_over, t.contacts ? t.handed_over / t.contacts : null)),
    tile('Buiten kantoortijd', percent(t.outside_hours, t.outside_hours_share)),
    tile('Wachttijd mediaan', duration(t.first_reply_median_secs)),
    tile('Wachttijd p90', duration(t.first_reply_p90_secs)),
    tile('Op tijd beantwoord', cell(t, 'deadline_met')),
  );
  placeSvg($('chart-contacts'), report.charts.contacts);
  placeSvg($('chart-waiting'), report.charts.waiting);
  fillTable($('weeks-table'), report.weeks, weekLabel, t);
  fillTable($('days-table'), report.days, dayLabel, null);
  const topics = t.top_topics.map((x) => el('li', {}, `${x.topic} (${x.count})`));
  $('top-topics').replaceChildren(...(topics.length ? topics : [el('li', { class: 'muted' }, 'Nog geen afgesloten gesprekken.')]));
  const faq = t.top_faq.map((x) => el('li', {}, `${answerName(x)}: ${x.answered}× gegeven, ja ${x.feedback_yes}, nee ${x.feedback_no}`));
  $('top-faq').replaceChildren(...(faq.length ? faq : [el('li', { class: 'muted' }, 'Geen gegevens.')]));
}

// An answer by its title; one removed from the knowledge base since
// keeps its id, said as such.
function answerName(answer) {
  return answer.title || `${answer.faq_id} (niet meer in de kennisbank)`;
}

function csvHref(from, to) {
  return `/api/report/csv?${new URLSearchParams({ from, to })}`;
}

async function load() {
  const from = $('range-from').value;
  const to = $('range-to').value;
  const params = new URLSearchParams();
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  $('report-status').textContent = 'Laden…';
  let response;
  try {
    response = await fetch(`/api/report?${params}`, {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    $('report-status').textContent = 'Geen verbinding met de server. Probeer het zo opnieuw.';
    return;
  }
  const data = await response.json().catch(() => null);
  if (response.status === 401) {
    $('report-status').textContent = 'U bent niet ingelogd. Log in op de werkplek en kom dan terug.';
    $('report-body').hidden = true;
    return;
  }
  if (!response.ok) {
    $('report-status').textContent = (data && data.message) || 'De rapportage kon niet worden geladen.';
    $('report-body').hidden = true;
    return;
  }
  $('range-from').value = data.from;
  $('range-to').value = data.to;
  render(data);
  $('csv-link').href = csvHref(data.from, data.to);
  $('csv-link').textContent = `CSV downloaden (${data.from} tot en met ${data.to})`;
  $('csv-link').hidden = false;
  $('report-status').textContent = `Periode ${data.from} tot en met ${data.to}.`;
  $('report-body').hidden = false;
}

// ---------------------------------------------------------------- nu

function minutes(secs) {
  if (secs === null || secs === undefined) return 'niemand wacht';
  return duration(secs);
}

function renderNow(now) {
  $('now-tiles').replaceChildren(
    tile('Wachtend', now.waiting_urgent ? `${now.waiting} (${now.waiting_urgent} urgent)` : String(now.waiting)),
    tile('Langste wachttijd', minutes(now.oldest_wait_secs)),
    tile('Medewerkers online', String(now.online)),
  );
  const rows = now.colleagues.map((c) => {
    const tr = el('tr');
    tr.append(
      el('th', { scope: 'row' }, c.username),
      el('td', {}, c.online ? 'ja' : 'nee'),
      el('td', {}, String(c.open_threads)),
    );
    return tr;
  });
  if (!rows.length) {
    const tr = el('tr');
    tr.append(el('td', { colspan: '3', class: 'muted' }, 'Geen collega’s.'));
    rows.push(tr);
  }
  $('now-colleagues').replaceChildren(...rows);
  const at = new Intl.DateTimeFormat('nl-NL', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: TIME_ZONE })
    .format(new Date(now.at));
  $('now-updated').textContent = `Stand van ${at}; wordt elke 20 seconden bijgewerkt.`;
}

let nowTimer = null;

// The panel shows only for roles that may see it (the API answers 403
// otherwise) and stays as it was when a poll fails, saying so.
async function loadNow() {
  clearTimeout(nowTimer);
  let response;
  try {
    response = await fetch('/api/report/now', {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    $('now-updated').textContent = 'Geen verbinding; de stand hierboven is van eerder.';
    schedule();
    return;
  }
  if (response.status === 401 || response.status === 403) {
    $('now').hidden = true;
    return;
  }
  const data = await response.json().catch(() => null);
  if (!response.ok || !data) {
    $('now-updated').textContent = 'De stand kon niet worden bijgewerkt; de stand hierboven is van eerder.';
    schedule();
    return;
  }
  renderNow(data);
  $('now').hidden = false;
  schedule();
}

function schedule() {
  clearTimeout(nowTimer);
  if (!document.hidden) nowTimer = setTimeout(loadNow, NOW_EVERY_MS);
}

// ---------------------------------------------------------------- session

async function loadSession() {
  try {
    const response = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) return;
    session = await response.json();
  } catch {
    return;
  }
  $('whoami-name').textContent = session.username;
  $('whoami').hidden = false;
  $('logout-button').hidden = false;
}

async function logout() {
  try {
    const response = await fetch('/api/session', {
      method: 'DELETE',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': session ? session.csrf_token : '' },
    });
    if (!response.ok && response.status !== 401) {
      $('report-status').textContent = 'Uitloggen is niet gelukt. Probeer het opnieuw.';
      return;
    }
  } catch {
    $('report-status').textContent = 'Geen verbinding met de server; u bent nog ingelogd.';
    return;
  }
  location.assign('/staff');
}

function today() {
  // YYYY-MM-DD in the office's time zone.
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(new Date());
}

document.addEventListener('DOMContentLoaded', () => {
  $('range-form').addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  $('range-to').max = today();
  $('logout-button').addEventListener('click', logout);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) loadNow();
  });
  loadSession();
  load();
  loadNow();
});
