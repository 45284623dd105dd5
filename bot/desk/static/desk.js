// Agent desk: live updates over /desk/ws, actions over the JSON API.
// Customer text is only ever inserted with textContent (never innerHTML).
(function () {
  "use strict";
  var body = document.body;
  var page = body.dataset.page;
  var csrf = body.dataset.csrf;
  var handoffId = body.dataset.handoff ? parseInt(body.dataset.handoff, 10) : null;
  var myId = body.dataset.agent ? parseInt(body.dataset.agent, 10) : null;
  var timeZone = body.dataset.tz || undefined;
  var socket = null;
  var seen = {};  // message ids already shown (the broadcast echoes our own replies)

  function toLogin() {
    location.href = "/desk/login?next=" + encodeURIComponent(location.pathname + location.search);
  }

  function api(path, payload) {
    return fetch("/desk/api" + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(payload || {})
    }).then(function (response) {
      if (response.status === 401) { toLogin(); }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.message || ("HTTP " + response.status)); }
        return data;
      });
    });
  }

  function getJson(path) {
    return fetch("/desk/api" + path, { credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { location.href = "/desk/login"; }
      return r.json();
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function duration(seconds) {
    if (seconds === "" || seconds === null || seconds === undefined || isNaN(seconds)) { return "-"; }
    seconds = Math.max(0, Math.round(Number(seconds)));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m ? (m + " mnt " + s + " dtk") : (s + " dtk");
  }

  // ---- alerts: sound, desktop notification, tab-title counter ------------------------------
  // "(2) Antrean – Desk": customers waiting plus unread messages in one's own conversations.
  // The sound is a WebAudio beep (no file to fetch); browsers allow audio only after a user
  // gesture, so the audio context is made on the first click or key press.
  var baseTitle = document.title;
  var waitingIds = null;  // null until the first queue read: nothing already waiting alerts
  var waitingCount = 0;
  var unread = 0;
  var audio = null;
  var soundOn = localStorage.getItem("desk-sound") !== "off";

  function updateTitle() {
    var count = waitingCount + unread;
    document.title = count > 0 ? "(" + count + ") " + baseTitle : baseTitle;
  }

  function unlockAudio() {
    if (audio || !(window.AudioContext || window.webkitAudioContext)) { return; }
    try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
  }
  document.addEventListener("click", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });

  function beep() {
    if (!soundOn || !audio) { return; }
    try {
      var osc = audio.createOscillator(), gain = audio.createGain(), now = audio.currentTime;
      osc.type = "sine";
      osc.frequency.setValueAtTime(880, now);
      osc.frequency.setValueAtTime(660, now + 0.12);
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(now); osc.stop(now + 0.32);
    } catch (e) { /* audio unavailable: the title and the notification still tell */ }
  }

  function alertAgent(title, text, url) {
    body.dataset.lastAlert = title;
    beep();
    if (window.Notification && Notification.permission === "granted" && document.visibilityState !== "visible") {
      try {
        var note = new Notification(title, { body: text || "", tag: url || title });
        note.onclick = function () { window.focus(); if (url) { location.href = url; } };
      } catch (e) { /* some browsers allow notifications only from a service worker */ }
    }
  }

  function bindAlertControls() {
    var toggle = document.getElementById("sound-toggle");
    function showSound() {
      if (!toggle) { return; }
      toggle.textContent = soundOn ? "🔔 Bunyi aktif" : "🔕 Bunyi mati";
      toggle.setAttribute("aria-pressed", soundOn ? "true" : "false");
    }
    if (toggle) {
      toggle.addEventListener("click", function () {
        soundOn = !soundOn;
        localStorage.setItem("desk-sound", soundOn ? "on" : "off");
        showSound();
      });
      showSound();
    }
    var ask = document.getElementById("notify-permission");
    if (ask && window.Notification && Notification.permission === "default") {
      ask.hidden = false;
      ask.addEventListener("click", function () {  // asked on a user gesture only
        Notification.requestPermission().then(function () { ask.hidden = true; });
      });
    }
  }

  // The whole queue (not the page's filter), to count and spot newly waiting customers.
  function checkWaiting() {
    return getJson("/queue").then(function (data) {
      var ids = {};
      var fresh = [];
      data.waiting.forEach(function (row) {
        ids[row.handoff_id] = true;
        if (waitingIds && !waitingIds[row.handoff_id]) { fresh.push(row); }
      });
      waitingIds = ids;
      waitingCount = data.waiting.length;
      updateTitle();
      if (fresh.length) {
        var row = fresh[0];
        alertAgent("Pelanggan baru menunggu", (row.customer_name || row.reference) + " · " + (row.preview || row.reason_label),
          "/desk/handoffs/" + row.handoff_id);
      }
    });
  }

  function viewingConversation(id) {
    return page === "handoff" && handoffId === id && document.visibilityState === "visible";
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && page === "handoff") { unread = 0; updateTitle(); }
  });

  function alertOnLive(data) {
    if (["queue_changed", "handoff_claimed", "handoff_closed", "handoff_transferred"].indexOf(data.kind) >= 0) {
      checkWaiting();
    }
    if (data.kind === "customer_message" && myId !== null && data.agent_id === myId) {
      if (!viewingConversation(data.handoff_id)) { unread += 1; updateTitle(); }
      alertAgent("Pesan baru dari pelanggan", data.text, "/desk/handoffs/" + data.handoff_id);
    }
    if (data.kind === "handoff_transferred" && myId !== null && data.to_agent_id === myId) {
      if (!viewingConversation(data.handoff_id)) { unread += 1; updateTitle(); }
      alertAgent("Percakapan dialihkan kepada Anda", (data.reference || "") + " dari " + (data.from_agent || ""),
        "/desk/handoffs/" + data.handoff_id);
      showBanner("Percakapan " + (data.reference || "") + " dialihkan kepada Anda oleh " + (data.from_agent || "") + ".",
        "/desk/handoffs/" + data.handoff_id);
    }
  }

  function showBanner(text, url) {
    var main = document.querySelector("main");
    if (!main) { return; }
    var banner = el("div", "banner");
    banner.setAttribute("role", "status");
    var link = el("a", null, text);
    link.href = url;
    banner.appendChild(link);
    main.insertBefore(banner, main.firstChild);
  }

  // ---- live connection ----------------------------------------------------------------
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/desk/ws?csrf=" + encodeURIComponent(csrf));
    var status = document.getElementById("live-status");
    socket.onopen = function () { if (status) { status.classList.add("on"); } };
    socket.onclose = function (event) {
      if (status) { status.classList.remove("on"); }
      if (event && event.code === 4401) { toLogin(); return; }  // session ended (logout elsewhere, new password…)
      socket = null;
      setTimeout(connect, 3000);
    };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      onLive(data);
    };
  }
  setInterval(function () {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify({ action: "heartbeat" })); }
  }, 20000);

  function onLive(data) {
    alertOnLive(data);
    if (page === "queue" && ["queue_changed", "handoff_claimed", "handoff_closed", "handoff_transferred", "labels_changed"].indexOf(data.kind) >= 0) {
      refreshQueue();
    }
    if (page === "supervisor") { refreshStats(); }
    if (page !== "handoff" || data.handoff_id !== handoffId) {
      if (data.kind === "error") { showStatus(data.message || data.error); }
      return;
    }
    if (data.kind === "customer_message") { addLine("customer", "Pelanggan", data.text, data.message_id, null, data.at); }
    else if (data.kind === "agent_message") { addLine("agent", data.agent, data.text, data.message_id, data.delivery, data.at); }
    else if (data.kind === "delivery_changed") { markDelivery(data.message_ids || [], data.state, data.label); }
    else if (data.kind === "note") { addLine("note", "Catatan internal · " + data.agent, data.text, data.message_id, null, data.at); }
    else if (["handoff_claimed", "handoff_closed", "handoff_transferred"].indexOf(data.kind) >= 0) { location.reload(); }
  }

  function showStatus(text) {
    var node = document.getElementById("reply-status");
    if (node) { node.textContent = text || ""; }
  }

  // ---- conversation page ------------------------------------------------------------------
  function localTime(iso) {
    var moment = iso ? new Date(iso) : new Date();
    try {
      var parts = new Intl.DateTimeFormat("id-ID", { timeZone: timeZone, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false }).format(moment);
      return parts.replace(/\./g, ":") + (timeZone === "Asia/Jakarta" ? " WIB" : "");
    } catch (e) { return moment.toLocaleString(); }
  }

  function addLine(kind, who, text, messageId, delivery, at) {
    if (messageId) {
      if (seen[kind + messageId]) { return; }
      seen[kind + messageId] = true;
    }
    var list = document.getElementById("transcript");
    if (!list) { return; }
    var item = el("li", "line " + kind);
    var whoNode = el("span", "who", who + " · ");
    whoNode.appendChild(el("time", null, localTime(at)));
    item.appendChild(whoNode);
    item.appendChild(el("span", "text", text));
    if (delivery && delivery.label) {
      var badge = el("span", "delivery state-" + delivery.state, delivery.label);
      badge.setAttribute("data-message", String(messageId));
      item.appendChild(badge);
    }
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  // An agent reply's delivery state changed (e.g. the customer came back and saw it).
  function markDelivery(messageIds, state, label) {
    messageIds.forEach(function (id) {
      var node = document.querySelector('.delivery[data-message="' + Number(id) + '"]');
      if (node) { node.className = "delivery state-" + state; node.textContent = label; }
    });
  }

  function sendReply(text) {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify({ action: "reply", handoff_id: handoffId, text: text, csrf_token: csrf }));
      return Promise.resolve();
    }
    return api("/handoffs/" + handoffId + "/reply", { text: text }).then(function (data) {
      if (!data.delivered) { showStatus("Tersimpan di transkrip; kanal ini tidak bisa menerima pesan langsung."); }
    });
  }

  function bindConversation() {
    var list = document.getElementById("transcript");
    if (list) { list.scrollTop = list.scrollHeight; }
    var replyForm = document.getElementById("reply-form");
    if (replyForm) { bindComposer(replyForm, document.getElementById("reply-text")); }
    var labelsForm = document.getElementById("labels-form");
    if (labelsForm) {
      labelsForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var names = labelsForm.elements.labels.value.split(",").map(function (v) { return v.trim(); })
          .filter(function (v) { return v; });
        api("/handoffs/" + handoffId + "/labels", { labels: names }).then(function (data) {
          labelsForm.elements.labels.value = data.labels.join(", ");
          showStatus("Label disimpan.");
        }).catch(function (error) { showStatus(error.message); });
      });
    }
    var transferForm = document.getElementById("transfer-form");
    if (transferForm) {
      transferForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var target = transferForm.elements.target.value.split(":");
        var payload = { note: transferForm.elements.note.value };
        if (target[0] === "agent") { payload.to_agent = parseInt(target[1], 10); } else { payload.to_team = target[1]; }
        api("/handoffs/" + handoffId + "/transfer", payload).then(function () { location.href = "/desk/"; })
          .catch(function (error) { showStatus(error.message); });
      });
    }
    if (replyForm) {
      replyForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var box = document.getElementById("reply-text");
        var text = box.value.trim();
        if (!text) { return; }
        showStatus("");
        sendReply(text).then(function () { box.value = ""; box.focus(); })
          .catch(function (error) { showStatus(error.message); });
      });
    }
    var noteForm = document.getElementById("note-form");
    if (noteForm) {
      noteForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var box = document.getElementById("note-text");
        var text = box.value.trim();
        if (!text) { return; }
        api("/handoffs/" + handoffId + "/note", { text: text }).then(function () { box.value = ""; })
          .catch(function (error) { alert(error.message); });
      });
    }
    var closeButton = document.getElementById("close-button");
    var closeDialog = document.getElementById("close-dialog");
    if (closeButton && closeDialog) {
      closeButton.addEventListener("click", function () { closeDialog.showModal(); });
      closeDialog.addEventListener("close", function () {
        if (closeDialog.returnValue !== "confirm") { closeButton.focus(); return; }
        api("/handoffs/" + handoffId + "/close").then(function () { location.reload(); })
          .catch(function (error) { showStatus(error.message); });
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll(".stage-form"), function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var payload = { to_stage: form.elements.to_stage.value, note: form.elements.note.value };
        api("/complaints/" + encodeURIComponent(form.dataset.reference) + "/stage", payload)
          .then(function () { location.reload(); })
          .catch(function (error) { alert(error.message); });
      });
    });
  }

  // ---- composer: Enter sends, Shift+Enter new line, "/" searches canned replies ------------
  function bindComposer(form, box) {
    var list = document.getElementById("canned-list");
    var canned = null;  // loaded once per page, placeholders already filled by the server
    var loading = null;
    var matches = [];
    var selected = 0;
    var slash = null;  // {start, end} of the "/query" being completed

    function closeList() { list.hidden = true; matches = []; slash = null; box.removeAttribute("aria-activedescendant"); }

    function render() {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      if (!matches.length) {
        list.appendChild(el("li", "empty", "Tidak ada balasan cepat yang cocok."));
      }
      matches.forEach(function (item, index) {
        var li = el("li");
        li.id = "canned-" + item.id;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", index === selected ? "true" : "false");
        li.appendChild(el("strong", null, "/" + item.shortcut + " · " + item.title));
        li.appendChild(el("span", "small", item.text));
        li.addEventListener("mousedown", function (event) { event.preventDefault(); insert(item); });
        list.appendChild(li);
        if (index === selected) { box.setAttribute("aria-activedescendant", li.id); li.scrollIntoView({ block: "nearest" }); }
      });
      list.hidden = false;
    }

    function insert(item) {
      if (!slash) { return; }
      var value = box.value;
      box.value = value.slice(0, slash.start) + item.text + value.slice(slash.end);
      var caret = slash.start + item.text.length;
      box.setSelectionRange(caret, caret);
      closeList();
      box.focus();
    }

    function search() {
      var caret = box.selectionStart;
      var before = box.value.slice(0, caret);
      var match = /(^|\s)\/([\w-]*)$/.exec(before);
      if (!match) { closeList(); return; }
      slash = { start: caret - match[2].length - 1, end: caret };
      if (!canned) {
        if (!loading) {
          loading = getJson("/handoffs/" + handoffId + "/canned").then(function (data) {
            canned = data.canned || [];
            search();  // with whatever has been typed meanwhile
          }).catch(function () { loading = null; });
        }
        return;
      }
      var query = match[2].toLowerCase();
      matches = canned.filter(function (item) {
        return !query || item.shortcut.indexOf(query) >= 0 || item.title.toLowerCase().indexOf(query) >= 0;
      });
      selected = 0;
      render();
    }

    box.addEventListener("input", search);
    box.addEventListener("blur", function () { setTimeout(closeList, 150); });
    box.addEventListener("keydown", function (event) {
      if (!list.hidden && matches.length) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          selected = (selected + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
          render();
          return;
        }
        if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); insert(matches[selected]); return; }
      }
      if (!list.hidden && event.key === "Escape") { event.preventDefault(); closeList(); return; }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.ctrlKey && !event.altKey) {
        event.preventDefault();
        if (form.requestSubmit) { form.requestSubmit(); } else { form.dispatchEvent(new Event("submit", { cancelable: true })); }
      }
    });
  }

  // ---- canned replies page (supervisors manage) -------------------------------------------
  function bindCannedPage() {
    var form = document.getElementById("canned-form");
    if (!form) { return; }
    var status = document.getElementById("canned-status");
    var heading = document.getElementById("canned-form-title");
    function reset() {
      form.reset(); form.dataset.id = ""; heading.textContent = "Tambah balasan cepat";
    }
    document.getElementById("canned-reset").addEventListener("click", reset);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var payload = {
        shortcut: form.elements.shortcut.value, title: form.elements.title.value,
        text_id: form.elements.text_id.value, text_en: form.elements.text_en.value
      };
      var path = form.dataset.id ? "/canned/" + form.dataset.id : "/canned";
      api(path, payload).then(function () { location.reload(); })
        .catch(function (error) { status.textContent = error.message; });
    });
    var dialog = document.getElementById("confirm-dialog");
    var pending = null;
    dialog.addEventListener("close", function () {
      if (dialog.returnValue === "confirm" && pending) {
        api("/canned/" + pending + "/delete").then(function () { location.reload(); })
          .catch(function (error) { status.textContent = error.message; });
      }
      pending = null;
    });
    document.addEventListener("click", function (event) {
      var edit = event.target.closest ? event.target.closest("button.canned-edit") : null;
      if (edit) {
        form.dataset.id = edit.dataset.id;
        form.elements.shortcut.value = edit.dataset.shortcut;
        form.elements.title.value = edit.dataset.title;
        form.elements.text_id.value = edit.dataset.textId;
        form.elements.text_en.value = edit.dataset.textEn;
        heading.textContent = "Ubah balasan cepat /" + edit.dataset.shortcut;
        form.elements.shortcut.focus();
        return;
      }
      var remove = event.target.closest ? event.target.closest("button.canned-delete") : null;
      if (remove) {
        pending = remove.dataset.id;
        document.getElementById("confirm-dialog-text").textContent = "“" + remove.dataset.title + "” akan dihapus untuk semua agen.";
        dialog.showModal();
      }
    });
  }

  // ---- claim buttons (queue and conversation pages) ---------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.claim") : null;
    if (!button) { return; }
    var id = parseInt(button.dataset.handoff, 10);
    button.disabled = true;
    api("/handoffs/" + id + "/claim").then(function () {
      location.href = "/desk/handoffs/" + id;
    }).catch(function (error) {
      alert(error.message);
      if (page === "queue") { refreshQueue(); } else { location.reload(); }
    });
  });

  // ---- queue page -----------------------------------------------------------------------------
  function fillTable(id, rows, columns, emptyText) {
    var table = document.getElementById(id);
    if (!table) { return; }
    var tbody = table.tBodies[0];
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    if (!rows.length) {
      var empty = el("tr", "empty");
      var cell = el("td", null, emptyText);
      cell.colSpan = columns;
      empty.appendChild(cell);
      tbody.appendChild(empty);
    }
    return tbody;
  }

  function linkCell(row) {
    var td = el("td");
    var a = el("a", null, row.reference);
    a.href = "/desk/handoffs/" + row.handoff_id;
    td.appendChild(a);
    (row.labels || []).forEach(function (name) {
      td.appendChild(document.createTextNode(" "));
      td.appendChild(el("span", "label-chip", name));
    });
    return td;
  }

  function refreshQueue() {
    getJson("/queue" + location.search).then(function (data) {
      var tbody = fillTable("waiting", data.waiting, 8, "Tidak ada yang menunggu.");
      document.getElementById("waiting-count").textContent = data.waiting.length;
      data.waiting.forEach(function (row) {
        var tr = el("tr");
        tr.dataset.handoff = row.handoff_id;
        tr.appendChild(linkCell(row));
        tr.appendChild(el("td", null, row.customer_name || "(belum dikenal)"));
        tr.appendChild(el("td", "preview", row.preview));
        tr.appendChild(el("td", null, row.channel_label));
        tr.appendChild(el("td", null, row.team_label));
        tr.appendChild(el("td", null, row.reason_label));
        var wait = el("td", "wait", duration(row.waiting_seconds));
        wait.dataset.seconds = row.waiting_seconds;
        tr.appendChild(wait);
        var td = el("td");
        var button = el("button", "claim", "Ambil");
        button.dataset.handoff = row.handoff_id;
        td.appendChild(button);
        tr.appendChild(td);
        tbody.appendChild(tr);
      });
      tbody = fillTable("active", data.active, 6, "Belum ada.");
      data.active.forEach(function (row) {
        var tr = el("tr", row.mine ? "mine" : "");
        tr.appendChild(linkCell(row));
        tr.appendChild(el("td", "preview", row.preview));
        tr.appendChild(el("td", null, row.channel_label));
        tr.appendChild(el("td", null, row.team_label));
        tr.appendChild(el("td", null, row.reason_label));
        tr.appendChild(el("td", null, row.agent));
        tbody.appendChild(tr);
      });
      tbody = fillTable("callbacks", data.callbacks, 5, "Belum ada.");
      data.callbacks.forEach(function (row) {
        var tr = el("tr");
        tr.appendChild(linkCell(row));
        tr.appendChild(el("td", null, row.reason_label));
        tr.appendChild(el("td", null, row.callback_channel));
        tr.appendChild(el("td", null, row.callback_time));
        tr.appendChild(el("td", null, row.contact || "-"));
        tbody.appendChild(tr);
      });
    });
  }

  function tickWaits() {
    Array.prototype.forEach.call(document.querySelectorAll("td.wait"), function (cell) {
      var seconds = Number(cell.dataset.seconds || 0) + 1;
      cell.dataset.seconds = seconds;
      cell.textContent = duration(seconds);
    });
  }

  // ---- supervisor page ------------------------------------------------------------------------
  function refreshStats() {
    getJson("/stats").then(function (data) {
      var s = data.stats;
      document.getElementById("s-queue").textContent = s.queue_length;
      document.getElementById("s-active").textContent = data.active_handoffs;
      document.getElementById("s-today").textContent = s.handoffs_today;
      document.getElementById("s-wait").textContent = duration(s.median_wait_seconds);
      document.getElementById("s-handling").textContent = duration(s.median_handling_seconds);
      document.getElementById("s-csat").textContent = s.csat_after_handoff === null ? "-" : s.csat_after_handoff;
      document.getElementById("s-csat-n").textContent = s.csat_responses + " penilaian";
      document.getElementById("s-callbacks").textContent = data.open_callbacks;
      document.getElementById("s-online").textContent = data.online_agents.join(", ") || "tidak ada";
    });
  }

  if (page === "queue") {
    tickWaits();
    setInterval(tickWaits, 1000);
    setInterval(refreshQueue, 15000);  // also catches events missed while reconnecting
  }
  if (page === "supervisor") {
    ["s-wait", "s-handling"].forEach(function (id) {
      var node = document.getElementById(id);
      node.textContent = duration(node.dataset.seconds === "" ? null : Number(node.dataset.seconds));
    });
    setInterval(refreshStats, 10000);
  }
  if (page === "handoff") { bindConversation(); }
  if (page === "canned") { bindCannedPage(); }
  bindAlertControls();
  if (csrf) { connect(); checkWaiting(); setInterval(checkWaiting, 15000); }
})();
