// Share block: copy the contest link (tagged ?u=link) to the clipboard.  The link stays
// visible and selectable without JavaScript.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy-target"));
      if (!input) { return; }
      var value = input.getAttribute("data-copy-value") || input.value;
      var status = button.closest(".share-block").querySelector("[data-copy-status]");
      function done() { if (status) { status.textContent = button.getAttribute("data-copied") || ""; } }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(value).then(done, function () { input.select(); });
      } else {
        input.value = value;
        input.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* selected: the user copies */ }
      }
    });
  });
})();
