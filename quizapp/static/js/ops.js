// The live operations view: fetch the figures every 5 seconds and update the numbers in place,
// written as the page's language writes them (a decimal comma in Vietnamese).
(function () {
  "use strict";
  var box = document.getElementById("ops");
  if (!box) { return; }
  var url = box.getAttribute("data-url");
  var locale = box.getAttribute("data-locale") || "vi-VN";

  function num(value, digits) {
    if (value === null || value === undefined) { return "–"; }
    return Number(value).toLocaleString(locale, { maximumFractionDigits: digits || 1 });
  }

  function set(el, value) {
    if (el && el.textContent !== String(value)) { el.textContent = String(value); }
  }

  function render(f) {
    set(document.getElementById("ops-as-of"), f.as_of_local);
    f.rounds.forEach(function (r) {
      var card = box.querySelector('[data-round="' + r.id + '"]');
      if (!card) { window.location.reload(); return; }  // a round started: rebuild the cards
      ["in_progress", "overdue", "finalize_lag_seconds"].forEach(function (k) {
        set(card.querySelector('[data-field="' + k + '"]'), num(r[k]));
      });
    });
    ["start", "save", "submit"].forEach(function (g) {
      var card = box.querySelector('[data-group="' + g + '"]');
      var d = f.requests.groups[g];
      if (!card || !d) { return; }
      set(card.querySelector('[data-field="total"]'), num(d.total_per_minute));
      ["4xx", "5xx", "503"].forEach(function (k) { set(card.querySelector('[data-field="' + k + '"]'), num(d.per_minute[k])); });
      set(card.querySelector('[data-field="p95"]'), d.p95_ms === null ? "–" : num(d.p95_ms / 1000, 2));
    });
    var e = f.requests.errors;
    var health = document.getElementById("ops-health");
    if (health) {
      var bad = e["5xx"] > 0 || e["503"] > 0;
      set(health, health.getAttribute(bad ? "data-bad" : "data-ok"));
      health.className = "flash " + (bad ? "flash-error" : "flash-success");
    }
    set(document.getElementById("ops-queue"), num(f.queue_depth));
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(render)
      .catch(function () { /* keep the last figures; try again */ })
      .then(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 5000);
}());
