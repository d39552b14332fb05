// The pages' behaviour, as a static file: the Content-Security-Policy allows no inline script
// and no inline event handler (onclick=, onchange=).
"use strict";

// <select data-autosubmit>: choosing an option submits its form (the language switcher).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});

// <button data-once>: a form is sent once; its buttons are disabled while the page changes.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var buttons = form.querySelectorAll("button[data-once]");
  if (!buttons.length) {
    return;
  }
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  buttons.forEach(function (button) {
    button.disabled = true;
  });
});
