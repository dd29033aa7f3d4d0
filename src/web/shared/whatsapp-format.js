// WhatsApp's formatting as DOM nodes (*bold*, _italic_, ~strike~, lists),
// shared by the staff page (an ES module, served as
// /staff/whatsapp-format.js) and the website chat widget (which includes
// this file inside its own script, with `export` taken out; see
// src/web/widget.rs). Nodes, never HTML: a citizen's or an editor's text
// cannot become markup.

// WhatsApp's markers and the element each becomes.
const MARKERS = { '*': 'strong', _: 'em', '~': 's' };
// A marker opens after a start or a non-word character, is followed by a
// non-space, closes after a non-space and before an end or a non-word
// character, within one line: "2*3*4" and "snake_case_name" stay text.
const INLINE = /(^|[^\p{L}\p{N}])([*_~])(?!\s)(.+?)(?<!\s)\2(?![\p{L}\p{N}])/u;
const BULLET = /^\s*[-*•]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,3})[.)]\s+(.*)$/;

// The nodes of one line's inline formatting (nested markers too).
function inlineNodes(text) {
  const nodes = [];
  let rest = text;
  for (let guard = 0; rest && guard < 1000; guard += 1) {
    const match = INLINE.exec(rest);
    if (!match) break;
    const before = rest.slice(0, match.index) + match[1];
    if (before) nodes.push(document.createTextNode(before));
    const element = document.createElement(MARKERS[match[2]]);
    element.append(...inlineNodes(match[3]));
    nodes.push(element);
    rest = rest.slice(match.index + match[0].length);
  }
  if (rest) nodes.push(document.createTextNode(rest));
  return nodes;
}

// A message as WhatsApp shows it, as a fragment of DOM nodes. `inline`:
// one line (a preview), markers only. The text between blocks keeps its
// line breaks (the page shows it with white-space: pre-wrap).
export function whatsappNodes(text, { inline = false } = {}) {
  const fragment = document.createDocumentFragment();
  const source = String(text ?? '');
  if (inline) {
    fragment.append(...inlineNodes(source));
    return fragment;
  }
  let list = null; // the open <ul> or <ol>
  let pending = []; // text lines waiting for their block
  const flushText = () => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    lines.forEach((line, index) => {
      fragment.append(...inlineNodes(line));
      if (index < lines.length - 1) fragment.append(document.createTextNode('\n'));
    });
  };
  for (const line of source.split('\n')) {
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      const tag = bullet ? 'ul' : 'ol';
      if (!list || list.tagName.toLowerCase() !== tag) {
        // Blank lines around a list are the list's own margins.
        while (pending.length && pending[pending.length - 1].trim() === '') pending.pop();
        flushText();
        list = document.createElement(tag);
        list.className = 'wa-list';
        if (numbered && numbered[1] !== '1') list.setAttribute('start', numbered[1]);
        fragment.append(list);
      }
      const item = document.createElement('li');
      item.append(...inlineNodes(bullet ? bullet[1] : numbered[2]));
      list.append(item);
    } else {
      if (list && line.trim() === '' && pending.length === 0) {
        list = null;
        continue;
      }
      list = null;
      pending.push(line);
    }
  }
  flushText();
  return fragment;
}
