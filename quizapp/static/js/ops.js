// The live operations view: fetch the figures every 5 seconds and update the numbers in place.
(function () {
  "use strict";
  var box = document.getElementById("ops");
  if (!box) { return; }
  var url = box.getAttribute("data-url");

  function set(el, value) {
    if (el && el.textContent !== String(value)) { el.textContent = String(value); }
  }

  function render(f) {
    set(document.getElementById("ops-as-of"), f.as_of_local);
    f.rounds.forEach(function (r) {
      var card = box.querySelector('[data-round="' + r.id + '"]');
      if (!card) { window.location.reload(); return; }  // a round started: rebuild the cards
      ["in_progress", "overdue", "finalize_lag_seconds"].forEach(function (k) {
        set(card.querySelector('[data-field="' + k + '"]'), r[k]);
      });
    });
    ["start", "save", "submit"].forEach(function (g) {
      var row = box.querySelector('[data-group="' + g + '"]');
      var d = f.requests.groups[g];
      if (!row || !d) { return; }
      set(row.querySelector('[data-field="total"]'), d.total_per_minute);
      ["4xx", "5xx", "503"].forEach(function (k) { set(row.querySelector('[data-field="' + k + '"]'), d.per_minute[k]); });
      set(row.querySelector('[data-field="p95"]'), d.p95_ms === null ? "–" : d.p95_ms);
    });
    var e = f.requests.errors;
    set(document.getElementById("ops-errors"), e["4xx"] + " / " + e["5xx"] + " / " + e["503"]);
    set(document.getElementById("ops-queue"), f.queue_depth);
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
