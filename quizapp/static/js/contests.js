// Contest pages: countdowns and the quota total.  Every page works without it.
(function () {
  "use strict";

  // Countdowns use the SERVER's time embedded in the page (data-server-now)
  // plus the time elapsed since the page loaded (a monotonic clock), so a
  // device whose clock is wrong still shows the right time left.
  var loadedAt = (window.performance && performance.now) ? performance.now() : 0;
  function elapsed() {
    return (window.performance && performance.now) ? performance.now() - loadedAt : 0;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var serverNow = Number(el.getAttribute("data-server-now"));
    var target = Number(el.getAttribute("data-target"));
    var out = el.querySelector(".countdown-value");
    var units = {};
    try { units = JSON.parse(el.getAttribute("data-units") || "{}"); } catch (e) { units = {}; }
    if (!out || !isFinite(serverNow) || !isFinite(target)) { return; }
    var timer = null;
    function tick() {
      var left = Math.floor((target - (serverNow + elapsed())) / 1000);
      if (left <= 0) {
        out.textContent = el.getAttribute("data-done-text") || "";
        if (timer) { clearInterval(timer); }
        return;
      }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      var text = (d ? d + " " + (units.d || "d") + " " : "") + h + " " + (units.h || "h") + " " +
        pad(m) + " " + (units.m || "min") + " " + pad(s) + " " + (units.s || "s");
      out.textContent = text;
    }
    tick();
    timer = setInterval(tick, 1000);
  });

  // The round form: the number of questions per attempt, as the organiser types.
  // Each grid (everyone, the entrant group with its own questions) has its own total.
  document.querySelectorAll("[data-quota-total]").forEach(function (total) {
    var table = total.closest("table");
    if (!table) { return; }
    var inputs = table.querySelectorAll(".quota-input");
    var update = function () {
      var sum = 0;
      inputs.forEach(function (i) { var n = parseInt(i.value, 10); if (n > 0) { sum += n; } });
      total.textContent = String(sum);
    };
    inputs.forEach(function (i) { i.addEventListener("input", update); });
  });

  // Buttons that need a second thought (publish, delete, archive): app.js asks, in the page's style.
})();
