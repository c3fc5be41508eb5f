// Progressive enhancement only: every page works without this file.
// Move focus to the error summary after a failed submission, so screen readers announce it.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
});
