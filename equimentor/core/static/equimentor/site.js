// Progressive enhancement only: every page works without this file.
// Move focus to the error summary after a failed submission, so screen readers announce it.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
});

// The printable agreement's "Print" button (no inline script: the Content-Security-Policy forbids it).
document.addEventListener("DOMContentLoaded", function () {
  var offer = document.querySelector("[data-print]");
  if (offer) {
    offer.hidden = false;
    offer.querySelector("button").addEventListener("click", function () { window.print(); });
  }
});

// Time-zone selects (data-zone-search) get a search box: typing part of a place ("tokyo",
// "new york") narrows the list to the zones that match and selects the first of them; a button
// offers this device's own zone. Without JavaScript the select works as it is (likely first).
document.addEventListener("DOMContentLoaded", function () {
  function norm(s) { return s.toLowerCase().replace(/[_\s\/-]+/g, " ").trim(); }
  Array.prototype.forEach.call(document.querySelectorAll("select[data-zone-search]"), function (select) {
    var zones = Array.prototype.map.call(select.querySelectorAll("option"), function (o) {
      var group = o.parentNode.tagName === "OPTGROUP" ? o.parentNode.label : "";
      return { value: o.value, label: o.textContent, group: group, key: norm(o.value + " " + o.textContent) };
    });
    var id = (select.id || "time-zone") + "-search";
    var box = document.createElement("div");
    box.className = "zone-search";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = "Search by city or region";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    input.setAttribute("aria-controls", select.id);
    input.setAttribute("aria-describedby", id + "-status");
    var status = document.createElement("p");
    status.id = id + "-status";
    status.className = "meta";
    status.setAttribute("role", "status");
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(status);
    select.parentNode.insertBefore(box, select);

    function show(query) {
      var q = norm(query), current = select.value, groups = {}, shown = [];
      while (select.firstChild) { select.removeChild(select.firstChild); }
      zones.forEach(function (z) {
        if (q && z.key.indexOf(q) === -1) { return; }
        var option = new Option(z.label, z.value);
        var parent = select;
        if (z.group) {
          if (!groups[z.group]) {
            groups[z.group] = document.createElement("optgroup");
            groups[z.group].label = z.group;
            select.appendChild(groups[z.group]);
          }
          parent = groups[z.group];
        }
        parent.appendChild(option);
        shown.push(z);
      });
      if (!shown.length) {
        // nothing matches: keep the list whole rather than leave an empty select
        show("");
        status.textContent = "No time zone matches “" + query + "”; all are listed.";
        return;
      }
      var kept = shown.some(function (z) { return z.value === current; });
      select.value = kept ? current : shown[0].value;
      status.textContent = q
        ? shown.length + (shown.length === 1 ? " time zone matches" : " time zones match") +
          "; selected: " + select.options[select.selectedIndex].textContent + "."
        : "";
    }
    input.addEventListener("input", function () { show(input.value); });

    var here = "";
    try { here = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { here = ""; }
    var known = zones.some(function (z) { return z.value === here; });
    if (here && known && here !== select.value) {
      var use = document.createElement("button");
      use.type = "button";
      use.className = "button secondary";
      use.textContent = "Use this device’s time zone (" + here.replace(/_/g, " ") + ")";
      use.addEventListener("click", function () {
        input.value = "";
        show("");
        select.value = here;
        status.textContent = "Selected: " + here.replace(/_/g, " ") + ".";
      });
      box.appendChild(use);
    }
  });
});
