/*
 * Website chat widget for the Rasa socket.io channel (bot/channels/webchat.py).
 *
 * Why a small widget of our own: the npm widgets that speak Rasa's socket.io protocol are
 * unmaintained (rasa-webchat: last release 2021, archived, React 16 + socket.io-client 3,
 * ~590 npm packages) or not published (@rasahq/rasa-chat). This one is plain JavaScript on
 * top of the maintained socket.io-client (vendored from npm, no CDN). See docs/channels.md.
 *
 * Protocol (Rasa): emit "session_request" {session_id}; receive "session_confirm" id;
 * emit "user_uttered" {message, session_id}; receive "bot_uttered" {text, quick_replies,
 * attachment, sender, agent_name}. Messages are rendered with textContent (never HTML).
 *
 * Offline customers (issue 15): on every connect the widget emits "history_request"
 * {session_id} and gets "history" {items: [{key, sender, agent_name, text, at}]}: agent
 * replies and notifications sent while it was closed. Items carry a key; the widget shows
 * each key once (live pushes carry it too), counts the ones that arrive while the panel is
 * closed on an unread badge, and acknowledges them ("message_seen" {session_id, keys}) so
 * the agent desk shows them as delivered.
 */
(function () {
  "use strict";

  var config = window.LAYANAN_CHAT_CONFIG || {};
  var STORAGE_KEY = config.storageKey || "layanan-chat:v1";
  var MAX_STORED = 200;
  var MAX_CHARS = config.maxChars || 4096;
  var TEXT = {
    launcher: "Chat dengan kami",
    title: config.title || "Layanan Pelanggan",
    subtitle: "Asisten virtual · dibantu agen CS pada jam kerja",
    placeholder: "Ketik pesan Anda…",
    send: "Kirim",
    close: "Tutup chat",
    connecting: "Menghubungkan…",
    online: "Terhubung",
    offline: "Koneksi terputus, mencoba menyambung kembali…",
    agent: "Agen CS",
    you: "Anda",
    typing: "Asisten sedang mengetik…",
    tooLong: "Pesan terlalu panjang (maksimal " + MAX_CHARS + " karakter).",
    unread: "pesan baru"
  };

  // ---- state (persisted in localStorage so a reload keeps the conversation) -----------
  function load() {
    try {
      var raw = window.localStorage.getItem(STORAGE_KEY);
      var data = raw ? JSON.parse(raw) : null;
      if (data && typeof data === "object" && Array.isArray(data.messages)) return data;
    } catch (e) { /* private mode or corrupted entry: start fresh */ }
    return { sessionId: null, messages: [], open: false };
  }
  var state = load();
  if (!state.keys || typeof state.keys !== "object") state.keys = {};
  state.unread = Number(state.unread) || 0;
  function save() {
    state.messages = state.messages.slice(-MAX_STORED);
    var keys = Object.keys(state.keys);
    if (keys.length > MAX_STORED * 2) {
      keys.sort(function (a, b) { return state.keys[a] - state.keys[b]; });
      keys.slice(0, keys.length - MAX_STORED * 2).forEach(function (k) { delete state.keys[k]; });
    }
    try { window.localStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* quota */ }
  }

  // ---- DOM ------------------------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  var root = el("div", "lc-root");
  root.setAttribute("data-testid", "chat-widget");
  var launcher = el("button", "lc-launcher", TEXT.launcher);
  launcher.type = "button";
  var badge = el("span", "lc-badge");
  badge.setAttribute("data-testid", "chat-unread");
  badge.hidden = true;
  launcher.appendChild(badge);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "lc-panel");

  var panel = el("section", "lc-panel");
  panel.id = "lc-panel";
  panel.setAttribute("aria-label", TEXT.title);
  panel.hidden = true;

  var header = el("header", "lc-header");
  var titles = el("div", "lc-titles");
  titles.appendChild(el("h2", "lc-title", TEXT.title));
  var status = el("p", "lc-status", TEXT.connecting);
  status.setAttribute("role", "status");
  titles.appendChild(status);
  var closeBtn = el("button", "lc-close", "×");
  closeBtn.type = "button";
  closeBtn.setAttribute("aria-label", TEXT.close);
  header.appendChild(titles);
  header.appendChild(closeBtn);

  var log = el("div", "lc-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var typing = el("p", "lc-typing", TEXT.typing);
  typing.hidden = true;

  var form = el("form", "lc-form");
  var input = el("textarea", "lc-input");
  input.rows = 1;
  input.placeholder = TEXT.placeholder;
  input.setAttribute("aria-label", TEXT.placeholder);
  input.maxLength = MAX_CHARS;
  var sendBtn = el("button", "lc-send", TEXT.send);
  sendBtn.type = "submit";
  form.appendChild(input);
  form.appendChild(sendBtn);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  function renderMessage(msg, showButtons) {
    var row = el("div", "lc-msg lc-" + msg.from);
    row.setAttribute("data-from", msg.from);
    if (msg.from === "agent") {
      row.appendChild(el("span", "lc-who", (msg.agentName ? msg.agentName + " · " : "") + TEXT.agent));
    }
    if (msg.text) row.appendChild(el("p", "lc-bubble", msg.text));
    if (msg.image && /^https?:\/\//.test(msg.image)) {
      var img = el("img", "lc-image");
      img.src = msg.image;
      img.alt = "";
      row.appendChild(img);
    }
    if (msg.buttons && msg.buttons.length && !msg.buttonsUsed && showButtons) {
      var group = el("div", "lc-buttons");
      group.setAttribute("role", "group");
      msg.buttons.forEach(function (b) {
        var btn = el("button", "lc-button", b.title);
        btn.type = "button";
        btn.addEventListener("click", function () {
          msg.buttonsUsed = true;
          sendMessage(String(b.payload), String(b.title));
        });
        group.appendChild(btn);
      });
      row.appendChild(group);
    }
    return row;
  }

  function render() {
    log.textContent = "";
    // Buttons stay clickable only until the customer answers (the server allows only the
    // payloads offered in the bot's last turn anyway).
    var lastUser = -1;
    state.messages.forEach(function (m, i) { if (m.from === "user") lastUser = i; });
    state.messages.forEach(function (m, i) { log.appendChild(renderMessage(m, i > lastUser)); });
    log.scrollTop = log.scrollHeight;
  }

  function add(msg) {
    state.messages.push(msg);
    save();
    render();
  }

  function showBadge() {
    badge.hidden = !state.unread;
    badge.textContent = state.unread ? String(state.unread) : "";
    badge.setAttribute("aria-label", state.unread + " " + TEXT.unread);
  }

  function setOpen(open) {
    state.open = open;
    if (open) state.unread = 0;
    showBadge();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    save();
    if (open) { input.focus(); log.scrollTop = log.scrollHeight; }
  }

  // ---- socket.io ------------------------------------------------------------------------
  if (typeof window.io !== "function") {
    status.textContent = TEXT.offline;
    return;
  }
  var socket = window.io(config.socketUrl || undefined, {
    path: config.socketPath || "/socket.io",
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelayMax: 10000
  });
  var confirmedSession = null;
  var typingTimer = null;

  function showTyping(on) {
    typing.hidden = !on;
    if (typingTimer) clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, 20000);
  }

  function emitUser(message) {
    socket.emit("user_uttered", { message: message, session_id: confirmedSession });
  }

  function sendMessage(payloadOrText, shownText) {
    if (!confirmedSession) return false;
    if (payloadOrText.length > MAX_CHARS) { add({ from: "system", text: TEXT.tooLong }); return false; }
    add({ from: "user", text: shownText });
    emitUser(payloadOrText);
    showTyping(true);
    return true;
  }

  socket.on("connect", function () {
    status.textContent = TEXT.online;
    socket.emit("session_request", { session_id: state.sessionId });
  });
  socket.on("disconnect", function () { status.textContent = TEXT.offline; confirmedSession = null; });
  socket.on("connect_error", function () { status.textContent = TEXT.offline; });

  socket.on("session_confirm", function (sessionId) {
    var id = typeof sessionId === "string" ? sessionId : (sessionId && sessionId.session_id);
    if (!id) return;
    if (state.sessionId && state.sessionId !== id) state.messages = [];  // server issued a new session
    state.sessionId = id;
    confirmedSession = id;
    save();
    render();
    socket.emit("history_request", { session_id: id });  // what arrived while it was closed
    // A new conversation: ask the bot for its greeting (with the main-task buttons).
    if (!state.messages.length && config.initPayload) {
      emitUser(config.initPayload);
      showTyping(true);
    }
  });

  // A keyed item (agent reply or notification, live or from the history) is shown once.
  function addKeyed(key, msg) {
    if (state.keys[key]) return false;
    state.keys[key] = Date.now();
    if (panel.hidden) state.unread += 1;
    add(msg);
    showBadge();
    return true;
  }

  function acknowledge(keys) {
    if (keys.length && confirmedSession) socket.emit("message_seen", { session_id: confirmedSession, keys: keys });
  }

  socket.on("history", function (data) {
    var items = data && Array.isArray(data.items) ? data.items : [];
    var keys = [];
    items.forEach(function (item) {
      if (!item || typeof item.key !== "string" || typeof item.text !== "string") return;
      keys.push(item.key);
      addKeyed(item.key, {
        from: item.sender === "agent" ? "agent" : "bot",
        text: item.text,
        agentName: typeof item.agent_name === "string" ? item.agent_name : null,
        buttons: []
      });
    });
    acknowledge(keys);
  });

  socket.on("chat_error", function (err) {
    if (err && err.error === "invalid_session") socket.emit("session_request", { session_id: state.sessionId });
  });

  socket.on("bot_uttered", function (data) {
    if (!data || typeof data !== "object") return;
    showTyping(false);
    var msg = {
      from: data.sender === "agent" ? "agent" : "bot",
      text: typeof data.text === "string" ? data.text : "",
      agentName: typeof data.agent_name === "string" ? data.agent_name : null,
      buttons: Array.isArray(data.quick_replies)
        ? data.quick_replies.filter(function (b) { return b && b.title && b.payload; })
            .map(function (b) { return { title: String(b.title), payload: String(b.payload) }; })
        : []
    };
    if (data.attachment && data.attachment.type === "image" && data.attachment.payload) {
      msg.image = String(data.attachment.payload.src || "");
    }
    if (typeof data.key === "string" && data.key) {
      addKeyed(data.key, msg);
      acknowledge([data.key]);
      return;
    }
    if (msg.text || msg.image || msg.buttons.length) add(msg);
  });

  // ---- UI events --------------------------------------------------------------------
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  closeBtn.addEventListener("click", function () { setOpen(false); launcher.focus(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (sendMessage(text, text)) input.value = "";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });

  function mount() {
    document.body.appendChild(root);
    render();
    setOpen(!!state.open || !!config.autoOpen);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
