// Agent desk: live updates over /desk/ws, actions over the JSON API.
// Customer text is only ever inserted with textContent (never innerHTML).
(function () {
  "use strict";
  var body = document.body;
  var page = body.dataset.page;
  var csrf = body.dataset.csrf;
  var handoffId = body.dataset.handoff ? parseInt(body.dataset.handoff, 10) : null;
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
    if (page === "queue" && ["queue_changed", "handoff_claimed", "handoff_closed"].indexOf(data.kind) >= 0) {
      refreshQueue();
    }
    if (page === "supervisor") { refreshStats(); }
    if (page !== "handoff" || data.handoff_id !== handoffId) {
      if (data.kind === "error") { showStatus(data.message || data.error); }
      return;
    }
    if (data.kind === "customer_message") { addLine("customer", "Pelanggan", data.text, data.message_id); }
    else if (data.kind === "agent_message") { addLine("agent", data.agent, data.text, data.message_id, data.delivery); }
    else if (data.kind === "delivery_changed") { markDelivery(data.message_ids || [], data.state, data.label); }
    else if (data.kind === "note") { addLine("note", "Catatan internal · " + data.agent, data.text, data.message_id); }
    else if (data.kind === "handoff_claimed" || data.kind === "handoff_closed") { location.reload(); }
  }

  function showStatus(text) {
    var node = document.getElementById("reply-status");
    if (node) { node.textContent = text || ""; }
  }

  // ---- conversation page ------------------------------------------------------------------
  function addLine(kind, who, text, messageId, delivery) {
    if (messageId) {
      if (seen[kind + messageId]) { return; }
      seen[kind + messageId] = true;
    }
    var list = document.getElementById("transcript");
    if (!list) { return; }
    var item = el("li", "line " + kind);
    item.appendChild(el("span", "who", who));
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
    if (closeButton) {
      closeButton.addEventListener("click", function () {
        if (!confirm("Selesaikan percakapan dan kembalikan ke bot?")) { return; }
        api("/handoffs/" + handoffId + "/close").then(function () { location.reload(); })
          .catch(function (error) { alert(error.message); });
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
    return td;
  }

  function refreshQueue() {
    getJson("/queue").then(function (data) {
      var tbody = fillTable("waiting", data.waiting, 6, "Tidak ada yang menunggu.");
      document.getElementById("waiting-count").textContent = data.waiting.length;
      data.waiting.forEach(function (row) {
        var tr = el("tr");
        tr.dataset.handoff = row.handoff_id;
        tr.appendChild(linkCell(row));
        tr.appendChild(el("td", null, row.customer_name || "(belum dikenal)"));
        tr.appendChild(el("td", null, row.channel));
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
      tbody = fillTable("active", data.active, 4, "Belum ada.");
      data.active.forEach(function (row) {
        var tr = el("tr", row.mine ? "mine" : "");
        tr.appendChild(linkCell(row));
        tr.appendChild(el("td", null, row.channel));
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
  if (csrf) { connect(); }
})();
