/*
 * Website chat widget for the Rasa socket.io channel (bot/channels/webchat.py).
 *
 * Why a small widget of our own: the npm widgets that speak Rasa's socket.io protocol are
 * unmaintained (rasa-webchat: last release 2021, archived, React 16 + socket.io-client 3,
 * ~590 npm packages) or not published (@rasahq/rasa-chat). This one is plain JavaScript on
 * top of the maintained socket.io-client (vendored from npm, no CDN). See docs/channels.md.
 *
 * Protocol (Rasa): emit "session_request" {session_id}; receive "session_confirm" id;
 * emit "user_uttered" {message, session_id, client_id}; receive "bot_uttered" {text,
 * quick_replies, attachment, sender, agent_name, mid}. Messages are rendered with
 * textContent (never HTML).
 *
 * Offline customers (issue 15): on every connect the widget emits "history_request"
 * {session_id} and gets "history" {items: [{key, sender, agent_name, text, at}]}: agent
 * replies and notifications sent while it was closed. Items carry a key; the widget shows
 * each key once (live pushes carry it too), counts the ones that arrive while the panel is
 * closed on an unread badge, and acknowledges them ("message_seen" {session_id, keys}) so
 * the agent desk shows them as delivered.
 *
 * Issue 16:
 * - One conversation per browser, shared by its tabs: localStorage holds the transcript and
 *   is the truth; every message has an id (server "mid"/"key", or the sending tab's
 *   "client_id", echoed to the other tabs as "user_echo"), so each tab shows each message
 *   once, the question next to its answer; a "storage" event brings other tabs' changes.
 * - Incremental rendering: rows are only appended; the log is aria-live (additions) and the
 *   history present at load is rendered before the live region is switched on, so a screen
 *   reader announces new messages only.
 * - "handoff_state" {status: none|waiting|active, agent_name, position, language}: the
 *   header shows the agent (name + initials) or the queue with a "Leave queue" button
 *   ("leave_queue" event, checked by the server); the bot's typing indicator is never shown
 *   while the bot is paused. "agent_typing" {agent_name} shows the agent typing.
 * - Texts follow the conversation's language (the bot's "language" slot; before that,
 *   config.language or the browser's language). Escape closes the panel.
 * - Photos/PDFs: POST multipart to /webhooks/socketio/upload (the server sniffs the type).
 */
(function () {
  "use strict";

  var config = window.LAYANAN_CHAT_CONFIG || {};
  var STORAGE_KEY = config.storageKey || "layanan-chat:v1";
  var MAX_STORED = 200;
  var MAX_CHARS = config.maxChars || 4096;
  var MAX_FILE = config.maxFileBytes || 5 * 1024 * 1024;
  var FILE_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"];
  var TEXTS = {
    id: {
      launcher: "Chat dengan kami",
      title: config.title || "Layanan Pelanggan",
      subtitle: "Asisten virtual · dibantu agen CS pada jam kerja",
      placeholder: "Ketik pesan Anda…",
      send: "Kirim",
      attach: "Lampirkan foto atau PDF",
      close: "Tutup chat",
      connecting: "Menghubungkan…",
      online: "Terhubung",
      offline: "Koneksi terputus, mencoba menyambung kembali…",
      agent: "Agen CS",
      typing: "Asisten sedang mengetik…",
      agentTyping: "{name} sedang mengetik…",
      waiting: "Menunggu agen CS",
      position: "posisi {n}",
      withAgent: "{name} · Agen CS",
      leave: "Keluar antrean",
      tooLong: "Pesan terlalu panjang (maksimal " + MAX_CHARS + " karakter).",
      fileType: "Hanya foto (JPEG, PNG, WebP) atau PDF yang bisa dikirim.",
      fileSize: "File terlalu besar (maksimal " + Math.round(MAX_FILE / 1048576) + " MB).",
      fileFailed: "File belum terkirim. Silakan coba lagi.",
      image: "[gambar]",
      document: "[dokumen]",
      unread: "pesan baru"
    },
    en: {
      launcher: "Chat with us",
      title: config.titleEn || config.title || "Customer Service",
      subtitle: "Virtual assistant · CS agents during office hours",
      placeholder: "Type your message…",
      send: "Send",
      attach: "Attach a photo or PDF",
      close: "Close chat",
      connecting: "Connecting…",
      online: "Connected",
      offline: "Connection lost, reconnecting…",
      agent: "CS agent",
      typing: "The assistant is typing…",
      agentTyping: "{name} is typing…",
      waiting: "Waiting for a CS agent",
      position: "position {n}",
      withAgent: "{name} · CS agent",
      leave: "Leave queue",
      tooLong: "Message too long (maximum " + MAX_CHARS + " characters).",
      fileType: "Only photos (JPEG, PNG, WebP) or PDF files can be sent.",
      fileSize: "The file is too large (maximum " + Math.round(MAX_FILE / 1048576) + " MB).",
      fileFailed: "The file was not sent. Please try again.",
      image: "[image]",
      document: "[document]",
      unread: "new messages"
    }
  };

  // ---- state: localStorage is the truth shared by every tab of this browser -------------
  function fresh() { return { sessionId: null, messages: [], open: false, keys: {}, unread: 0 }; }
  function load() {
    var data = null;
    try {
      var raw = window.localStorage.getItem(STORAGE_KEY);
      data = raw ? JSON.parse(raw) : null;
    } catch (e) { /* private mode or corrupted entry: start fresh */ }
    if (!data || typeof data !== "object" || !Array.isArray(data.messages)) data = fresh();
    if (!data.keys || typeof data.keys !== "object") data.keys = {};
    data.unread = Number(data.unread) || 0;
    data.messages.forEach(function (m, i) { if (!m.id) m.id = "old-" + i; });
    return data;
  }
  var state = load();
  var tabOpen = !!state.open;  // each tab opens/closes on its own
  function save() {
    state.messages = state.messages.slice(-MAX_STORED);
    var keys = Object.keys(state.keys);
    if (keys.length > MAX_STORED * 2) {
      keys.sort(function (a, b) { return state.keys[a] - state.keys[b]; });
      keys.slice(0, keys.length - MAX_STORED * 2).forEach(function (k) { delete state.keys[k]; });
    }
    try { window.localStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* quota */ }
  }
  // Apply a change on top of what other tabs wrote meanwhile.
  function update(change) {
    state = load();
    change(state);
    save();
    sync();
  }
  function newId(prefix) { return prefix + Date.now().toString(36) + Math.random().toString(36).slice(2, 8); }

  function lang() {
    if (state.lang === "en" || state.lang === "id") return state.lang;
    if (config.language === "en" || config.language === "id") return config.language;
    return /^en\b/i.test(navigator.language || "") ? "en" : "id";
  }
  function T(key, values) {
    var text = TEXTS[lang()][key];
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
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
  var launcher = el("button", "lc-launcher");
  launcher.type = "button";
  var launcherLabel = el("span", "lc-launcher-label");
  launcher.appendChild(launcherLabel);
  var badge = el("span", "lc-badge");
  badge.setAttribute("data-testid", "chat-unread");
  badge.hidden = true;
  launcher.appendChild(badge);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "lc-panel");

  var panel = el("section", "lc-panel");
  panel.id = "lc-panel";
  panel.hidden = true;

  var header = el("header", "lc-header");
  var avatar = el("span", "lc-avatar");
  avatar.setAttribute("aria-hidden", "true");
  avatar.hidden = true;
  var titles = el("div", "lc-titles");
  var title = el("h2", "lc-title");
  var status = el("p", "lc-status");
  status.setAttribute("role", "status");
  titles.appendChild(title);
  titles.appendChild(status);
  var leaveBtn = el("button", "lc-leave");
  leaveBtn.type = "button";
  leaveBtn.hidden = true;
  var closeBtn = el("button", "lc-close", "×");
  closeBtn.type = "button";
  header.appendChild(avatar);
  header.appendChild(titles);
  header.appendChild(leaveBtn);
  header.appendChild(closeBtn);

  var log = el("div", "lc-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "off");  // switched on after the history is rendered
  log.setAttribute("aria-relevant", "additions");
  var typing = el("p", "lc-typing");
  typing.hidden = true;

  var form = el("form", "lc-form");
  var fileInput = el("input", "lc-file");
  fileInput.type = "file";
  fileInput.accept = FILE_TYPES.join(",");
  fileInput.hidden = true;
  var attachBtn = el("button", "lc-attach", "📎");
  attachBtn.type = "button";
  var input = el("textarea", "lc-input");
  input.rows = 1;
  input.maxLength = MAX_CHARS;
  var sendBtn = el("button", "lc-send");
  sendBtn.type = "submit";
  form.appendChild(fileInput);
  form.appendChild(attachBtn);
  form.appendChild(input);
  form.appendChild(sendBtn);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  var connected = false;
  function applyTexts() {
    var l = lang();
    root.setAttribute("lang", l);
    launcherLabel.textContent = T("launcher");
    panel.setAttribute("aria-label", T("title"));
    input.placeholder = T("placeholder");
    input.setAttribute("aria-label", T("placeholder"));
    sendBtn.textContent = T("send");
    attachBtn.setAttribute("aria-label", T("attach"));
    attachBtn.title = T("attach");
    closeBtn.setAttribute("aria-label", T("close"));
    leaveBtn.textContent = T("leave");
    applyHeader();
  }

  function initials(name) {
    return String(name).split(/\s+/).filter(Boolean).slice(0, 2)
      .map(function (part) { return part.charAt(0).toUpperCase(); }).join("");
  }

  function applyHeader() {
    var h = state.handoff || { status: "none" };
    leaveBtn.hidden = h.status !== "waiting";
    if (h.status === "active" && h.agent_name) {
      title.textContent = T("withAgent", { name: h.agent_name });
      avatar.textContent = initials(h.agent_name);
      avatar.hidden = false;
    } else {
      title.textContent = T("title");
      avatar.hidden = true;
    }
    if (!connected) status.textContent = statusText || T("connecting");
    else if (h.status === "waiting") status.textContent = T("waiting") + (h.position ? " · " + T("position", { n: h.position }) : "");
    else status.textContent = T("online");
  }
  var statusText = null;

  function timeLabel(at) {
    var d = new Date(at);
    if (isNaN(d.getTime())) return "";
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function renderMessage(msg) {
    var row = el("div", "lc-msg lc-" + msg.from);
    row.setAttribute("data-from", msg.from);
    row.setAttribute("data-id", msg.id);
    if (msg.from === "agent") {
      row.appendChild(el("span", "lc-who", (msg.agentName ? msg.agentName + " · " : "") + T("agent")));
    }
    if (msg.text) row.appendChild(el("p", "lc-bubble", msg.text));
    if (msg.image && /^(https?:|blob:)/.test(msg.image)) {
      var img = el("img", "lc-image");
      img.src = msg.image;
      img.alt = msg.text || "";
      row.appendChild(img);
    }
    if (msg.buttons && msg.buttons.length && !msg.buttonsUsed) {
      var group = el("div", "lc-buttons");
      group.setAttribute("role", "group");
      msg.buttons.forEach(function (b) {
        var btn = el("button", "lc-button", b.title);
        btn.type = "button";
        btn.addEventListener("click", function () {
          sendMessage(String(b.payload), String(b.title));
        });
        group.appendChild(btn);
      });
      row.appendChild(group);
    }
    if (msg.at) {
      var time = el("time", "lc-time", timeLabel(msg.at));
      time.setAttribute("datetime", new Date(msg.at).toISOString());
      row.appendChild(time);
    }
    return row;
  }

  // Append the messages this tab has not shown yet; never re-render the list.
  var shown = {};
  function sync() {
    var lastUser = -1;
    state.messages.forEach(function (m, i) { if (m.from === "user") lastUser = i; });
    var added = false;
    state.messages.forEach(function (m, i) {
      // Buttons stay clickable only until the customer answers (the server allows only the
      // payloads offered in the bot's last turn anyway).
      if (i < lastUser) m.buttonsUsed = true;
      if (shown[m.id]) {
        if (m.buttonsUsed) {
          var group = shown[m.id].querySelector(".lc-buttons");
          if (group) group.remove();
        }
        return;
      }
      shown[m.id] = renderMessage(m);
      log.appendChild(shown[m.id]);
      added = true;
    });
    if (added) log.scrollTop = log.scrollHeight;
    if (lang() !== root.getAttribute("lang")) applyTexts();
    else applyHeader();
    showBadge();
  }

  function add(msg) {
    if (!msg.id) msg.id = newId("m-");
    if (!msg.at) msg.at = Date.now();
    var isNew = false;
    update(function (s) {
      if (s.messages.some(function (m) { return m.id === msg.id; })) return;
      s.messages.push(msg);
      isNew = true;
    });
    return isNew;
  }

  function showBadge() {
    badge.hidden = !state.unread;
    badge.textContent = state.unread ? String(state.unread) : "";
    badge.setAttribute("aria-label", state.unread + " " + T("unread"));
  }

  function setOpen(open) {
    tabOpen = open;
    panel.hidden = !open;
    root.classList.toggle("lc-is-open", open);
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    update(function (s) { s.open = open; if (open) s.unread = 0; });
    if (open) { input.focus(); log.scrollTop = log.scrollHeight; }
  }

  // ---- socket.io ------------------------------------------------------------------------
  if (typeof window.io !== "function") {
    statusText = TEXTS[lang()].offline;
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

  function paused() {
    var h = state.handoff;
    return !!h && (h.status === "waiting" || h.status === "active");
  }

  // The bot's "typing" while it works on an answer: never while a human handles the chat.
  function showTyping(on, text) {
    if (typingTimer) clearTimeout(typingTimer);
    typing.hidden = !on;
    if (!on) return;
    typing.textContent = text || T("typing");
    typingTimer = setTimeout(function () { typing.hidden = true; }, text ? 8000 : 20000);
  }

  function emitUser(message, clientId) {
    socket.emit("user_uttered", { message: message, session_id: confirmedSession, client_id: clientId });
  }

  function sendMessage(payloadOrText, shownText) {
    if (!confirmedSession) return false;
    if (payloadOrText.length > MAX_CHARS) { add({ from: "system", text: T("tooLong") }); return false; }
    var id = newId("u-");
    add({ id: id, from: "user", text: shownText });
    emitUser(payloadOrText, id);
    if (!paused()) showTyping(true);
    return true;
  }

  socket.on("connect", function () {
    socket.emit("session_request", { session_id: state.sessionId });
  });
  socket.on("disconnect", function () {
    connected = false; statusText = T("offline"); confirmedSession = null; applyHeader();
  });
  socket.on("connect_error", function () { connected = false; statusText = T("offline"); applyHeader(); });

  socket.on("session_confirm", function (sessionId) {
    var id = typeof sessionId === "string" ? sessionId : (sessionId && sessionId.session_id);
    if (!id) return;
    connected = true;
    confirmedSession = id;
    update(function (s) {
      if (s.sessionId && s.sessionId !== id) { s.messages = []; s.handoff = null; }  // a new session
      s.sessionId = id;
    });
    socket.emit("history_request", { session_id: id });  // what arrived while it was closed
    // A new conversation: ask the bot for its greeting (with the main-task buttons).
    if (!state.messages.length && config.initPayload) {
      emitUser(config.initPayload, newId("init-"));
      showTyping(true);
    }
  });

  // A keyed item (agent reply or notification, live or from the history) is shown once.
  function addKeyed(key, msg) {
    var isNew = false;
    msg.id = "k-" + key;
    if (!msg.at) msg.at = Date.now();
    update(function (s) {
      if (s.keys[key]) return;
      s.keys[key] = Date.now();
      if (!tabOpen) s.unread += 1;
      s.messages.push(msg);
      isNew = true;
    });
    return isNew;
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
        at: item.at ? Date.parse(item.at) || Date.now() : Date.now(),
        agentName: typeof item.agent_name === "string" ? item.agent_name : null,
        buttons: []
      });
    });
    acknowledge(keys);
  });

  socket.on("chat_error", function (err) {
    if (err && err.error === "invalid_session") socket.emit("session_request", { session_id: state.sessionId });
  });

  socket.on("handoff_state", function (data) {
    if (!data || typeof data !== "object") return;
    update(function (s) {
      s.handoff = {
        status: data.status === "waiting" || data.status === "active" ? data.status : "none",
        agent_name: typeof data.agent_name === "string" ? data.agent_name : null,
        position: typeof data.position === "number" ? data.position : null
      };
      if (data.language === "en" || data.language === "id") s.lang = data.language;
    });
    if (paused() && typing.textContent === T("typing")) showTyping(false);
  });

  socket.on("agent_typing", function (data) {
    if (!data || data.on === false) { showTyping(false); return; }
    var name = data.agent_name || (state.handoff && state.handoff.agent_name) || T("agent");
    showTyping(true, T("agentTyping", { name: name }));
  });

  // The same customer's message sent from another tab.
  socket.on("user_echo", function (data) {
    if (!data || typeof data.text !== "string") return;
    var id = typeof data.client_id === "string" && data.client_id ? data.client_id : newId("e-");
    add({ id: id, from: "user", text: data.text });
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
    if (typeof data.mid === "string" && data.mid) msg.id = "b-" + data.mid;
    if (msg.text || msg.image || msg.buttons.length) add(msg);
  });

  // ---- attachments ------------------------------------------------------------------
  function uploadUrl() {
    var base = (config.socketUrl || "").replace(/\/+$/, "");
    return base + "/webhooks/socketio/upload";
  }

  function sendFile(file) {
    if (!file || !confirmedSession) return;
    if (FILE_TYPES.indexOf(file.type) < 0) { add({ from: "system", text: T("fileType") }); return; }
    if (file.size > MAX_FILE) { add({ from: "system", text: T("fileSize") }); return; }
    var id = newId("u-");
    var isImage = /^image\//.test(file.type);
    var label = (isImage ? T("image") : T("document")) + " " + file.name;
    add({ id: id, from: "user", text: label });
    if (isImage && window.URL && URL.createObjectURL) {
      // A preview in this tab only (a blob URL does not survive a reload).
      var row = shown[id];
      if (row) {
        var img = el("img", "lc-image");
        img.src = URL.createObjectURL(file);
        img.alt = label;
        row.insertBefore(img, row.querySelector(".lc-time"));
      }
    }
    var body = new FormData();
    body.append("session_id", confirmedSession);
    body.append("client_id", id);
    body.append("file", file, file.name);
    fetch(uploadUrl(), { method: "POST", body: body, credentials: "omit" })
      .then(function (response) {
        if (response.ok) return;
        return response.json().catch(function () { return {}; }).then(function (data) {
          var error = data && data.error;
          add({ from: "system", text: error === "too_large" ? T("fileSize") : error === "type" ? T("fileType") : T("fileFailed") });
        });
      })
      .catch(function () { add({ from: "system", text: T("fileFailed") }); });
  }

  // ---- UI events --------------------------------------------------------------------
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  closeBtn.addEventListener("click", function () { setOpen(false); launcher.focus(); });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      setOpen(false);
      launcher.focus();
    }
  });
  leaveBtn.addEventListener("click", function () {
    if (confirmedSession) socket.emit("leave_queue", { session_id: confirmedSession });
  });
  attachBtn.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    sendFile(file);
  });
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
  // Another tab changed the conversation: show what it added.
  window.addEventListener("storage", function (event) {
    if (event.key !== STORAGE_KEY) return;
    state = load();
    sync();
  });

  function mount() {
    document.body.appendChild(root);
    applyTexts();
    sync();  // the history present at load: not announced
    log.setAttribute("aria-live", "polite");
    var open = !!state.open || !!config.autoOpen;
    panel.hidden = !open;
    root.classList.toggle("lc-is-open", open);
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    tabOpen = open;
    if (open) log.scrollTop = log.scrollHeight;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
