// Loket staff page: the reply box and what is shown around it (issue 22,
// sections 3 and 4). An ES module imported by app.js, served by
// src/web/staff_page.rs under the same strict Content-Security-Policy.
//
// - WhatsApp formatting (*bold*, _italic_, ~strike~, lists) rendered as
//   DOM nodes (./whatsapp-format.js, shared with the chat widget): text
//   only ever reaches the page through text nodes, never parsed as HTML,
//   so hostile citizen text stays text.
// - The saved replies picker: "/" and a word in the reply box, arrows and
//   Enter pick, Escape closes (an ARIA combobox with a listbox).
// - A character counter with WhatsApp's 4,096 limit.
// - Drafts per thread in localStorage (cleared on send and on logout).
// - Feedback beside the form that caused it, in a live region.

import { whatsappNodes } from './whatsapp-format.js';

export { whatsappNodes };

export const WHATSAPP_LIMIT = 4096;

// ---------------------------------------------------------------- drafts

const DRAFT_PREFIX = 'loket:draft:';

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage blocked: drafts live as long as the page
  }
}

// Unsent reply texts per thread, kept in localStorage so a reload keeps
// them; the same get/set/delete/clear as the Map it replaces in app.js.
export function localDrafts() {
  const memory = new Map();
  const store = storage();
  return {
    get(id) {
      if (id === null || id === undefined) return undefined;
      try {
        return store?.getItem(DRAFT_PREFIX + id) ?? memory.get(id);
      } catch {
        return memory.get(id);
      }
    },
    set(id, text) {
      if (id === null || id === undefined) return;
      memory.set(id, text);
      try {
        store?.setItem(DRAFT_PREFIX + id, text);
      } catch {
        /* full or blocked: the in-memory copy stays */
      }
    },
    delete(id) {
      memory.delete(id);
      try {
        store?.removeItem(DRAFT_PREFIX + id);
      } catch {
        /* nothing to remove */
      }
    },
    // On logout: every draft of this browser, so the next person at the
    // desk reads none of them.
    clear() {
      memory.clear();
      if (!store) return;
      try {
        const keys = [];
        for (let i = 0; i < store.length; i += 1) {
          const key = store.key(i);
          if (key?.startsWith(DRAFT_PREFIX)) keys.push(key);
        }
        for (const key of keys) store.removeItem(key);
      } catch {
        /* nothing to clear */
      }
    },
  };
}

// -------------------------------------------------------------- feedback

const feedbackTimers = new Map();

// Shows `text` in the feedback region of the area `near` belongs to
// (`data-feedback="<region id>"` on an ancestor), when that area is in
// view; returns false when there is none, so the caller uses the page's
// message bar instead.
export function showFeedback(near, text, kind = 'info') {
  const area = near?.closest?.('[data-feedback]');
  const region = area ? document.getElementById(area.dataset.feedback) : null;
  if (!region) return false;
  const visible = area.checkVisibility ? area.checkVisibility() : !area.closest('[hidden]');
  if (!visible) return false;
  clearTimeout(feedbackTimers.get(region.id));
  region.dataset.kind = kind;
  region.textContent = text;
  region.hidden = false;
  // Confirmations fade; errors stay until replaced or the thread changes.
  if (kind === 'ok') feedbackTimers.set(region.id, setTimeout(() => hideFeedback(region), 8000));
  return true;
}

function hideFeedback(region) {
  clearTimeout(feedbackTimers.get(region.id));
  region.textContent = '';
  region.hidden = true;
  delete region.dataset.kind;
}

// Empties every feedback region (another thread was opened).
export function clearFeedback() {
  for (const region of document.querySelectorAll('.form-feedback')) hideFeedback(region);
}

// ----------------------------------------------------- counter and picker

// Code points, as WhatsApp and the server count.
export function charCount(text) {
  return [...text].length;
}

const numberFormat = new Intl.NumberFormat('nl-NL');

// Sets up the reply box. `options`: `api(method, path)` (app.js's),
// `language()` (the open thread's), `threadId()`, `drafts` (localDrafts).
export function setUpReplyBox(options) {
  const textarea = document.getElementById('reply-text');
  const list = document.getElementById('saved-reply-list');
  const counter = document.getElementById('reply-count');
  const picker = { open: false, items: [], active: -1, start: 0, end: 0 };
  const cache = new Map(); // language -> { at, replies }

  textarea.setAttribute('role', 'combobox');
  textarea.setAttribute('aria-autocomplete', 'list');
  textarea.setAttribute('aria-controls', list.id);
  textarea.setAttribute('aria-expanded', 'false');
  textarea.setAttribute('aria-haspopup', 'listbox');

  function updateCounter() {
    const count = charCount(textarea.value);
    const over = count > WHATSAPP_LIMIT;
    counter.textContent = over
      ? `${numberFormat.format(count)} / ${numberFormat.format(WHATSAPP_LIMIT)} tekens: ${numberFormat.format(count - WHATSAPP_LIMIT)} te veel`
      : `${numberFormat.format(count)} / ${numberFormat.format(WHATSAPP_LIMIT)} tekens`;
    counter.dataset.over = over ? 'true' : 'false';
    textarea.setAttribute('aria-invalid', over ? 'true' : 'false');
  }

  // One request per language and minute, shared by the keystrokes that
  // wait on it; the filled-in deadline counts from now, so it is fetched
  // again after a minute (and after a failure).
  function savedReplies(language) {
    const known = cache.get(language);
    if (known && Date.now() - known.at < 60_000) return known.replies;
    const replies = options
      .api('GET', `/api/saved-replies?${new URLSearchParams({ lang: language })}`)
      .then((data) => (Array.isArray(data?.replies) ? data.replies : []));
    replies.catch(() => cache.delete(language));
    cache.set(language, { at: Date.now(), replies });
    return replies;
  }

  // The "/word" just before the caret, if the caret ends one.
  function slashToken() {
    const caret = textarea.selectionStart;
    if (caret !== textarea.selectionEnd) return null;
    const before = textarea.value.slice(0, caret);
    const match = /(^|\s)\/([\p{L}\p{N}-]*)$/u.exec(before);
    if (!match) return null;
    return { start: caret - match[2].length - 1, end: caret, word: match[2].toLowerCase() };
  }

  function matches(replies, word) {
    if (!word) return replies;
    const scored = [];
    for (const reply of replies) {
      const title = (reply.title || '').toLowerCase();
      const id = (reply.id || '').toLowerCase();
      const text = (reply.text || '').toLowerCase();
      const words = `${title} ${id.replaceAll('-', ' ')}`.split(/[^\p{L}\p{N}]+/u);
      let score = -1;
      if (id.startsWith(word) || title.startsWith(word)) score = 0;
      else if (words.some((w) => w.startsWith(word))) score = 1;
      else if (title.includes(word) || id.includes(word)) score = 2;
      else if (text.includes(word)) score = 3;
      if (score >= 0) scored.push({ reply, score });
    }
    return scored.sort((a, b) => a.score - b.score).map((s) => s.reply);
  }

  function render() {
    list.replaceChildren(
      ...picker.items.map((reply, index) => {
        const option = document.createElement('li');
        option.id = `saved-reply-${index}`;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', index === picker.active ? 'true' : 'false');
        option.className = 'saved-reply';
        const title = document.createElement('span');
        title.className = 'saved-reply-title';
        title.textContent = reply.title || reply.id;
        const preview = document.createElement('span');
        preview.className = 'saved-reply-text';
        preview.append(whatsappNodes(summary(reply.text || ''), { inline: true }));
        option.append(title, preview);
        // mousedown, not click: the reply box keeps the focus.
        option.addEventListener('mousedown', (event) => {
          event.preventDefault();
          pick(index);
        });
        return option;
      }),
    );
    list.hidden = !picker.open;
    textarea.setAttribute('aria-expanded', picker.open ? 'true' : 'false');
    if (picker.open && picker.active >= 0) {
      textarea.setAttribute('aria-activedescendant', `saved-reply-${picker.active}`);
      list.children[picker.active]?.scrollIntoView({ block: 'nearest' });
    } else {
      textarea.removeAttribute('aria-activedescendant');
    }
  }

  function close() {
    if (!picker.open) return;
    picker.open = false;
    picker.items = [];
    picker.active = -1;
    render();
  }

  let lookup = 0; // the latest lookup wins
  async function lookupToken() {
    const token = slashToken();
    if (!token) {
      close();
      return;
    }
    const mine = ++lookup;
    let replies;
    try {
      replies = await savedReplies(options.language() === 'en' ? 'en' : 'nl');
    } catch (error) {
      if (mine === lookup) {
        close();
        options.onError?.(error);
      }
      return;
    }
    if (mine !== lookup) return;
    const now = slashToken();
    if (!now || now.start !== token.start) return;
    picker.items = matches(replies, now.word).slice(0, 8);
    picker.start = now.start;
    picker.end = now.end;
    picker.open = picker.items.length > 0;
    picker.active = picker.open ? 0 : -1;
    render();
  }

  function pick(index) {
    const reply = picker.items[index];
    if (!reply) return;
    const token = slashToken() || { start: picker.start, end: picker.end };
    const value = textarea.value;
    const text = reply.text || '';
    textarea.value = value.slice(0, token.start) + text + value.slice(token.end);
    const caret = token.start + text.length;
    textarea.setSelectionRange(caret, caret);
    close();
    afterEdit();
    showFeedback(textarea, `Standaardantwoord “${reply.title || reply.id}” ingevoegd; pas het aan waar nodig.`, 'ok');
  }

  function afterEdit() {
    updateCounter();
    const id = options.threadId();
    if (id === null || id === undefined) return;
    if (textarea.value.trim()) options.drafts.set(id, textarea.value);
    else options.drafts.delete(id);
  }

  textarea.addEventListener('input', () => {
    afterEdit();
    lookupToken();
  });
  textarea.addEventListener('keydown', (event) => {
    if (!picker.open) return;
    const count = picker.items.length;
    switch (event.key) {
      case 'ArrowDown':
        picker.active = (picker.active + 1) % count;
        break;
      case 'ArrowUp':
        picker.active = (picker.active - 1 + count) % count;
        break;
      case 'Enter':
        if (event.ctrlKey || event.metaKey || event.shiftKey) return;
        pick(picker.active < 0 ? 0 : picker.active);
        break;
      case 'Escape':
        close();
        break;
      case 'Tab':
        close();
        return;
      default:
        return;
    }
    // Handled here: not a new line, not the page's own shortcuts.
    event.preventDefault();
    event.stopImmediatePropagation();
    if (picker.open) render();
  });
  textarea.addEventListener('blur', () => close());
  // Moving the caret away from the "/word" closes the picker.
  textarea.addEventListener('click', () => {
    if (picker.open && !slashToken()) close();
  });

  updateCounter();
  return {
    // After app.js set the box's value (another thread, a send, an insert).
    refresh() {
      close();
      updateCounter();
    },
    // Refuses (beside the reply box) a text over WhatsApp's limit before
    // it is sent; true when the text may go.
    withinLimit() {
      const count = charCount(textarea.value.trim());
      if (count <= WHATSAPP_LIMIT) return true;
      showFeedback(
        textarea,
        `Het antwoord is te lang: ${numberFormat.format(count)} tekens, WhatsApp staat er hooguit ${numberFormat.format(WHATSAPP_LIMIT)} toe. Maak het ${numberFormat.format(count - WHATSAPP_LIMIT)} tekens korter.`,
        'error',
      );
      textarea.focus();
      return false;
    },
    // After an insert by app.js (a knowledge answer): counter and draft.
    edited() {
      afterEdit();
    },
    // The "/" shortcut (keys.js): the focus to the end of the reply, a
    // "/" typed there, and the picker open with every saved reply; typing
    // a word narrows it as usual.
    startPicker() {
      textarea.focus();
      const before = textarea.value;
      textarea.value = `${before}${before && !/\s$/.test(before) ? ' ' : ''}/`;
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
      afterEdit();
      lookupToken();
    },
  };
}

function summary(text) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}
