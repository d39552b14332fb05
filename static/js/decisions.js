// The batch page (templates/decisions/decision_new.html): the decider offered follows the ticked
// dossiers. Each box names its dossier's decider (data-decider); once boxes are ticked, only a
// decider all of them share can be chosen, and it is chosen when there is one. Without this
// script the page works the same: the server checks the decider of every ticked dossier.
"use strict";

document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("#batch-form input[type=checkbox][data-decider]")) {
    return;
  }
  var form = box.form;
  var select = form.querySelector("#batch-decider");
  if (!select) {
    return;
  }
  var wanted = {};
  var ticked = form.querySelectorAll("input[type=checkbox][data-decider]:checked");
  ticked.forEach(function (other) {
    wanted[other.dataset.decider] = true;
  });
  var codes = Object.keys(wanted);
  Array.prototype.forEach.call(select.options, function (option) {
    option.disabled = option.value !== "" && codes.length > 0 && !wanted[option.value];
  });
  if (codes.length === 1) {
    select.value = codes[0];
  }
});
