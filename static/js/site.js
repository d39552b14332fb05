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

// Tables become cards on a phone (static/css/site.css, "Phones"): each cell is labelled with its
// column's heading, read from the table's one header row. Tables whose head is not a single row
// of as many headings as the body's rows have cells stay tables, scrolling inside their box; so
// does every table when this script does not run. The roles keep the cells a table's for
// assistive technology once CSS lays them out as blocks.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("main table").forEach(function (table) {
    var head = table.tHead;
    if (!head || head.rows.length !== 1 || !table.tBodies.length) {
      return;
    }
    var labels = Array.prototype.map.call(head.rows[0].cells, function (cell) {
      return cell.colSpan === 1 ? cell.textContent.replace(/[\u25B2\u25BC]/g, "").trim() : null;
    });
    if (labels.indexOf(null) !== -1) {
      return;
    }
    var fits = Array.prototype.every.call(table.tBodies, function (body) {
      return Array.prototype.every.call(body.rows, function (row) {
        return row.cells.length === labels.length || (row.cells.length === 1 && row.cells[0].colSpan > 1);
      });
    });
    if (!fits) {
      return;
    }
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll("thead, tbody"), function (group) {
      group.setAttribute("role", "rowgroup");
    });
    Array.prototype.forEach.call(table.rows, function (row) {
      row.setAttribute("role", "row");
      Array.prototype.forEach.call(row.cells, function (cell, index) {
        if (row.parentNode === head) {
          cell.setAttribute("role", "columnheader");
          return;
        }
        cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
        if (cell.colSpan === 1 && labels[index]) {
          cell.setAttribute("data-label", labels[index]);
        }
      });
    });
    table.classList.add("cards");
  });
});

// <input type="checkbox" data-auto-refresh="30">: the page reloads every 30 seconds while the
// box is ticked (the ballot's turnout, for the one who closes it), or goes to the address in
// its data-refresh-to (a job's page asking for its file). Unticking it stops the reloads
// (WCAG 2.2.1: a refresh the reader can turn off, which a <meta refresh> is not).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("input[data-auto-refresh]");
  if (!box) {
    return;
  }
  var seconds = parseInt(box.getAttribute("data-auto-refresh"), 10) || 30;
  var key = "auto-refresh:" + window.location.pathname;
  try {
    box.checked = window.sessionStorage.getItem(key) !== "off";
    box.addEventListener("change", function () {
      window.sessionStorage.setItem(key, box.checked ? "on" : "off");
    });
  } catch (error) {
    // No session storage (a private window's policy): the box still works for this page.
  }
  // A form marked data-hold-refresh that the reader has started to fill in (the meeting's roll
  // call) holds the reloads: they would throw its ticks away.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-hold-refresh")) {
      form.setAttribute("data-dirty", "");
    }
  });
  window.setInterval(function () {
    if (box.checked && !document.querySelector("form[data-sent], form[data-dirty]")) {
      var to = box.getAttribute("data-refresh-to");
      if (to) {
        window.location.assign(to);
      } else {
        window.location.reload();
      }
    }
  }, seconds * 1000);
});

// The header's menu (<details class="site-menu">) is open on a wide screen, where its entries
// stand in one row and its summary is hidden (static/css/site.css), and closed on a phone until
// asked for. CSS alone shows the entries on a wide screen too; opening the element keeps them
// usable where ::details-content is not supported, and for tools that read the DOM.
(function () {
  var wide = window.matchMedia("(min-width: 72rem)");
  function fit() {
    var menu = document.querySelector("details.site-menu");
    if (menu) {
      menu.open = wide.matches;
    }
  }
  document.addEventListener("DOMContentLoaded", fit);
  if (wide.addEventListener) {
    wide.addEventListener("change", fit);
  }
})();
