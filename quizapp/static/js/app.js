// quizapp: small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";

  // Fold Vietnamese diacritics so "phuoc trung" finds "Phường Phước Trung".
  function fold(s) {
    return (s || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  // <input data-filter-select="field-id"> filters the options of a <select>.  A single
  // select is rebuilt from the matches; a multiple select only hides the others, so
  // units chosen before a search stay chosen (and are sent) while hidden.
  document.querySelectorAll("input[data-filter-select]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-filter-select"));
    if (!select) { return; }
    var all = Array.prototype.map.call(select.options, function (o) {
      return { option: o, value: o.value, text: o.text, key: fold(o.text) };
    });
    input.addEventListener("input", function () {
      var needle = fold(input.value);
      if (select.multiple) {
        all.forEach(function (o) { o.option.hidden = !!needle && o.key.indexOf(needle) === -1; });
        return;
      }
      var current = select.value;
      select.innerHTML = "";
      all.forEach(function (o) {
        if (!needle || o.value === "0" || o.key.indexOf(needle) !== -1) {
          var opt = document.createElement("option");
          opt.value = o.value; opt.text = o.text;
          if (o.value === current) { opt.selected = true; }
          select.appendChild(opt);
        }
      });
      if (needle && select.options.length === 2) { select.selectedIndex = 1; }
    });
  });

  // A form that came back with errors: move the focus to its error summary (screen
  // readers announce it; the page scrolls to it); its links focus the field concerned.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.querySelectorAll("a[href^='#']").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        var target = document.getElementById(a.getAttribute("href").slice(1));
        if (target) { ev.preventDefault(); target.focus(); target.scrollIntoView({ block: "center" }); }
      });
    });
  }

  // <input type="checkbox" data-check-all="name"> ticks every checkbox called "name".
  document.querySelectorAll("input[data-check-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[type=checkbox][name='" + all.getAttribute("data-check-all") + "']")
        .forEach(function (box) { box.checked = all.checked; });
    });
  });

  // <p data-selected-count="field-id" data-template="… {n} …"> counts the chosen options.
  document.querySelectorAll("[data-selected-count]").forEach(function (out) {
    var select = document.getElementById(out.getAttribute("data-selected-count"));
    if (!select) { return; }
    function update() {
      out.textContent = out.getAttribute("data-template").replace("{n}", select.selectedOptions.length);
    }
    select.addEventListener("change", update);
    update();
  });

  // A table wider than the screen scrolls sideways in its .table-wrap: let the
  // keyboard reach it too (a focusable region named after its caption or heading).
  function nameOf(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption) { return caption.textContent.trim(); }
    for (var el = wrap; el && el !== document.body; el = el.parentElement) {
      for (var sib = el.previousElementSibling; sib; sib = sib.previousElementSibling) {
        if (/^H[1-3]$/.test(sib.tagName)) { return sib.textContent.trim(); }
      }
    }
    return document.title;
  }
  function markScrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", nameOf(wrap));
      } else if (wrap.hasAttribute("tabindex")) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  markScrollableTables();
  window.addEventListener("resize", markScrollableTables);

  // Buttons that need a second thought (publish, delete, archive): the form's data-confirm asks in a
  // dialog styled as the page (not the browser's confirm()); data-confirm-yes / -no name the buttons.
  var confirmForms = document.querySelectorAll("form[data-confirm]");
  if (confirmForms.length && typeof HTMLDialogElement === "function") {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
    var question = document.createElement("p");
    question.id = "confirm-dialog-text";
    var buttons = document.createElement("div");
    buttons.className = "actions";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "button";
    var no = document.createElement("button");
    no.type = "button";
    no.className = "button secondary";
    buttons.appendChild(yes);
    buttons.appendChild(no);
    dialog.appendChild(question);
    dialog.appendChild(buttons);
    document.body.appendChild(dialog);
    var pending = null;
    no.addEventListener("click", function () { pending = null; dialog.close(); });
    dialog.addEventListener("cancel", function () { pending = null; });
    yes.addEventListener("click", function () {
      var go = pending;
      pending = null;
      dialog.close();
      if (!go) { return; }
      go.form.setAttribute("data-confirmed", "1");
      if (go.form.requestSubmit) { go.form.requestSubmit(go.submitter || undefined); } else { go.form.submit(); }
    });
    confirmForms.forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (form.getAttribute("data-confirmed") === "1") { form.removeAttribute("data-confirmed"); return; }
        ev.preventDefault();
        pending = { form: form, submitter: ev.submitter };
        question.textContent = form.getAttribute("data-confirm");
        yes.textContent = form.getAttribute("data-confirm-yes") || "OK";
        no.textContent = form.getAttribute("data-confirm-no") || "×";
        dialog.showModal();
        no.focus();
      });
    });
  }

  // On wide screens the navigation is always open.
  var menu = document.querySelector(".nav-menu");
  if (menu && window.matchMedia("(min-width: 720px)").matches) { menu.open = true; }
})();
