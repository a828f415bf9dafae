/*
 * The help widget: a small chat client on socket.io-client 4 (window.io) for
 * Rasa's Socket.IO channel (bot/channels/web.py on the server).
 *
 * Protocol (Rasa 3.6 socketio channel):
 *   -> session_request {session_id}        <- session_confirm "<session id>"
 *   -> user_uttered {message, session_id, customData: {auth_token?}}
 *   <- bot_uttered {text} | {text, quick_replies:[{title,payload}]} | {attachment} | {custom}
 *   <- auth_status {authenticated, reason}  (our channel: the token was refused / could not be checked)
 * The log-in token also goes in the connect auth payload; the server verifies
 * it with the backend and only then treats the conversation as that person's.
 *
 * Storage: sessionStorage only (this tab): the session id and the transcript.
 * Rendering never uses innerHTML for message content: text is put in text
 * nodes; links are http(s) only.
 */
(function () {
  "use strict";

  var KEY_SESSION = "sz-widget:session";
  var KEY_TRANSCRIPT = "sz-widget:transcript";
  var KEY_OPEN = "sz-widget:open";
  var KEY_LANG = "sz-widget:lang";
  var MAX_ENTRIES = 200;
  var REPLY_WAIT_MS = 20000;

  // The widget's own words, in the conversation's language (it follows what the person writes
  // and what the assistant answers).
  var TEXTS = {
    zh: {
      title: "在线咨询", subtitle: "深圳社保智能客服",
      placeholder: "请输入您的问题，如：给孩子停保", send: "发送", close: "收起对话", open: "打开在线咨询",
      connecting: "正在连接…", offline: "连接已断开，正在重新连接…",
      welcome: "您好！我是深圳社保智能客服。可以问我政策和办事问题；登录后还可以直接办理业务。",
      loggedIn: function (n) { return "已登录：" + n + "。接下来的对话会按您的身份办理。"; },
      loggedOut: "已退出登录，对话记录已清除。",
      expired: "登录已失效，请重新登录后再办理业务。",
      unavailable: "暂时无法核验登录状态，请稍后再试。",
      pdf: "PDF", clear: "清空对话", you: "我", bot: "客服", typing: "正在输入",
      noAnswer: "暂时没有收到回复。", retry: "重试",
    },
    en: {
      title: "Online help", subtitle: "Shenzhen social insurance assistant",
      placeholder: "Type your question, e.g. stop my child's insurance", send: "Send", close: "Close the chat",
      open: "Open online help", connecting: "Connecting…", offline: "Disconnected, reconnecting…",
      welcome: "Hello! I am the Shenzhen social insurance assistant. Ask me about policies and procedures; "
        + "log in to carry out business directly.",
      loggedIn: function (n) { return "Logged in: " + n + ". From now on I act for you."; },
      loggedOut: "Logged out; the conversation was cleared.",
      expired: "Your login has expired. Please log in again to carry out business.",
      unavailable: "Your login cannot be checked right now. Please try again later.",
      pdf: "PDF", clear: "New conversation", you: "Me", bot: "Assistant", typing: "Typing",
      noAnswer: "No answer yet.", retry: "Retry",
    },
  };
  var T = TEXTS.zh;

  /** "en" when a text is mostly English words, "zh" when mostly Chinese, else null. */
  function languageOf(text) {
    var s = String(text || "");
    var cjk = (s.match(/[\u3400-\u9fff]/g) || []).length;
    var words = (s.match(/[A-Za-z]{2,}/g) || []).length;
    if (!cjk && !words) return null;
    return words > cjk ? "en" : "zh";
  }

  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function load(key, fallback) {
    var s = store(); if (!s) return fallback;
    try { var v = s.getItem(key); return v === null ? fallback : JSON.parse(v); } catch (e) { return fallback; }
  }
  function save(key, value) {
    var s = store(); if (!s) return;
    try { s.setItem(key, JSON.stringify(value)); } catch (e) { /* quota: keep going without */ }
  }
  function drop(key) { var s = store(); if (s) s.removeItem(key); }

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  // ---- text rendering: paragraphs, lists, links, **bold** ---------------------------------
  var URL_RE = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"'，。；！？、）】」』（【「『]+)/g;
  var BULLET_RE = /^\s*(?:[-*•·●▪]|[\u2022])\s*(.*)$/;
  var NUMBER_RE = /^\s*(\d{1,3})[.、)）]\s*(.*)$/;

  function safeHref(url) {
    try {
      var u = new URL(url, window.location.href);
      return (u.protocol === "http:" || u.protocol === "https:") ? u.href : null;
    } catch (e) { return null; }
  }
  function isPdf(href) {
    try { return /\.pdf$/i.test(new URL(href).pathname); } catch (e) { return false; }
  }
  function linkNode(href, label) {
    var a = el("a", "szw-link");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    if (isPdf(href)) {
      var name = decodeURIComponent(new URL(href).pathname.split("/").pop() || "document.pdf");
      a.className += " szw-pdf";
      a.setAttribute("download", name);
      a.title = name;
      a.appendChild(el("span", "szw-pdf-badge", T.pdf));
      a.appendChild(document.createTextNode(label && label !== href ? label : name));
    } else {
      a.textContent = label || href;
    }
    return a;
  }
  function appendBold(parent, text) {
    var parts = text.split(/\*\*([^*]+)\*\*/);
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      parent.appendChild(i % 2 ? el("strong", null, parts[i]) : document.createTextNode(parts[i]));
    }
  }
  function appendInline(parent, text) {
    var last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      var raw = m[2] || m[3];
      var trail = "";
      if (m[3]) {  // bare URL: trailing ASCII punctuation is not part of it
        var t = /[.,;:!?)\]]+$/.exec(raw);
        if (t) { trail = t[0]; raw = raw.slice(0, -trail.length); }
      }
      appendBold(parent, text.slice(last, m.index));
      var href = safeHref(raw);
      if (href) parent.appendChild(linkNode(href, m[1] || null));
      else parent.appendChild(document.createTextNode(m[0]));
      if (trail) parent.appendChild(document.createTextNode(trail));
      last = m.index + m[0].length;
    }
    appendBold(parent, text.slice(last));
  }
  function renderText(text) {
    var frag = document.createDocumentFragment();
    var lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
    var list = null, listKind = null;
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      var b = BULLET_RE.exec(line), n = !b && NUMBER_RE.exec(line);
      var kind = b ? "ul" : n ? "ol" : null;
      if (!line.trim()) { list = null; continue; }
      if (kind) {
        if (!list || listKind !== kind) {
          list = el(kind, "szw-list"); listKind = kind; frag.appendChild(list);
          if (n && n[1] !== "1") list.setAttribute("start", n[1]);
        }
        var li = el("li");
        appendInline(li, b ? b[1] : n[2]);
        list.appendChild(li);
      } else {
        list = null;
        var p = el("p");
        appendInline(p, line);
        frag.appendChild(p);
      }
    }
    return frag;
  }

  // ---- the widget ---------------------------------------------------------------------------
  function Widget(opts) {
    this.opts = opts || {};
    this.token = null;
    this.name = null;
    this.socket = null;
    this.sessionId = load(KEY_SESSION, null);
    this.transcript = load(KEY_TRANSCRIPT, []);
    this.waitTimer = null;
    this.lang = load(KEY_LANG, "zh") === "en" ? "en" : "zh";
    T = TEXTS[this.lang];
    this.onAuthStatus = this.opts.onAuthStatus || function () {};
    this.build();
    this.applyLanguage();
    this.renderAll();
    if (load(KEY_OPEN, false)) this.open();
  }

  Widget.prototype.build = function () {
    var self = this;
    var root = el("div", "szw-root");
    root.setAttribute("data-testid", "chat-widget");

    var launcher = el("button", "szw-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-label", T.open);
    launcher.setAttribute("aria-expanded", "false");
    launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 5h16v11H9l-5 4z"/></svg>';
    this.launcherText = el("span", "szw-launcher-text", T.title);
    launcher.appendChild(this.launcherText);
    launcher.addEventListener("click", function () { self.toggle(); });

    var panel = el("section", "szw-panel");
    panel.id = "szw-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", T.title);
    launcher.setAttribute("aria-controls", panel.id);

    var head = el("header", "szw-head");
    var titles = el("div", "szw-titles");
    this.titleEl = el("div", "szw-title", T.title);
    titles.appendChild(this.titleEl);
    this.statusEl = el("div", "szw-subtitle", T.subtitle);
    titles.appendChild(this.statusEl);
    head.appendChild(titles);
    var clear = el("button", "szw-icon-btn szw-clear", "⟲");
    clear.type = "button"; clear.title = T.clear; clear.setAttribute("aria-label", T.clear);
    clear.addEventListener("click", function () { self.reset(); });
    var close = el("button", "szw-icon-btn szw-close", "×");
    close.type = "button"; close.title = T.close; close.setAttribute("aria-label", T.close);
    close.addEventListener("click", function () { self.close(); });
    head.appendChild(clear);
    head.appendChild(close);
    this.clearBtn = clear; this.closeBtn = close;

    this.banner = el("div", "szw-banner");
    this.banner.hidden = true;
    this.banner.setAttribute("role", "status");

    this.log = el("div", "szw-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("data-testid", "chat-log");

    this.typing = el("div", "szw-typing");
    this.typing.hidden = true;
    this.typing.setAttribute("aria-label", "正在输入");
    for (var i = 0; i < 3; i++) this.typing.appendChild(el("span"));

    var form = el("form", "szw-form");
    this.input = el("input", "szw-input");
    this.input.type = "text";
    this.input.maxLength = 500;
    this.input.placeholder = T.placeholder;
    this.input.setAttribute("aria-label", T.placeholder);
    this.input.setAttribute("enterkeyhint", "send");
    var send = el("button", "szw-send", T.send);
    send.type = "submit";
    form.appendChild(this.input);
    form.appendChild(send);
    this.sendBtn = send;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = self.input.value.trim();
      if (!text) return;
      self.input.value = "";
      var lang = languageOf(text);
      if (lang) self.setLanguage(lang);
      self.send(text, text);
    });

    panel.appendChild(head);
    panel.appendChild(this.banner);
    panel.appendChild(this.log);
    panel.appendChild(this.typing);
    panel.appendChild(form);
    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(root);
    this.root = root; this.panel = panel; this.launcher = launcher;
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && !self.panel.hidden) self.close();
    });
  };

  // ---- language -------------------------------------------------------------------------------
  /** Follow the conversation's language: the widget's labels switch with it. */
  Widget.prototype.setLanguage = function (lang) {
    if (lang !== "zh" && lang !== "en") return;
    if (lang === this.lang) return;
    this.lang = lang;
    T = TEXTS[lang];
    save(KEY_LANG, lang);
    this.applyLanguage();
  };
  Widget.prototype.applyLanguage = function () {
    document.documentElement.setAttribute("data-szw-lang", this.lang);
    this.root.setAttribute("lang", this.lang === "en" ? "en" : "zh-CN");
    this.launcher.setAttribute("aria-label", T.open);
    this.launcherText.textContent = T.title;
    this.panel.setAttribute("aria-label", T.title);
    this.titleEl.textContent = T.title;
    this.statusEl.textContent = T.subtitle;
    this.clearBtn.title = T.clear; this.clearBtn.setAttribute("aria-label", T.clear);
    this.closeBtn.title = T.close; this.closeBtn.setAttribute("aria-label", T.close);
    this.input.placeholder = T.placeholder; this.input.setAttribute("aria-label", T.placeholder);
    this.sendBtn.textContent = T.send;
    this.typing.setAttribute("aria-label", T.typing);
  };

  // ---- open / close ---------------------------------------------------------------------------
  Widget.prototype.open = function () {
    this.panel.hidden = false;
    this.root.classList.add("szw-open");
    this.launcher.setAttribute("aria-expanded", "true");
    save(KEY_OPEN, true);
    this.connect();
    if (!this.transcript.length) this.add({ from: "bot", text: T.welcome, local: true });
    this.scroll();
    var input = this.input;
    setTimeout(function () { input.focus(); }, 0);
  };
  Widget.prototype.close = function () {
    this.panel.hidden = true;
    this.root.classList.remove("szw-open");
    this.launcher.setAttribute("aria-expanded", "false");
    save(KEY_OPEN, false);
    this.launcher.focus();
  };
  Widget.prototype.toggle = function () { if (this.panel.hidden) this.open(); else this.close(); };

  // ---- identity -------------------------------------------------------------------------------
  /** The page logged in (token, name) or out (null). Reconnects so the server re-verifies. */
  Widget.prototype.setAuth = function (token, name, opts) {
    opts = opts || {};
    var changed = token !== this.token;
    var wasLoggedIn = !!this.token;
    this.token = token || null;
    this.name = token ? name : null;
    if (!changed) return;
    if (!token && wasLoggedIn) {
      // Logged out: the transcript may show personal data; start afresh.
      this.clearTranscript();
      this.sessionId = null; drop(KEY_SESSION);
      if (!opts.silent) this.add({ from: "system", text: opts.reason === "expired" ? T.expired : T.loggedOut });
    } else if (token && !opts.silent) {
      this.add({ from: "system", text: T.loggedIn(name || "") });
    }
    if (this.socket) { this.socket.disconnect(); this.socket = null; }
    if (!this.panel.hidden) this.connect();
  };

  // ---- socket ---------------------------------------------------------------------------------
  Widget.prototype.connect = function () {
    if (this.socket) return;
    if (typeof window.io !== "function") {
      this.showBanner("聊天组件未能加载（socket.io-client 缺失）。");
      return;
    }
    var self = this, cfg = this.opts;
    this.showBanner(T.connecting);
    var socket = window.io(cfg.socketUrl, {
      path: cfg.socketPath || "/socket.io/",
      transports: ["websocket", "polling"],
      auth: this.token ? { auth_token: this.token } : {},
      reconnectionDelayMax: 8000,
    });
    this.socket = socket;
    socket.on("connect", function () {
      self.showBanner(null);
      socket.emit("session_request", { session_id: self.sessionId });
    });
    socket.on("session_confirm", function (id) {
      var sid = typeof id === "string" ? id : (id && id.session_id);
      if (sid) { self.sessionId = sid; save(KEY_SESSION, sid); }
      self.flushQueue();
    });
    socket.on("bot_uttered", function (msg) { self.receive(msg); });
    socket.on("auth_status", function (st) {
      if (st && !st.authenticated && st.reason) self.onAuthStatus(st);
    });
    socket.on("disconnect", function (reason) {
      if (reason !== "io client disconnect") self.showBanner(T.offline);
    });
    socket.on("connect_error", function () { self.showBanner(T.offline); });
  };

  Widget.prototype.showBanner = function (text) {
    this.banner.hidden = !text;
    this.banner.textContent = text || "";
  };

  Widget.prototype.send = function (payload, shown) {
    if (shown) this.add({ from: "user", text: shown });
    this.lastPayload = payload;
    this.queue = this.queue || [];
    this.queue.push(payload);
    this.setWaiting(true);
    if (!this.socket) this.connect();
    this.flushQueue();
  };
  Widget.prototype.flushQueue = function () {
    if (!this.socket || !this.socket.connected || !this.sessionId || !this.queue) return;
    while (this.queue.length) {
      var customData = this.token ? { auth_token: this.token } : {};
      this.socket.emit("user_uttered", { message: this.queue.shift(), session_id: this.sessionId, customData: customData });
    }
  };

  /** The typing indicator while a reply is due; after the wait, a visible "no answer" with a retry. */
  Widget.prototype.setWaiting = function (on) {
    var self = this;
    clearTimeout(this.waitTimer);
    this.typing.hidden = !on;
    this.waiting = !!on;
    if (on) {
      var wait = Number(this.opts.replyWaitMs) > 0 ? Number(this.opts.replyWaitMs) : REPLY_WAIT_MS;
      var payload = this.lastPayload;
      this.waitTimer = setTimeout(function () {
        self.typing.hidden = true;
        self.waiting = false;
        self.add({ from: "system", text: T.noAnswer, retry: payload, retryLabel: T.retry });
      }, wait);
    }
    this.scroll();
  };

  Widget.prototype.receive = function (msg) {
    if (!msg || typeof msg !== "object") return;
    this.setWaiting(false);
    this.settleRetries();
    var lang = languageOf(msg.text);
    if (lang) this.setLanguage(lang);
    var entry = { from: "bot" };
    if (typeof msg.text === "string") entry.text = msg.text;
    var buttons = msg.quick_replies || msg.buttons;
    if (Array.isArray(buttons) && buttons.length) {
      entry.buttons = buttons.filter(function (b) { return b && b.title; }).map(function (b) {
        return { title: String(b.title), payload: b.payload != null ? String(b.payload) : null,
                 url: b.url || null, type: b.type || b.content_type || "postback" };
      });
    }
    var att = msg.attachment;
    if (att && att.type === "image" && att.payload && att.payload.src) entry.image = String(att.payload.src);
    if (att && att.type === "template" && att.payload) {
      var els = att.payload.elements;
      entry.cards = (Array.isArray(els) ? els : els ? [els] : []).slice(0, 10);
    }
    if (msg.custom && typeof msg.custom === "object" && typeof msg.custom.text === "string") entry.text = msg.custom.text;
    if (entry.text === undefined && !entry.buttons && !entry.image && !entry.cards) return;
    this.add(entry);
  };

  // ---- transcript -----------------------------------------------------------------------------
  Widget.prototype.add = function (entry) {
    entry.ts = Date.now();
    if (entry.from === "bot" && entry.buttons && entry.buttons.length) this.supersedeButtons();
    this.transcript.push(entry);
    if (this.transcript.length > MAX_ENTRIES) this.transcript = this.transcript.slice(-MAX_ENTRIES);
    save(KEY_TRANSCRIPT, this.transcript);
    this.log.appendChild(this.renderEntry(entry, this.transcript.length - 1));
    this.scroll();
  };
  /** New choices make the older ones stale: only the latest buttons stay live (never two
   *  live 确认/取消 pairs on screen). A stale button is disabled and marked. */
  Widget.prototype.supersedeButtons = function () {
    for (var i = 0; i < this.transcript.length; i++) {
      var e = this.transcript[i];
      if (!e.buttons || e.chosen !== undefined || e.superseded) continue;
      e.superseded = true;
      var row = this.log.querySelector('[data-index="' + i + '"]');
      var buttons = row ? row.querySelectorAll("button.szw-button") : [];
      for (var k = 0; k < buttons.length; k++) {
        buttons[k].disabled = true;
        buttons[k].classList.add("szw-superseded");
      }
    }
  };
  /** A reply came: pending "retry" buttons have done their job. */
  Widget.prototype.settleRetries = function () {
    for (var i = 0; i < this.transcript.length; i++) {
      var e = this.transcript[i];
      if (!e.retry || e.settled) continue;
      e.settled = true;
      var row = this.log.querySelector('[data-index="' + i + '"]');
      var btn = row && row.querySelector("button");
      if (btn) btn.disabled = true;
    }
    save(KEY_TRANSCRIPT, this.transcript);
  };

  Widget.prototype.renderAll = function () {
    this.log.textContent = "";
    for (var i = 0; i < this.transcript.length; i++) this.log.appendChild(this.renderEntry(this.transcript[i], i));
    this.scroll();
  };
  Widget.prototype.clearTranscript = function () {
    this.transcript = []; drop(KEY_TRANSCRIPT); this.log.textContent = "";
  };
  /** "Clear the conversation": a new session id, so the server starts a new conversation too. */
  Widget.prototype.reset = function () {
    this.clearTranscript();
    this.sessionId = null; drop(KEY_SESSION);
    if (this.socket) { this.socket.disconnect(); this.socket = null; }
    this.add({ from: "bot", text: T.welcome, local: true });
    this.connect();
  };
  Widget.prototype.scroll = function () {
    var log = this.log;
    window.requestAnimationFrame(function () { log.scrollTop = log.scrollHeight; });
  };

  Widget.prototype.renderEntry = function (entry, index) {
    var self = this;
    var row = el("div", "szw-row szw-from-" + (entry.from || "bot"));
    row.setAttribute("data-from", entry.from || "bot");
    row.setAttribute("data-index", String(index));
    if (entry.from === "system") {
      var note = el("div", "szw-system", entry.text);
      row.appendChild(note);
      if (entry.retry) {
        row.classList.add("szw-noanswer");
        var retry = el("button", "szw-retry", entry.retryLabel || T.retry);
        retry.type = "button";
        retry.disabled = !!entry.settled;
        retry.addEventListener("click", function () {
          if (entry.settled) return;
          entry.settled = true;
          retry.disabled = true;
          save(KEY_TRANSCRIPT, self.transcript);
          self.send(entry.retry, null);
        });
        note.appendChild(document.createTextNode(" "));
        note.appendChild(retry);
      }
      return row;
    }
    var bubble = el("div", "szw-bubble");
    if (entry.text !== undefined) {
      if (entry.from === "user") bubble.appendChild(el("p", null, entry.text));
      else bubble.appendChild(renderText(entry.text));
    }
    if (entry.image) {
      var src = safeHref(entry.image);
      if (src) { var img = el("img", "szw-image"); img.src = src; img.alt = ""; bubble.appendChild(img); }
    }
    if (entry.cards) {
      entry.cards.forEach(function (card) {
        var c = el("div", "szw-card");
        if (card.title) c.appendChild(el("div", "szw-card-title", String(card.title)));
        if (card.subtitle) c.appendChild(renderText(String(card.subtitle)));
        (card.buttons || []).forEach(function (b) {
          var href = b.url && safeHref(b.url);
          if (href) { var a = linkNode(href, b.title); a.className += " szw-card-link"; c.appendChild(a); }
        });
        bubble.appendChild(c);
      });
    }
    if (entry.text !== undefined || entry.image || entry.cards) row.appendChild(bubble);
    if (entry.buttons && entry.buttons.length) {
      var group = el("div", "szw-buttons");
      group.setAttribute("role", "group");
      entry.buttons.forEach(function (b, bi) {
        var href = (b.type === "web_url" || !b.payload) && b.url ? safeHref(b.url) : null;
        if (href) { group.appendChild(linkNode(href, b.title)); return; }
        var btn = el("button", "szw-button", b.title);
        btn.type = "button";
        if (entry.chosen !== undefined || entry.superseded) {
          btn.disabled = true;
          if (entry.chosen === bi) btn.classList.add("szw-chosen");
          else if (entry.superseded) btn.classList.add("szw-superseded");
        }
        btn.addEventListener("click", function () {
          if (entry.chosen !== undefined || entry.superseded || b.payload === null) return;
          entry.chosen = bi;
          save(KEY_TRANSCRIPT, self.transcript);
          var buttons = group.querySelectorAll("button");
          for (var k = 0; k < buttons.length; k++) buttons[k].disabled = true;
          btn.classList.add("szw-chosen");
          self.send(b.payload, b.title);
        });
        group.appendChild(btn);
      });
      row.appendChild(group);
    }
    return row;
  };

  window.SZWidget = {
    mount: function (opts) { return new Widget(opts); },
    renderText: renderText,   // exposed for tests
  };
})();
