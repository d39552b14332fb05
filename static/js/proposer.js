// The proposer's dossier form (templates/proposer/dossier_form.html), as a static file (the
// Content-Security-Policy allows no inline script): nominee blocks added and taken off in the
// page, an individual's fields shown for individuals only, and the required documents of the
// award form chosen. Without this script the same buttons post the form back and the server
// adds or drops the block (web/proposer.py `resize`), so the page works either way.
"use strict";

(function () {
  var form = document.getElementById("dossier-form");
  if (!form) {
    return;
  }
  var list = form.querySelector("[data-nominees]");
  var template = document.getElementById("nominee-template");

  function blocks() {
    return list.querySelectorAll("[data-nominee]");
  }

  // Each block's number and its "Remove" button's index follow the order on the page.
  function renumber() {
    var all = blocks();
    all.forEach(function (block, i) {
      block.querySelector("[data-nominee-number]").textContent = String(i + 1);
      var drop = block.querySelector("[data-nominee-drop]");
      drop.value = String(i);
      drop.hidden = all.length < 2;
    });
    var count = form.querySelector("[data-nominee-count]");
    if (count) {
      count.textContent = String(all.length);
    }
  }

  function showIndividual(block) {
    var kind = block.querySelector("[data-nominee-kind]");
    var fields = block.querySelector("[data-individual]");
    if (kind && fields) {
      fields.hidden = kind.value !== "individual";
    }
  }

  function showChecklist(code) {
    form.querySelectorAll("[data-form]").forEach(function (item) {
      item.hidden = item.getAttribute("data-form") !== code;
    });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button") : null;
    if (!button || !form.contains(button)) {
      return;
    }
    if (button.hasAttribute("data-nominee-add") && template) {
      event.preventDefault();
      var copy = template.content.querySelector("[data-nominee]").cloneNode(true);
      list.appendChild(copy);
      showIndividual(copy);
      renumber();
      copy.querySelector("[name=nominee_name]").focus();
    } else if (button.hasAttribute("data-nominee-drop") && blocks().length > 1) {
      event.preventDefault();
      button.closest("[data-nominee]").remove();
      renumber();
    }
  });

  form.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches("[data-nominee-kind]")) {
      showIndividual(field.closest("[data-nominee]"));
    } else if (field.matches("[data-award-form]")) {
      showChecklist(field.value);
    }
  });

  blocks().forEach(showIndividual);
  renumber();
  var chosen = form.querySelector("[data-award-form]");
  if (chosen) {
    showChecklist(chosen.value);
  }
})();
