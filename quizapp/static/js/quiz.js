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
  var pendingEl = document.getElementById("quiz-pending");
  var netEl = document.getElementById("quiz-net");
  var authEl = document.getElementById("quiz-auth");
  var sessionLost = false;
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
  // The server measured the time left when it read the request, which is after the request left
  // this phone; so the countdown runs from when the request was SENT, not from when the (maybe
  // slow) response arrived: it then never ends after the server's deadline.
  function pageSentAt() {
    var nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    return nav && nav.requestStart > 0 ? nav.requestStart : performance.now();
  }
  var endAt = pageSentAt() + (parseInt(ds.remainingMs, 10) || 0);
  function resync(remainingMs, sentAt) {
    if (typeof remainingMs === "number") {
      endAt = (typeof sentAt === "number" ? sentAt : performance.now()) + remainingMs;
    }
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // ---- spoken announcements: one polite live region for the whole page -------------------
  // (the timer itself is not live: a screen reader would read it every second).
  var announceEl = document.getElementById("quiz-announce");
  var announceTimer = null;
  function announce(text, delay) {
    if (!announceEl) { return; }
    window.clearTimeout(announceTimer);
    announceTimer = window.setTimeout(function () {
      announceEl.textContent = "";
      window.setTimeout(function () { announceEl.textContent = text; }, 30);
    }, delay || 0);
  }
  function secondsLeft() { return Math.ceil(Math.max(0, endAt - performance.now()) / 1000); }
  function timeInWords(s) {
    var m = Math.floor(s / 60);
    var text = m ? ds.msgMinutes.replace("{m}", m).replace("{s}", pad(s % 60)) : ds.msgSeconds.replace("{s}", s);
    return ds.msgTimeLeft.replace("{t}", text);
  }
  function readTimeLeft() { announce(timeInWords(secondsLeft())); }
  var WARN_AT = [300, 60]; // 5 minutes and 1 minute before the automatic submit
  var lastSeconds = null;
  function warnIfCrossing(s) {
    if (lastSeconds !== null) {
      WARN_AT.forEach(function (w) { if (lastSeconds > w && s <= w) { announce(timeInWords(s)); } });
    }
    lastSeconds = s;
  }
  var readButton = document.getElementById("quiz-time-read");
  if (readButton) {
    readButton.hidden = false;
    readButton.addEventListener("click", readTimeLeft);
  }
  // Alt+Shift+T reads the time left from anywhere on the page.
  document.addEventListener("keydown", function (ev) {
    if (ev.altKey && ev.shiftKey && (ev.code === "KeyT" || ev.key === "T" || ev.key === "t")) {
      ev.preventDefault();
      readTimeLeft();
    }
  });

  function tick() {
    var left = Math.max(0, endAt - performance.now());
    var s = Math.ceil(left / 1000);
    timerEl.textContent = pad(Math.floor(s / 60)) + ":" + pad(s % 60);
    timerEl.classList.toggle("timer-low", s <= 60);
    warnIfCrossing(s);
    if (left <= 0 && !finished) { autoSubmit(); return; }
    if (!finished) { window.setTimeout(tick, 250); }
  }

  // ---- question state ---------------------------------------------------------------
  function fieldset(aq) { return document.getElementById("q-" + aq); }
  function questionsList() { return Array.prototype.slice.call(form.querySelectorAll("fieldset[data-aq]")); }
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
    if (state === "saved" && el.dataset.state === "saving") {
      // One short announcement per save (a burst of saves: only the last one is spoken).
      var num = questionsList().indexOf(fieldset(aq)) + 1;
      announce(ds.msgSavedQuestion.replace("{n}", num), 400);
    }
    el.dataset.state = state;
    el.textContent = { saved: ds.msgSaved, saving: ds.msgSaving, unsaved: ds.msgUnsaved, empty: "" }[state] || "";
    countAnswered();
  }
  // The bar counts only answers the server has confirmed; answers still on this device
  // are counted apart ("2 not saved yet"), never as saved.  Returns the questions answered.
  function countAnswered() {
    var chosen = 0, saved = 0, pending = 0;
    Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-aq]"), function (fs) {
      var has = selectedOf(fs).length > 0;
      var state = (document.getElementById("state-" + fs.dataset.aq) || { dataset: {} }).dataset.state;
      if (has) { chosen += 1; }
      if (has && state === "saved" && !queue[fs.dataset.aq]) { saved += 1; }
      if (queue[fs.dataset.aq]) { pending += 1; }
      markCell(fs.dataset.aq, has);
    });
    answeredEl.textContent = String(saved);
    if (pendingEl) {
      pendingEl.hidden = pending === 0;
      pendingEl.textContent = ds.msgPending.replace("{n}", pending);
    }
    return chosen;
  }

  // ---- the question grid ----------------------------------------------------------------
  function markCell(aq, answered) {
    var cell = document.querySelector('.qg-cell[data-aq="' + aq + '"]');
    if (!cell) { return; }
    cell.classList.toggle("qg-answered", answered);
    cell.querySelector(".qg-state").textContent = ": " + (answered ? ds.msgAnswered : ds.msgUnansweredCell);
  }

  // ---- an expired login: say so, keep the answers, resend after logging in again --------
  function refreshCsrf() {
    return fetch(ds.csrfUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (body) { if (body.csrf_token) { csrf = body.csrf_token; } })
      .catch(function () { /* offline: try again later */ });
  }
  function loggedOut(lost) {
    sessionLost = lost;
    if (authEl) { authEl.hidden = !lost; }
  }
  function recover() {
    if (!sessionLost) { return; }
    refreshCsrf().then(function () { backoff = 1000; sessionLost = false; flush(); });
  }
  window.addEventListener("focus", recover);
  window.setInterval(recover, 5000);

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
    var sentAt = performance.now();
    return fetch(saveUrlBase + aq, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify({ selected: item.selected, seq: item.seq })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        delete inflight[aq];
        if (resp.ok) {
          backoff = 1000;
          loggedOut(false);
          resync(body.remaining_ms, sentAt);
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
        if (resp.status === 401 || resp.status === 403 || code === "csrf_failed") {
          // Logged out (session expired) or the page's token is stale: the answer stays queued.
          setState(aq, "unsaved");
          loggedOut(true);
          return;
        }
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
    recover();
    var sentAt = performance.now();
    fetch(ds.showUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        if (body.attempt.status !== "in_progress") { finished = true; window.location.assign(ds.resultUrl); return; }
        resync(body.attempt.remaining_ms, sentAt);
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
        if (resp.status === 401 || resp.status === 403 || (body.error && body.error.code === "csrf_failed")) {
          loggedOut(true);
          if (auto) { window.setTimeout(function () { submitNow(true); }, 3000); }
          return;
        }
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

  // The confirmation is a page-styled dialog (not the browser's confirm()) that lists the
  // questions still without an answer, each a link back to it.
  var dialog = document.getElementById("quiz-confirm");
  var missingBox = document.getElementById("quiz-confirm-missing");
  var missingList = document.getElementById("quiz-confirm-list");
  var returnFocus = null;
  function closeDialog() {
    if (dialog.open) { dialog.close(); }
  }
  function askToSubmit() {
    returnFocus = document.activeElement;
    missingList.textContent = "";
    var unanswered = 0;
    questionsList().forEach(function (fs, i) {
      if (selectedOf(fs).length) { return; }
      unanswered += 1;
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + fs.id;
      a.textContent = ds.msgQuestion.replace("{n}", i + 1);
      a.addEventListener("click", function (e) { e.preventDefault(); closeDialog(); goTo(i); });
      li.appendChild(a);
      missingList.appendChild(li);
    });
    missingBox.hidden = unanswered === 0;
    dialog.showModal();
    document.getElementById("quiz-confirm-yes").focus();
  }
  if (dialog && typeof dialog.showModal === "function") {
    document.getElementById("quiz-confirm-yes").addEventListener("click", function () { closeDialog(); submitNow(false); });
    document.getElementById("quiz-confirm-no").addEventListener("click", function () {
      closeDialog();
      if (returnFocus && returnFocus.focus) { returnFocus.focus(); }
    });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (submitting) { return; }
    if (dialog && typeof dialog.showModal === "function") { askToSubmit(); return; }
    var total = form.querySelectorAll("fieldset[data-aq]").length;
    var message = ds.msgConfirm;
    if (countAnswered() < total) { message = ds.msgUnanswered + " " + message; }
    if (window.confirm(message)) { submitNow(false); }
  });

  // ---- the grid, "next unanswered" and paging (one question at a time) ------------------
  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset[data-aq]"));
  var submitSection = document.getElementById("quiz-submit-section");
  var paged = form.classList.contains("quiz-paged");
  var pages = questions.concat(submitSection ? [submitSection] : []);
  var current = 0;
  var label = document.getElementById("quiz-page");
  var prev = document.getElementById("quiz-prev");
  var next = document.getElementById("quiz-next");
  function show(i) {
    current = Math.max(0, Math.min(pages.length - 1, i));
    if (!paged) { return; }
    pages.forEach(function (p, j) { p.hidden = j !== current; });
    label.textContent = current < questions.length ? (current + 1) + "/" + questions.length : ds.msgSubmitPage;
    prev.disabled = current === 0;
    next.disabled = current === pages.length - 1;
  }
  function goTo(i) {
    show(i);
    var target = pages[current];
    var focusable = target.querySelector("legend") || target;
    if (!paged) { target.scrollIntoView({ block: "start" }); }
    focusable.focus();
  }
  questions.forEach(function (p) { p.querySelector("legend").setAttribute("tabindex", "-1"); });
  var bar = document.getElementById("quiz-bar");
  var byKeyboard = false; // only keyboard focus is moved out from under the bar (never a tap's target)
  document.addEventListener("keydown", function () { byKeyboard = true; }, true);
  document.addEventListener("mousedown", function () { byKeyboard = false; }, true);
  document.addEventListener("touchstart", function () { byKeyboard = false; }, true);
  form.addEventListener("focusin", function (ev) {
    var fs = ev.target.closest && ev.target.closest("fieldset[data-aq]");
    if (fs && !paged) { current = questions.indexOf(fs); }
    // Shift+Tab scrolls just enough to show the focused option, which can leave it under the
    // sticky timer bar: scroll it below the bar.
    if (!bar || !byKeyboard) { return; }
    var hidden = ev.target.getBoundingClientRect().top - bar.getBoundingClientRect().bottom - 8;
    if (hidden < 0) { window.scrollBy(0, hidden); }
  });
  var grid = document.getElementById("quiz-grid");
  if (grid) {
    grid.addEventListener("click", function (ev) {
      var link = ev.target.closest("a");
      if (!link) { return; }
      ev.preventDefault();
      goTo(link.id === "quiz-grid-submit" ? pages.length - 1
        : questions.indexOf(document.getElementById("q-" + link.dataset.aq)));
    });
    var nextUnanswered = document.getElementById("quiz-next-unanswered");
    var note = document.getElementById("quiz-grid-note");
    nextUnanswered.hidden = false;
    nextUnanswered.addEventListener("click", function () {
      var n = questions.length;
      for (var k = 1; k <= n; k += 1) {
        var j = (Math.min(current, n - 1) + k) % n;
        if (!selectedOf(questions[j]).length) { note.textContent = ""; goTo(j); return; }
      }
      note.textContent = ds.msgAllAnswered;
      goTo(pages.length - 1);
    });
  }
  if (paged) {
    document.getElementById("quiz-pager").hidden = false;
    prev.addEventListener("click", function () { goTo(current - 1); });
    next.addEventListener("click", function () { goTo(current + 1); });
    show(0);
  }

  tick();
  flush();
})();
