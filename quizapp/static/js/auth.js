// The register → login step (issue 21 item 7): the login page fills in the phone number she
// has just typed on the register form, from this tab's sessionStorage.  The server answers a
// registration the same way whether or not the number was registered before (no enumeration),
// so the number is never echoed by the server; without JavaScript she types it again.
(function () {
  "use strict";
  var KEY = "quizapp.registered-login";

  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  var register = document.querySelector("form[data-remember-login]");
  if (register) {
    register.addEventListener("submit", function () {
      var s = store();
      var phone = register.querySelector("[name='" + register.getAttribute("data-remember-login") + "']");
      var email = register.querySelector("[name='email']");
      var login = (phone && phone.value.trim()) || (email && email.value.trim()) || "";
      if (s && login) { s.setItem(KEY, login); }
    });
  }

  var loginForm = document.querySelector("form[data-fill-login]");
  if (loginForm) {
    var s = store();
    var saved = s && s.getItem(KEY);
    var field = loginForm.querySelector("[name='login']");
    if (saved && field && !field.value) {
      field.value = saved;
      var password = loginForm.querySelector("[name='password']");
      if (password) { password.focus(); }
    }
    if (s) { s.removeItem(KEY); }
  }
}());
