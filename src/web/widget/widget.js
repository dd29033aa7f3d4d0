// Loket's website chat widget (issue 24). One script tag on the
// organisation's site:
//   <script src="https://loket.example/widget.js" data-organisation="Gemeente X" defer></script>
// No framework, no inline script or style (a constructed stylesheet in a
// shadow root, so the host page's strict CSP and CSS leave it alone), no
// cookies: the session token lives in sessionStorage, so closing the tab
// ends the chat. Talks to Loket's /api/webchat/* and /api/availability.
(function () {
  "use strict";
  // @include whatsapp-format.js
  var script = document.currentScript;
  if (!script || window.__loketChat) return;
  window.__loketChat = true;

  var base = new URL(script.src, document.baseURI).origin;
  var organisation = script.getAttribute("data-organisation") || "";
  var store = window.sessionStorage;
  var KEY = "loket-chat:" + base;

  var TEXT = {
    nl: {
      open: "Chat met ons",
      title: "Chat met " + (organisation || "ons"),
      close: "Chat sluiten",
      label: "Je bericht",
      send: "Versturen",
      other: "English",
      otherLang: "en",
      list: "Berichten",
      you: "Jij",
      bot: "Digitale assistent",
      staff: "Medewerker",
      live: function (wait) {
        return "Er is een medewerker online. " + (wait > 0 ? "Wachttijd: ongeveer " + minutes(wait) + "." : "Geen wachttijd.");
      },
      closed: function (when) {
        return "We zijn nu gesloten. Stel gerust je vraag: de digitale assistent beantwoordt wat hij kan, en een medewerker leest je vraag " + (when ? "vanaf " + when : "zodra we open zijn") + ".";
      },
      nobody: "Er is nu geen medewerker online. Stel gerust je vraag: de digitale assistent beantwoordt wat hij kan, en een medewerker leest je vraag zodra er iemand is.",
      whatsapp: "Liever antwoord op je telefoon? Stuur ons een WhatsApp-bericht.",
      failed: "Versturen lukte niet. Probeer het opnieuw.",
      tooMany: "Je stuurt veel berichten achter elkaar. Wacht even.",
      tooLong: "Je bericht is te lang.",
      reconnecting: "Verbinding verbroken. We proberen het opnieuw…",
      minute: "minuut",
      minutes: "minuten",
      locale: "nl-NL"
    },
    en: {
      open: "Chat with us",
      title: "Chat with " + (organisation || "us"),
      close: "Close chat",
      label: "Your message",
      send: "Send",
      other: "Nederlands",
      otherLang: "nl",
      list: "Messages",
      you: "You",
      bot: "Digital assistant",
      staff: "Staff member",
      live: function (wait) {
        return "A staff member is online. " + (wait > 0 ? "Waiting time: about " + minutes(wait) + "." : "No waiting time.");
      },
      closed: function (when) {
        return "We are closed now. Do ask your question: the digital assistant answers what it can, and a staff member reads your question " + (when ? "from " + when : "when we open") + ".";
      },
      nobody: "No staff member is online right now. Do ask your question: the digital assistant answers what it can, and a staff member reads it as soon as someone is here.",
      whatsapp: "Rather have the answer on your phone? Send us a WhatsApp message.",
      failed: "Sending failed. Please try again.",
      tooMany: "You are sending many messages in a row. Please wait a moment.",
      tooLong: "Your message is too long.",
      reconnecting: "Connection lost. Trying again…",
      minute: "minute",
      minutes: "minutes",
      locale: "en-GB"
    }
  };

  var saved = read();
  var pageLang = (script.getAttribute("data-language") || document.documentElement.lang || "nl").slice(0, 2).toLowerCase();
  var lang = saved.lang || (pageLang === "en" ? "en" : "nl");
  var t = TEXT[lang];

  function minutes(seconds) {
    var m = Math.max(1, Math.round(seconds / 60));
    return m + " " + (m === 1 ? t.minute : t.minutes);
  }
  function read() {
    try { return JSON.parse(store.getItem(KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  function save() {
    try { store.setItem(KEY, JSON.stringify(saved)); } catch (e) { /* private mode: the chat lasts this page */ }
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text != null) node.textContent = text;
    return node;
  }
  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // The widget lives in a shadow root: the host page's CSS does not reach in.
  var host = el("div", { "data-loket-chat": "" });
  var root = host.attachShadow({ mode: "open" });
  var CSS =
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:1rem;line-height:1.4}" +
    ".launcher{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;background:#154273;color:#fff;border:2px solid #fff;border-radius:2rem;padding:.75rem 1.25rem;font-weight:600;cursor:pointer}" +
    "button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #ffb612;outline-offset:2px}" +
    ".panel{position:fixed;right:1rem;bottom:1rem;z-index:2147483001;width:min(24rem,calc(100vw - 2rem));max-height:calc(100vh - 2rem);display:flex;flex-direction:column;background:#fff;color:#1a1a1a;border:1px solid #555;border-radius:.5rem;box-shadow:0 .25rem 1rem rgba(0,0,0,.3)}" +
    ".panel[hidden],.launcher[hidden]{display:none}" +
    "header{display:flex;align-items:center;gap:.5rem;padding:.5rem .75rem;background:#154273;color:#fff;border-radius:.5rem .5rem 0 0}" +
    "h2{flex:1;margin:0;font-size:1.1rem;color:#fff}" +
    "header button{background:transparent;color:#fff;border:1px solid #fff;border-radius:.25rem;padding:.25rem .5rem;cursor:pointer}" +
    ".status{margin:0;padding:.5rem .75rem;background:#eef2f7;border-bottom:1px solid #ccd}" +
    ".status a{color:#154273}" +
    ".log{overflow-y:auto;flex:1;min-height:8rem}" +
    "ol{list-style:none;margin:0;padding:.75rem}" +
    "li{margin:0 0 .5rem;padding:.5rem .75rem;border-radius:.5rem;max-width:85%;white-space:pre-wrap;overflow-wrap:anywhere}" +
    "li.citizen{margin-left:auto;background:#154273;color:#fff}" +
    "li.bot,li.staff{background:#f0f0f0;color:#1a1a1a}" +
    ".who{display:block;font-size:.8rem;font-weight:600}" +
    ".wa-list{list-style:revert;margin:.25rem 0;padding:0 0 0 1.25rem;white-space:normal}" +
    ".wa-list li{margin:0;padding:0;border-radius:0;max-width:none;background:none;color:inherit}" +
    ".choices{display:flex;flex-wrap:wrap;gap:.25rem;margin-top:.5rem}" +
    ".choices button{background:#fff;color:#154273;border:1px solid #154273;border-radius:1rem;padding:.25rem .75rem;cursor:pointer}" +
    "form{display:flex;gap:.5rem;padding:.5rem .75rem;border-top:1px solid #ccd;align-items:flex-end}" +
    "label{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}" +
    "textarea{flex:1;resize:vertical;min-height:2.5rem;padding:.4rem;border:1px solid #555;border-radius:.25rem;color:#1a1a1a;background:#fff}" +
    "form button{background:#154273;color:#fff;border:0;border-radius:.25rem;padding:.5rem .75rem;cursor:pointer}" +
    ".notice{margin:0;padding:0 .75rem .5rem;color:#a00}" +
    "@media (prefers-reduced-motion:no-preference){.panel{animation:in .15s ease-out}@keyframes in{from{opacity:0;transform:translateY(.5rem)}to{opacity:1;transform:none}}}";
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  }

  var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "loket-chat-panel" });
  var panel = el("section", { id: "loket-chat-panel", "class": "panel", role: "dialog", "aria-labelledby": "loket-chat-title", hidden: "" });
  var header = el("header");
  var title = el("h2", { id: "loket-chat-title" });
  var switcher = el("button", { type: "button" });
  var closer = el("button", { type: "button" });
  header.append(title, switcher, closer);
  var status = el("p", { "class": "status", id: "loket-chat-status" });
  // The live region wraps the list, so the list keeps its list semantics.
  var logBox = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
  var list = el("ol");
  logBox.append(list);
  var notice = el("p", { "class": "notice", role: "alert" });
  var form = el("form");
  var label = el("label", { "for": "loket-chat-input" });
  var input = el("textarea", { id: "loket-chat-input", rows: "2", maxlength: "2000", "aria-describedby": "loket-chat-status" });
  var send = el("button", { type: "submit" });
  form.append(label, input, send);
  panel.append(header, status, logBox, notice, form);
  root.append(launcher, panel);

  function texts() {
    t = TEXT[lang];
    launcher.textContent = t.open;
    title.textContent = t.title;
    switcher.textContent = t.other;
    switcher.setAttribute("lang", t.otherLang);
    closer.textContent = "×";
    closer.setAttribute("aria-label", t.close);
    label.textContent = t.label;
    send.textContent = t.send;
    logBox.setAttribute("aria-label", t.list);
    panel.setAttribute("lang", lang);
    launcher.setAttribute("lang", lang);
  }
  texts();

  var seen = {};
  function show(message) {
    if (seen[message.id]) return;
    seen[message.id] = true;
    var item = el("li", { "class": message.author });
    item.append(el("span", { "class": "who" }, message.author === "citizen" ? t.you : message.author === "staff" ? t.staff : t.bot));
    // As WhatsApp shows it: *bold*, _italic_, lists (nodes, never HTML).
    item.append(whatsappNodes(message.text));
    if (message.choices && message.choices.length) {
      var choices = el("div", { "class": "choices" });
      message.choices.forEach(function (choice) {
        var button = el("button", { type: "button" }, choice.title);
        button.addEventListener("click", function () { post(choice.title, choice.id); });
        choices.append(button);
      });
      item.append(choices);
    }
    list.append(item);
    logBox.scrollTop = logBox.scrollHeight;
  }

  function availability() {
    return fetch(base + "/api/availability").then(function (r) { return r.json(); }).then(function (a) {
      status.textContent = "";
      if (a.online) {
        status.textContent = t.live(a.wait_seconds || 0);
      } else if (!a.open) {
        var when = a.next_opening ? new Date(a.next_opening).toLocaleString(t.locale, { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" }) : "";
        status.textContent = t.closed(when);
      } else {
        status.textContent = t.nobody;
      }
      if (!a.online && a.whatsapp_url) {
        status.append(" ", el("a", { href: a.whatsapp_url, target: "_blank", rel: "noopener" }, t.whatsapp));
      }
    }).catch(function () { /* the chat still works without it */ });
  }

  function session() {
    if (saved.token) return Promise.resolve(saved.token);
    return fetch(base + "/api/webchat/sessions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ language: lang })
    }).then(function (r) {
      if (!r.ok) throw new Error("session " + r.status);
      return r.json();
    }).then(function (s) {
      saved.token = s.token;
      save();
      return s.token;
    });
  }

  // The stream: fetch with the token in a header (EventSource cannot send
  // one), parsed as server-sent events, resumed from the last id.
  var streaming = false;
  var retryIn = 1000;
  function stream() {
    if (streaming) return;
    streaming = true;
    session().then(function (token) {
      var headers = { Authorization: "Bearer " + token };
      if (saved.last) headers["Last-Event-ID"] = saved.last;
      return fetch(base + "/api/webchat/stream", { headers: headers, cache: "no-store" });
    }).then(function (response) {
      if (response.status === 401) { saved = { lang: lang }; save(); throw new Error("session ended"); }
      if (!response.ok || !response.body) throw new Error("stream " + response.status);
      retryIn = 1000;
      notice.textContent = "";
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          var at;
          while ((at = buffer.indexOf("\n\n")) >= 0) {
            event(buffer.slice(0, at));
            buffer = buffer.slice(at + 2);
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      notice.textContent = t.reconnecting;
    }).then(function () {
      streaming = false;
      setTimeout(stream, retryIn);
      retryIn = Math.min(retryIn * 2, 15000);
    });
  }
  function event(block) {
    var id = null, data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("id: ") === 0) id = line.slice(4);
      else if (line.indexOf("data: ") === 0) data += line.slice(6);
    });
    if (!data) return;
    try { show(JSON.parse(data)); } catch (e) { return; }
    if (id) { saved.last = id; save(); }
  }

  function post(text, choice) {
    var body = { id: randomId(), text: text };
    if (choice) body.choice = choice;
    notice.textContent = "";
    var attempt = function (left) {
      return session().then(function (token) {
        return fetch(base + "/api/webchat/messages", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
          body: JSON.stringify(body)
        });
      }).then(function (r) {
        if (r.status === 429) notice.textContent = t.tooMany;
        else if (r.status === 413) notice.textContent = t.tooLong;
        else if (!r.ok) notice.textContent = t.failed;
        return r.ok;
      }, function () {
        // A network error: the same id again is stored once.
        if (left > 0) return new Promise(function (done) { setTimeout(done, 1000); }).then(function () { return attempt(left - 1); });
        notice.textContent = t.failed;
        return false;
      });
    };
    return attempt(2);
  }

  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    availability();
    stream();
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", open);
  closer.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") close();
  });
  switcher.addEventListener("click", function () {
    lang = t.otherLang;
    saved.lang = lang;
    save();
    texts();
    availability();
    switcher.focus();
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    post(text).then(function (ok) { if (ok) input.value = ""; });
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  function mount() {
    document.body.append(host);
    // A chat already going in this tab opens where it was.
    if (saved.token) stream();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
