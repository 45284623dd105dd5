// Desk alert badge (issue 15): due callback tickets (mine or unassigned) and, for
// supervisors, complaints past their SLA. The worker's scheduled jobs write the alerts to
// each case's timeline; this badge reads the open ones from /desk/api/alerts once a minute.
(function () {
  "use strict";
  var box = document.getElementById("desk-alerts");
  if (!box) return;
  var LABELS = {
    callback_due: "Waktunya menghubungi kembali",
    complaint_sla_breach: "SLA keluhan terlampaui"
  };

  function render(alerts) {
    box.textContent = "";
    if (!alerts.length) { box.hidden = true; return; }
    box.hidden = false;
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = "Perlu tindakan (" + alerts.length + ")";
    summary.className = "badge";
    details.appendChild(summary);
    var list = document.createElement("ul");
    alerts.forEach(function (a) {
      var item = document.createElement("li");
      item.textContent = (LABELS[a.alert] || a.alert) + " · " + a.reference + " · " + a.due;
      list.appendChild(item);
    });
    details.appendChild(list);
    box.appendChild(details);
  }

  function load() {
    fetch("/desk/api/alerts", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { alerts: [] }; })
      .then(function (data) { render(Array.isArray(data.alerts) ? data.alerts : []); })
      .catch(function () { /* offline: the next poll retries */ });
  }

  load();
  setInterval(load, 60000);
})();
