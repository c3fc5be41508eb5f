// The API reference (templates/api/reference.html): Swagger UI draws a parameter that takes one of
// a list of values as a <select> with no name for screen readers (WCAG 4.1.2). Name each after its
// parameter ("status, in query") as Swagger UI draws it, when an operation is opened.
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root) return;
  function nameControls() {
    root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach(function (select) {
      var row = select.closest("tr[data-param-name]");
      var where = row.getAttribute("data-param-in");
      select.setAttribute("aria-label", row.getAttribute("data-param-name") + (where ? ", in " + where : ""));
    });
  }
  new MutationObserver(nameControls).observe(root, { childList: true, subtree: true });
})();
