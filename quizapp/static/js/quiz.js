// quizapp quiz page: save each answer the moment it is chosen, count down from the
// server's remaining time, keep unsent answers in localStorage while offline.
// Without JavaScript the form still works: Submit posts every answer at once.
(function () {
  "use strict";

  var form = document.getElementById("quiz");
  if (!form || !window.fetch) { return; }

  var ds = form.dataset;
  var attemptId = ds.attemptId;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var saveUrlBase = ds.saveUrl.replace(/\/0$/, "/");
  var KEY_QUEUE = "quiz:" + attemptId + ":queue";
  var KEY_SEQ = "quiz:" + attemptId + ":seq";
  var timerEl = document.getElementById("quiz-timer");
  var answeredEl = document.getElementById("quiz-answered");
  var netEl = document.getElementById("quiz-net");
  var submitting = false;
  var finished = false;

  // ---- storage (localStorage may be unavailable: private mode) -----------------------
  function load(key, fallback) {
    try { var v = window.localStorage.getItem(key); return v ? JSON.parse(v) : fallback; }
    catch (e) { return fallback; }
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* memory only */ }
  }
  var queue = load(KEY_QUEUE, {}); // aq id -> {selected: [...], seq: n}

  // ---- sequence numbers: increase on this device, and beyond anything the server holds --
  var lastSeq = load(KEY_SEQ, 0);
  Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-aq]"), function (fs) {
    lastSeq = Math.max(lastSeq, parseInt(fs.dataset.seq, 10) || 0);
  });
  function nextSeq() {
    lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
    store(KEY_SEQ, lastSeq);
    return lastSeq;
  }

  // ---- the countdown (server's remaining time, measured with performance.now) ---------
  var endAt = performance.now() + (parseInt(ds.remainingMs, 10) || 0);
  function resync(remainingMs) {
    if (typeof remainingMs === "number") { endAt = performance.now() + remainingMs; }
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, endAt - performance.now());
    var s = Math.ceil(left / 1000);
    timerEl.textContent = pad(Math.floor(s / 60)) + ":" + pad(s % 60);
    timerEl.classList.toggle("timer-low", s <= 60);
    if (left <= 0 && !finished) { autoSubmit(); return; }
    if (!finished) { window.setTimeout(tick, 250); }
  }

  // ---- question state ---------------------------------------------------------------
  function fieldset(aq) { return document.getElementById("q-" + aq); }
  function selectedOf(fs) {
    return Array.prototype.filter.call(fs.querySelectorAll("input[type=radio],input[type=checkbox]"),
      function (i) { return i.checked; }).map(function (i) { return parseInt(i.value, 10); });
  }
  function applySelection(fs, selected) {
    Array.prototype.forEach.call(fs.querySelectorAll("input[type=radio],input[type=checkbox]"), function (i) {
      i.checked = selected.indexOf(parseInt(i.value, 10)) !== -1;
    });
  }
  function setState(aq, state) {
    var el = document.getElementById("state-" + aq);
    if (!el || el.dataset.state === state) { return; }
    el.dataset.state = state;
    el.textContent = { saved: ds.msgSaved, saving: ds.msgSaving, unsaved: ds.msgUnsaved, empty: "" }[state] || "";
  }
  function countAnswered() {
    var n = 0;
    Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-aq]"), function (fs) {
      if (selectedOf(fs).length) { n += 1; }
    });
    answeredEl.textContent = String(n);
    return n;
  }

  // ---- saving with retry and an offline queue ------------------------------------------
  var inflight = {};
  var backoff = 1000;
  var retryTimer = null;

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = window.setTimeout(function () { retryTimer = null; flush(); }, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }

  function send(aq) {
    var item = queue[aq];
    if (!item || inflight[aq] || finished) { return Promise.resolve(); }
    inflight[aq] = item.seq;
    setState(aq, "saving");
    return fetch(saveUrlBase + aq, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify({ selected: item.selected, seq: item.seq })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        delete inflight[aq];
        if (resp.ok) {
          backoff = 1000;
          resync(body.remaining_ms);
          var current = queue[aq];
          if (current && current.seq <= body.seq) {
            delete queue[aq];
            store(KEY_QUEUE, queue);
            if (!body.saved) {
              // The server holds a newer answer (another tab or device): show it.
              applySelection(fieldset(aq), body.selected || []);
              countAnswered();
            }
            setState(aq, "saved");
          } else if (current) {
            send(aq); // chosen again while this one was in flight
          }
          if (!Object.keys(queue).length) { netEl.textContent = ""; }
          return;
        }
        var code = body && body.error && body.error.code;
        if (code === "time_up" || code === "attempt_finished") {
          finished = true;
          window.location.assign(ds.resultUrl);
          return;
        }
        if (resp.status >= 400 && resp.status < 500 && resp.status !== 429 && resp.status !== 408) {
          // Refused for good (e.g. session expired): keep it queued, say so.
          setState(aq, "unsaved");
          netEl.textContent = (body.error && body.error.message) || ds.msgUnsaved;
          return;
        }
        setState(aq, "unsaved");
        scheduleRetry();
      });
    }).catch(function () {
      delete inflight[aq];
      setState(aq, "unsaved");
      netEl.textContent = ds.msgOffline;
      scheduleRetry();
    });
  }

  function flush() {
    return Promise.all(Object.keys(queue).map(send));
  }

  function onChange(ev) {
    var input = ev.target;
    var fs = input.closest("fieldset[data-aq]");
    if (!fs || finished) { return; }
    var aq = fs.dataset.aq;
    queue[aq] = { selected: selectedOf(fs), seq: nextSeq() };
    store(KEY_QUEUE, queue);
    countAnswered();
    send(aq);
  }
  form.addEventListener("change", onChange);

  // Re-apply answers chosen here but never sent (page reloaded while offline), only when
  // newer than what the server rendered; drop the rest.
  Object.keys(queue).forEach(function (aq) {
    var fs = fieldset(aq);
    if (!fs || queue[aq].seq <= (parseInt(fs.dataset.seq, 10) || 0)) { delete queue[aq]; return; }
    applySelection(fs, queue[aq].selected);
    setState(aq, "unsaved");
  });
  store(KEY_QUEUE, queue);
  countAnswered();

  window.addEventListener("online", function () { backoff = 1000; flush(); });
  window.addEventListener("offline", function () { netEl.textContent = ds.msgOffline; });
  window.setInterval(function () { if (Object.keys(queue).length) { flush(); } }, 15000);

  // After the phone slept, ask the server for the time left.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || finished) { return; }
    fetch(ds.showUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        if (body.attempt.status !== "in_progress") { finished = true; window.location.assign(ds.resultUrl); return; }
        resync(body.attempt.remaining_ms);
      }).catch(function () { /* offline: keep counting */ });
  });

  // ---- submitting ---------------------------------------------------------------------
  var predictionEl = document.getElementById("prediction");
  var predictionErr = document.getElementById("prediction-js-err");

  function submitNow(auto) {
    if (submitting) { return; }
    submitting = true;
    var payload = { auto: !!auto };
    if (predictionEl && predictionEl.value.trim() !== "") { payload.prediction = predictionEl.value.trim(); }
    flush().then(function () {
      return fetch(ds.submitUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
        body: JSON.stringify(payload)
      });
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (resp.ok || (body.error && body.error.code === "attempt_not_found")) {
          finished = true;
          try { window.localStorage.removeItem(KEY_QUEUE); window.localStorage.removeItem(KEY_SEQ); } catch (e) { /* */ }
          window.location.assign(ds.resultUrl);
          return;
        }
        submitting = false;
        var message = (body.error && body.error.message) || ds.msgSubmitFailed;
        if (body.error && body.error.field === "prediction" && predictionErr) {
          predictionErr.textContent = message;
          predictionEl.setAttribute("aria-invalid", "true");
          predictionEl.focus();
        } else {
          netEl.textContent = message;
        }
        if (auto) { window.setTimeout(function () { submitNow(true); }, 3000); }
      });
    }).catch(function () {
      submitting = false;
      netEl.textContent = ds.msgSubmitFailed;
      if (auto) { window.setTimeout(function () { submitNow(true); }, 3000); }
    });
  }

  function autoSubmit() {
    finishedTimer();
    netEl.textContent = ds.msgTimeup;
    Array.prototype.forEach.call(form.querySelectorAll("input,button"), function (el) {
      if (el.type !== "hidden") { el.disabled = true; }
    });
    submitNow(true);
  }
  function finishedTimer() { timerEl.textContent = "00:00"; }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (submitting) { return; }
    var total = form.querySelectorAll("fieldset[data-aq]").length;
    var message = ds.msgConfirm;
    if (countAnswered() < total) { message = ds.msgUnanswered + " " + message; }
    if (!window.confirm(message)) { return; }
    submitNow(false);
  });

  // ---- paging when the round shows one question at a time ------------------------------
  if (form.classList.contains("quiz-paged")) {
    var pages = Array.prototype.slice.call(form.querySelectorAll("fieldset[data-aq]"));
    var pager = document.getElementById("quiz-pager");
    var label = document.getElementById("quiz-page");
    var prev = document.getElementById("quiz-prev");
    var next = document.getElementById("quiz-next");
    var current = 0;
    var show = function (i) {
      current = Math.max(0, Math.min(pages.length - 1, i));
      pages.forEach(function (p, j) { p.hidden = j !== current; });
      label.textContent = (current + 1) + "/" + pages.length;
      prev.disabled = current === 0;
      next.disabled = current === pages.length - 1;
    };
    pager.hidden = false;
    prev.addEventListener("click", function () { show(current - 1); pages[current].querySelector("legend").focus(); });
    next.addEventListener("click", function () { show(current + 1); pages[current].querySelector("legend").focus(); });
    pages.forEach(function (p) { p.querySelector("legend").setAttribute("tabindex", "-1"); });
    show(0);
  }

  tick();
  flush();
})();
