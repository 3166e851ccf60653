// quizapp: small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";

  // Fold Vietnamese diacritics so "phuoc trung" finds "Phường Phước Trung".
  function fold(s) {
    return (s || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  // <input data-filter-select="field-id"> filters the options of a <select>.
  document.querySelectorAll("input[data-filter-select]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-filter-select"));
    if (!select) { return; }
    var all = Array.prototype.map.call(select.options, function (o) {
      return { value: o.value, text: o.text, key: fold(o.text) };
    });
    input.addEventListener("input", function () {
      var needle = fold(input.value);
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

  // On wide screens the navigation is always open.
  var menu = document.querySelector(".nav-menu");
  if (menu && window.matchMedia("(min-width: 720px)").matches) { menu.open = true; }
})();
