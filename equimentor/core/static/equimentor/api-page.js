// The browsable API (templates/rest_framework/api.html): Bootstrap's tooltips move a control's
// title out of the way, leaving the format menu's button (a caret only) without a name for screen
// readers. Name each such control by its tooltip. Runs after DRF's default.js set the tooltips up.
document.querySelectorAll(".js-tooltip").forEach(function (control) {
  var tip = control.getAttribute("data-original-title") || control.getAttribute("title");
  if (tip && !control.textContent.trim() && !control.getAttribute("aria-label")) {
    control.setAttribute("aria-label", tip);
  }
});
