// Timed practice: count down from the server's remaining time (monotonic clock), then show the result.
(function () {
  "use strict";
  var el = document.querySelector("[data-practice-remaining-ms]");
  if (!el) return;
  var remaining = parseInt(el.getAttribute("data-practice-remaining-ms"), 10);
  if (isNaN(remaining)) return;
  var start = performance.now();
  function tick() {
    var left = Math.max(0, remaining - (performance.now() - start));
    var s = Math.ceil(left / 1000);
    el.textContent = "(" + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") + ")";
    if (left <= 0) {
      window.location.assign(el.getAttribute("data-practice-result-url"));
      return;
    }
    window.setTimeout(tick, 250);
  }
  tick();
})();
