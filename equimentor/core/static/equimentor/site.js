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
