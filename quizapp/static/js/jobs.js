// A job's page: poll its status every few seconds, move the progress bar, reload when finished
// (the server then renders the download link or the report).  Without JavaScript: a Refresh link.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.getAttribute("data-finished") === "1") { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("job-progress");
  var state = document.getElementById("job-state");
  var count = document.getElementById("job-count");
  var delay = 1000;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) {
        if (s.finished) { window.location.reload(); return; }
        if (s.total > 0) {
          bar.max = s.total; bar.value = s.done;
          count.textContent = s.done + " / " + s.total;
        }
        var text = state.getAttribute("data-" + s.status);
        if (text && state.textContent.trim() !== text) { state.textContent = text; }
        delay = Math.min(delay * 1.3, 4000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, delay);
}());
