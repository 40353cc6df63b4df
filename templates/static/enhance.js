// Enhancements only: every page works without this script.
// An exclusive option ("None of these", "Don't know") unchecks the others
// of its question, and choosing another option unchecks it.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[type=checkbox]") || !input.checked) return;
  var group = document.querySelectorAll('input[name="' + input.name + '"]');
  var exclusive = input.hasAttribute("data-exclusive");
  group.forEach(function (other) {
    if (other === input) return;
    if (exclusive || other.hasAttribute("data-exclusive")) {
      if (other.type === "checkbox") other.checked = false;
    }
  });
});
// Move focus to the error summary so screen readers announce it.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
// A dashboard marked data-refresh="N" reloads itself every N seconds; without
// scripts, its Refresh link does the same.
document.addEventListener("DOMContentLoaded", function () {
  var live = document.querySelector("[data-refresh]");
  if (!live) return;
  var seconds = parseInt(live.getAttribute("data-refresh"), 10);
  if (seconds > 0) setTimeout(function () { location.reload(); }, seconds * 1000);
});
