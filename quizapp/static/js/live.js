// The live contest's screens: presenter (projector), MC console, team device, audience phone.
// One EventSource per page brings the hall's state as a full snapshot with a version; a reconnect or
// a reload shows the same state.  Countdowns run on the server's clock (each message carries the
// server's time).  Answers are POSTed with an id made on the device and kept in localStorage, so a
// resend (a retry, a reload) is recorded once.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root) { return; }
  var screen = root.getAttribute("data-live");
  var T = JSON.parse(root.getAttribute("data-i18n"));
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var stage = root.querySelector("[data-stage]");
  var partline = root.querySelector("[data-partline]");
  var conn = root.querySelector("[data-conn]");
  var feedback = root.querySelector("[data-feedback]");
  var ownScore = root.querySelector("[data-own-score]");
  var teamId = parseInt(root.getAttribute("data-team") || "0", 10);
  var myTicket = parseInt(root.getAttribute("data-ticket") || "0", 10); // the audience phone's, from the server
  var prizeWon = root.querySelector("[data-prize-won]");
  var state = null;
  var offset = 0; // server time - local time, ms
  var countdownEl = null;
  var autoClosed = {};
  var mcKey = { item: null, key: [] };

  function fmt(s, args) {
    return s.replace(/\{(\w+)\}/g, function (_m, k) { return args[k] === undefined ? "" : String(args[k]); });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function serverNow() { return Date.now() + offset; }
  function num(x) { return (Math.round(x * 100) / 100).toString(); }
  function teamName(id) {
    var t = (state.teams || []).filter(function (x) { return x.id === id; })[0];
    return t ? t.name : "#" + id;
  }
  function store(key, value) {
    try { if (value === null) { localStorage.removeItem(key); } else { localStorage.setItem(key, JSON.stringify(value)); } }
    catch (e) { /* private mode: the server still holds the answer */ }
  }
  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function newId() {
    var a = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- the stream --------------------------------------------------------------------------------
  function connect() {
    var es = new EventSource(root.getAttribute("data-stream"));
    es.addEventListener("state", function (e) {
      var msg = JSON.parse(e.data);
      offset = msg.now - Date.now();
      if (!state || msg.state.v >= state.v) {
        state = msg.state;
        render();
      }
      if (conn) { conn.textContent = ""; }
      root.setAttribute("data-version", String(state.v));
    });
    es.addEventListener("answered", function (e) {
      var msg = JSON.parse(e.data);
      if (!state || !state.item || state.item.id !== msg.item) { return; }
      state.item.answered = msg.answered;
      // Only the screens that show it redraw (a phone mid-tap is left alone).
      if (screen === "presenter" || screen === "mc") { render(); }
    });
    es.onerror = function () {
      if (conn) { conn.textContent = T.reconnecting; }
    };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var err = new Error((data.error && data.error.message) || resp.statusText);
          err.status = resp.status; err.code = data.error && data.error.code;
          throw err;
        }
        return data;
      });
    });
  }

  // --- pieces ------------------------------------------------------------------------------------
  function partText() {
    if (!state.part) { return ""; }
    return state.part.number + "/" + state.part.of + " · " + state.part.title;
  }
  function remainingMs() {
    var item = state.item;
    if (!item) { return 0; }
    if (state.phase === "paused") { return item.paused_remaining_ms || 0; }
    return Math.max(0, item.closes_at - serverNow());
  }
  function countdown() {
    countdownEl = el("p", "live-countdown");
    countdownEl.setAttribute("aria-live", "off");
    tick();
    return countdownEl;
  }
  function tick() {
    if (!state || !countdownEl) { return; }
    var ms = remainingMs();
    countdownEl.textContent = state.phase === "paused" ? T.paused + " · " + Math.ceil(ms / 1000) + T.seconds
      : (state.phase === "open" ? Math.ceil(ms / 1000) + T.seconds : T.time_up);
    countdownEl.classList.toggle("live-urgent", state.phase === "open" && ms < 5000);
    if (screen === "presenter" && state.phase === "open" && state.item && ms <= 0 &&
        serverNow() - state.item.closes_at > 700 && !autoClosed[state.item.id]) {
      autoClosed[state.item.id] = true; // the presenter closes the question once its time is up
      post(root.getAttribute("data-control"), { action: "close" }).catch(function () { autoClosed[state.item.id] = false; });
    }
    if ((screen === "device" || screen === "audience") && state.phase === "open" && ms <= 0) {
      root.querySelectorAll(".live-option, .live-buzz").forEach(function (b) { b.disabled = true; });
    }
  }
  setInterval(tick, 200);

  function questionBlock(showKey) {
    var item = state.item;
    var box = el("div", "live-question");
    var head = el("p", "live-qnum", (item.reserve ? T.reserve : T.question + " " + item.number + " " + T.of + " " + item.of));
    box.appendChild(head);
    if (item.text) { box.appendChild(el("h2", "live-qtext", item.text)); }
    var list = el("ol", "live-options");
    var total = 0;
    if (item.distribution) { Object.keys(item.distribution).forEach(function (k) { total += item.distribution[k]; }); }
    item.options.forEach(function (o) {
      var li = el("li", "live-opt");
      li.appendChild(el("span", "live-label", o.label));
      li.appendChild(el("span", "live-opttext", o.text));
      if (item.distribution) {
        var n = item.distribution[String(o.id)] || 0;
        var bar = el("span", "live-bar");
        bar.style.width = (total ? Math.round(100 * n / total) : 0) + "%";
        li.appendChild(bar);
        li.appendChild(el("span", "live-count", String(n)));
      }
      var key = showKey || item.key;
      if (key && key.indexOf(o.id) !== -1) {
        li.classList.add("live-right");
        li.appendChild(el("span", "live-tick", "✓ " + T.answer_key));
      }
      list.appendChild(li);
    });
    box.appendChild(list);
    if (item.key && (item.explanation || item.source)) {
      if (item.explanation) { box.appendChild(el("p", "live-expl", item.explanation)); }
      if (item.source) { box.appendChild(el("p", "live-source", T.source + ": " + item.source)); }
    }
    return box;
  }

  // --- audience prizes: winners are in the snapshot only after the reveal -------------------------
  function ticketLabel(n) {
    var s = String(n);
    while (s.length < 4) { s = "0" + s; }
    return s;
  }
  function winnersBlock(item) {
    if (!item || !item.winners) { return null; }
    var box = el("div", "live-winners");
    box.appendChild(el("h3", null, T.winners));
    if (!item.winners.length) { box.appendChild(el("p", "live-rule", T.no_winner)); return box; }
    var list = el("ol");
    item.winners.forEach(function (n) { list.appendChild(el("li", null, ticketLabel(n))); });
    box.appendChild(list);
    return box;
  }
  function showPrizeWon() {
    if (!prizeWon || !myTicket) { return; }
    var key = "live:won:" + state.event.id;
    var won = load(key) || [];
    var item = state.item;
    if (item && item.winners && item.winners.indexOf(myTicket) !== -1 && won.indexOf(item.id) === -1) {
      won.push(item.id);
      store(key, won);
    }
    prizeWon.textContent = won.length ? fmt(T.prize_won, { ticket: ticketLabel(myTicket) }) : "";
  }

  function teamsAnswered() {
    var item = state.item;
    var ul = el("ul", "live-chips");
    (state.teams || []).slice().sort(function (a, b) { return a.id - b.id; }).forEach(function (t) {
      var done = item && item.answered.indexOf(t.id) !== -1;
      var right = item && item.right_teams && item.right_teams.indexOf(t.id) !== -1;
      var li = el("li", "live-chip" + (done ? " live-done" : "") + (right ? " live-chip-right" : ""),
                  t.name + " · " + (done ? T.answered : T.not_answered));
      ul.appendChild(li);
    });
    return ul;
  }

  function buzzBlock() {
    var b = state.item.buzz;
    var box = el("div", "live-buzzbox");
    box.appendChild(el("h3", null, T.buzz_order));
    if (!b.order.length) { box.appendChild(el("p", null, T.nobody_pressed)); return box; }
    var ol = el("ol", "live-buzzlist");
    b.order.forEach(function (id) {
      var cls = b.holder === id ? "live-holder" : (b.right.indexOf(id) !== -1 ? "live-chip-right" : (b.wrong.indexOf(id) !== -1 ? "live-wrong" : ""));
      var li = el("li", cls, teamName(id) + (b.holder === id ? " · " + T.holder : "") +
                  (b.right.indexOf(id) !== -1 ? " · " + T.right : "") + (b.wrong.indexOf(id) !== -1 ? " · " + T.wrong : ""));
      if (screen === "mc" && b.holder === id) {
        [["1", T.right, "button"], ["0", T.wrong, "button danger"]].forEach(function (m) {
          var btn = el("button", m[2], m[1] + " – " + teamName(id));
          btn.type = "button";
          btn.addEventListener("click", function () {
            btn.disabled = true;
            post(root.getAttribute("data-mark"), { team_id: id, right: m[0] === "1" }).catch(showError);
          });
          li.appendChild(btn);
        });
      }
      ol.appendChild(li);
    });
    box.appendChild(ol);
    return box;
  }

  function scoreboard() {
    var box = el("div", "live-board");
    box.appendChild(el("h2", null, state.status === "finished" ? T.podium : T.scoreboard));
    var table = el("table", "live-table");
    var thead = el("thead");
    var hr = el("tr");
    [T.place, T.team, T.score].forEach(function (h) { var th = el("th", null, h); th.scope = "col"; hr.appendChild(th); });
    thead.appendChild(hr);
    table.appendChild(thead);
    var tbody = el("tbody");
    state.teams.forEach(function (t) {
      var tr = el("tr", (t.place <= 3 && state.status === "finished") ? "live-top" + t.place : "");
      if (t.id === teamId) { tr.classList.add("live-me"); }
      tr.appendChild(el("td", null, String(t.place)));
      tr.appendChild(el("td", null, t.name));
      tr.appendChild(el("td", null, num(t.score) + (t.tiebreak ? " (+" + num(t.tiebreak) + ")" : "")));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    box.appendChild(table);
    return box;
  }

  function intro() {
    var p = state.part;
    var box = el("div", "live-intro");
    box.appendChild(el("p", "live-kind", T[p.kind] || p.kind));
    box.appendChild(el("h2", "live-big", p.title));
    if (p.kind !== "judged") {
      var rule = p.seconds + " " + T.per_question + " · " + num(p.points) + " " + T.points;
      if (p.speed_bonus) { rule += " · " + T.speed + " " + num(p.speed_bonus); }
      if (p.kind === "buzzer" && p.wrong_penalty) { rule += " · " + T.penalty + " " + num(p.wrong_penalty); }
      box.appendChild(el("p", "live-rule", rule));
    } else {
      box.appendChild(el("p", "live-rule", p.rubric.map(function (c) { return c.name + " (" + c.max + ")"; }).join(" · ")));
    }
    return box;
  }

  function lobby() {
    var box = el("div", "live-lobby");
    box.appendChild(el("h2", "live-big", state.event.title));
    if (state.event.venue) { box.appendChild(el("p", "live-rule", state.event.venue)); }
    var ul = el("ul", "live-chips");
    state.teams.forEach(function (t) { ul.appendChild(el("li", "live-chip", t.name)); });
    box.appendChild(ul);
    return box;
  }

  // --- team device and audience: answering ----------------------------------------------------
  function saved(item) { return load("live:" + screen + ":" + state.event.id + ":" + item.id); }

  function sendAnswer(item, optionId, label, attempt) {
    var key = "live:" + screen + ":" + state.event.id + ":" + item.id;
    var mine = load(key) || { client_id: newId(), option_id: optionId, label: label };
    store(key, mine);
    feedback.textContent = attempt ? T.retrying : "…";
    post(root.getAttribute("data-answer"), { item_id: item.id, option_id: mine.option_id, client_id: mine.client_id })
      .then(function () {
        mine.confirmed = true;
        store(key, mine);
        feedback.textContent = fmt(T.sent_answer, { label: mine.label });
        render();
      })
      .catch(function (err) {
        var transient = !err.status || err.status === 503 || err.status === 429;
        if (transient && (attempt || 0) < 6) { // the network or a busy server, not a refusal: same id again
          setTimeout(function () { sendAnswer(item, optionId, label, (attempt || 0) + 1); }, 600 * ((attempt || 0) + 1));
          return;
        }
        if (err.code !== "already_answered") { store(key, null); }
        showError(err);
        render();
      });
  }

  function pressBuzz(item) {
    var key = "live:buzz:" + state.event.id + ":" + item.id;
    var mine = load(key) || { client_id: newId() };
    store(key, mine);
    post(root.getAttribute("data-buzz"), { item_id: item.id, client_id: mine.client_id }).then(function (data) {
      mine.place = data.place;
      store(key, mine);
      feedback.textContent = fmt(T.buzz_place, { n: data.place });
      render();
    }).catch(function (err) { store(key, err.status ? null : mine); showError(err); });
  }

  function showError(err) {
    var text = fmt(T.error, { message: err.message || "" });
    if (feedback) { feedback.textContent = text; } else if (conn) { conn.textContent = text; }
  }

  function answerButtons(item) {
    var mine = saved(item);
    var already = mine && mine.confirmed;
    if (screen === "device" && item.answered.indexOf(teamId) !== -1) { already = true; }
    var open = state.phase === "open" && remainingMs() > 0;
    var grid = el("div", "live-answer-grid");
    item.options.forEach(function (o) {
      var b = el("button", "live-option");
      b.type = "button";
      b.appendChild(el("span", "live-label", o.label));
      b.appendChild(el("span", "live-opttext", o.text));
      if (mine && mine.option_id === o.id) { b.classList.add("live-chosen"); b.setAttribute("aria-pressed", "true"); }
      if (item.key && item.key.indexOf(o.id) !== -1) { b.classList.add("live-right"); }
      b.disabled = !open || !!already || !!mine;
      b.addEventListener("click", function () {
        grid.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
        b.classList.add("live-chosen");
        sendAnswer(item, o.id, o.label);
      });
      grid.appendChild(b);
    });
    if (mine && !mine.confirmed && open) { sendAnswer(item, mine.option_id, mine.label, 1); } // reload mid-send
    if (already) {
      feedback.textContent = mine ? fmt(T.sent_answer, { label: mine.label }) : T.sent;
    } else if (!open && !mine) {
      feedback.textContent = state.phase === "paused" ? T.paused : (state.phase === "open" ? "" : T.time_up);
    }
    return grid;
  }

  function renderDevice() {
    var me = (state.teams || []).filter(function (t) { return t.id === teamId; })[0];
    if (ownScore && me) { ownScore.textContent = fmt(T.your_score, { score: num(me.score), place: me.place }); }
    var item = state.item;
    var kind = state.part && state.part.kind;
    if (state.status === "finished") { stage.appendChild(scoreboard()); stage.appendChild(el("p", "live-big", T.finished)); return; }
    if (state.phase === "lobby") { stage.appendChild(lobby()); return; }
    if (state.phase === "intro") { stage.appendChild(intro()); return; }
    if (state.phase === "scoreboard") { stage.appendChild(scoreboard()); return; }
    if (state.phase === "judging") {
      stage.appendChild(el("h2", "live-big", T.judging + ": " + (state.stage_team_id ? teamName(state.stage_team_id) : "")));
      return;
    }
    if (!item) { stage.appendChild(el("p", "live-big", T.waiting)); return; }
    stage.appendChild(countdown());
    var audienceQ = kind === "audience";
    if (screen === "device" && audienceQ) { stage.appendChild(el("p", "live-big", T.for_audience)); return; }
    if (screen === "audience" && !audienceQ) {
      stage.appendChild(el("p", "live-rule", T.for_teams));
      stage.appendChild(questionBlock());
      return;
    }
    if (item.text) { stage.appendChild(el("h2", "live-qtext", item.text)); }
    if (kind === "buzzer") {
      var mineB = load("live:buzz:" + state.event.id + ":" + item.id);
      var pressed = item.buzz.order.indexOf(teamId);
      var b = el("button", "live-buzz", T.buzz);
      b.type = "button";
      b.disabled = state.phase !== "open" || pressed !== -1 || item.buzz.right.length > 0;
      b.addEventListener("click", function () { b.disabled = true; pressBuzz(item); });
      stage.appendChild(b);
      if (pressed !== -1) {
        feedback.textContent = fmt(T.buzz_place, { n: pressed + 1 }) + (item.buzz.holder === teamId ? " · " + T.holder : "");
      } else if (mineB && mineB.place) {
        feedback.textContent = fmt(T.buzz_place, { n: mineB.place });
      } else {
        feedback.textContent = state.phase === "open" ? T.press_hint : T.time_up;
      }
      return;
    }
    stage.appendChild(answerButtons(item));
    var won = winnersBlock(item);
    if (won) { stage.appendChild(won); }
  }

  // --- presenter and MC ------------------------------------------------------------------------
  function renderPresenter() {
    var item = state.item;
    if (state.status === "draft") { stage.appendChild(el("p", "live-big", T.not_started)); return; }
    if (state.status === "finished" || state.phase === "podium") {
      var pod = el("ol", "live-podium");
      (state.podium || []).forEach(function (id) {
        var t = state.teams.filter(function (x) { return x.id === id; })[0];
        var li = el("li", "live-top" + t.place, t.place + ". " + t.name + " · " + num(t.score));
        pod.appendChild(li);
      });
      stage.appendChild(el("h2", "live-big", T.podium));
      stage.appendChild(pod);
      stage.appendChild(scoreboard());
      return;
    }
    if (state.phase === "lobby") { stage.appendChild(lobby()); return; }
    if (state.phase === "intro") { stage.appendChild(intro()); return; }
    if (state.phase === "scoreboard") { stage.appendChild(scoreboard()); return; }
    if (state.phase === "judging") {
      stage.appendChild(intro());
      stage.appendChild(el("p", "live-big", T.judging + ": " + (state.stage_team_id ? teamName(state.stage_team_id) : "")));
      return;
    }
    if (!item) { stage.appendChild(el("p", "live-big", T.waiting)); return; }
    var row = el("div", "live-row");
    row.appendChild(questionBlock(screen === "mc" && mcKey.item === item.id ? mcKey.key : null));
    var side = el("div", "live-side");
    side.appendChild(countdown());
    if (state.part.kind === "buzzer") { side.appendChild(buzzBlock()); }
    else if (state.part.kind !== "audience") { side.appendChild(teamsAnswered()); }
    if (item.audience_count !== undefined && state.part.kind === "audience") {
      side.appendChild(el("p", "live-rule", item.audience_count + " " + T.audience_answers));
    }
    var winners = winnersBlock(item);
    if (winners) { side.appendChild(winners); }
    row.appendChild(side);
    stage.appendChild(row);
    if (screen === "mc" && item && mcKey.item !== item.id && !item.key) { fetchKey(item.id); }
  }

  function fetchKey(itemId) {
    mcKey.item = itemId;
    fetch(root.getAttribute("data-key"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (data.item_id === itemId) { mcKey.key = data.key; render(); } })
      .catch(function () { mcKey.item = null; });
  }

  function render() {
    if (!state) { return; }
    countdownEl = null;
    stage.innerHTML = "";
    if (feedback && screen !== "device" && screen !== "audience") { feedback.textContent = ""; }
    if (partline) { partline.textContent = partText(); }
    root.setAttribute("data-phase", state.phase);
    if (screen === "device" || screen === "audience") {
      if (feedback && !(state.item && state.phase === "open")) { feedback.textContent = ""; }
      renderDevice();
      if (screen === "audience") { showPrizeWon(); }
    } else {
      renderPresenter();
    }
  }

  // --- controls ----------------------------------------------------------------------------------
  function control(action, extra) {
    var body = extra || {};
    body.action = action;
    return post(root.getAttribute("data-control"), body).catch(showError);
  }
  if (screen === "presenter") {
    document.addEventListener("keydown", function (e) {
      if (e.target && /INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) { return; }
      if (e.key === " " || e.key === "ArrowRight" || e.key === "PageDown") { e.preventDefault(); control("next"); }
      else if (e.key === "r" || e.key === "R") { control("reveal"); }
      else if (e.key === "s" || e.key === "S") { control("scoreboard"); }
      else if (e.key === "f" || e.key === "F") {
        if (document.fullscreenElement) { document.exitFullscreen(); } else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
      }
    });
  }
  if (screen === "mc") {
    root.querySelectorAll("[data-action]").forEach(function (b) {
      b.addEventListener("click", function () {
        var action = b.getAttribute("data-action");
        var extra = {};
        if (action === "skip") { extra.reason = document.getElementById("skip-reason").value; }
        if (action === "finish" && !window.confirm(b.textContent + "?")) { return; }
        control(action, extra);
      });
    });
  }
  connect();
}());
