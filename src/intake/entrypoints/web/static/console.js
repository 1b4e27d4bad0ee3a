// intake console: small progressive enhancements, loaded from /static (no inline script).
// - a form with data-busy disables its buttons once submitted, so an action is not sent twice
//   by a double click, and the button says what is happening;
// - a form with data-confirm asks before it is sent.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  var busy = form.getAttribute("data-busy");
  if (busy) {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      button.textContent = busy;
    });
  }
});
