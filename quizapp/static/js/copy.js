// <button data-copy="textarea-id" data-copied="message">: copy the text to the clipboard
// (the unit manager pastes the reminder into the Zalo group). Falls back to selecting it.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy") + "-status");
    if (!field) { return; }
    button.addEventListener("click", function () {
      // A form field (the reminder) or any element (the reset code): copy its value or its text.
      var text = typeof field.value === "string" ? field.value : field.textContent.trim();
      if (typeof field.select === "function") {
        field.focus();
        field.select();
      } else {
        var range = document.createRange();
        range.selectNodeContents(field);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
      }
      var done = function () { if (status) { status.textContent = button.getAttribute("data-copied"); } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();
