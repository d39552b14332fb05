// The dashboard (templates/reports/dashboard.html): each chart is drawn from the JSON endpoint
// named by #dashboard's data-summary-url (GET /api/v1/reports/summary/), with the vendored
// Chart.js (static/vendor/chart.js-4.5.1). The tables beside the charts hold the same figures
// for screen readers and for copying; without script the page is those tables.
"use strict";

(function () {
  var root = document.getElementById("dashboard");
  if (!root || typeof window.Chart === "undefined") {
    return;
  }
  var PALETTE = ["#1f5fa8", "#d9822b", "#2e8540", "#b32d2e", "#6b4fa0", "#3c8dbc", "#8a6d3b",
    "#555555", "#c2185b", "#00796b"];

  function sumBy(rows, key, label) {
    var totals = {};
    var order = [];
    rows.forEach(function (row) {
      var name = label(row);
      if (!(name in totals)) {
        totals[name] = 0;
        order.push(name);
      }
      totals[name] += row[key];
    });
    return { labels: order, values: order.map(function (n) { return totals[n]; }) };
  }

  function bar(id, labels, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas || labels.length === 0) {
      return;
    }
    datasets.forEach(function (set, i) {
      set.backgroundColor = set.backgroundColor || PALETTE[i % PALETTE.length];
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: Object.assign({ responsive: true, animation: false,
        plugins: { legend: { display: datasets.length > 1 } } }, options || {})
    });
  }

  function draw(data) {
    var states = sumBy(data.by_state, "count", function (r) { return r.state_label; });
    bar("chart-states", states.labels, [{ label: "", data: states.values }]);

    var overdue = sumBy(data.overdue, "count", function (r) {
      return r.state_label + (r.owner_name ? " — " + r.owner_name : "");
    });
    bar("chart-overdue", overdue.labels, [{ label: "", data: overdue.values }]);

    var times = data.stage_times;
    bar("chart-times", times.map(function (r) { return r.state_label; }), [
      { label: root.dataset.median, data: times.map(function (r) { return r.median_days; }) },
      { label: root.dataset.p90, data: times.map(function (r) { return r.p90_days; }) }
    ]);

    var years = [];
    var forms = [];
    data.awards.forEach(function (r) {
      if (years.indexOf(r.year) < 0) { years.push(r.year); }
      if (forms.indexOf(r.award_form_name) < 0) { forms.push(r.award_form_name); }
    });
    bar("chart-awards", years.map(String), forms.map(function (form) {
      return { label: form, data: years.map(function (year) {
        var hit = data.awards.filter(function (r) {
          return r.year === year && r.award_form_name === form;
        })[0];
        return hit ? hit.count : 0;
      }) };
    }), { scales: { x: { stacked: true }, y: { stacked: true } } });

    var ballots = data.ballots.slice().reverse();
    bar("chart-ballots", ballots.map(function (r) { return "#" + r.id + " " + r.name; }), [
      { label: "%", data: ballots.map(function (r) { return r.turnout_percent; }) }
    ], { scales: { y: { min: 0, max: 100 } } });
  }

  fetch(root.dataset.summaryUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) { if (data) { draw(data); } })
    .catch(function () { /* the tables stay: they hold the same figures */ });
})();
