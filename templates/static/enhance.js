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
// A follow-up that depends on an answer on its own page is shown only while
// that answer holds (the GOV.UK conditional reveal). Without scripts it is
// always shown, with its condition in words. The answers that reveal it
// control it (aria-controls), and say whether it is open (aria-expanded),
// which screen readers announce as the answer is chosen.
function updateConditionals() {
  document.querySelectorAll(".conditional[data-controller]").forEach(function (box) {
    var name = box.getAttribute("data-controller");
    var values = box.getAttribute("data-values").split(" ");
    var open = false;
    document.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      var chosen = input.tagName === "SELECT" ? input.value : (input.checked ? input.value : null);
      if (chosen !== null && values.indexOf(chosen) >= 0) open = true;
    });
    box.classList.toggle("conditional--hidden", !open);
  });
  document.querySelectorAll("[data-aria-controls]").forEach(function (input) {
    input.setAttribute("aria-controls", input.getAttribute("data-aria-controls"));
    var ids = input.getAttribute("data-aria-controls").split(" ");
    var open = ids.some(function (id) {
      var box = document.getElementById(id);
      return box && !box.classList.contains("conditional--hidden");
    });
    input.setAttribute("aria-expanded", open && (input.tagName === "SELECT" || input.checked) ? "true" : "false");
  });
}
document.addEventListener("DOMContentLoaded", updateConditionals);
document.addEventListener("change", function (event) {
  if (event.target.name) updateConditionals();
});
