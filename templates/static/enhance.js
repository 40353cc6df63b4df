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
// A region marked data-refresh="N" fetches its fresh content from its
// data-refresh-url every N seconds and puts it in place, keeping which
// disclosures are open and where the keyboard focus is; the request says it
// is the page's own (X-Canvass-Background), so it does not keep the session
// alive. Without scripts, the page's Refresh link does the same by hand.
document.addEventListener("DOMContentLoaded", function () {
  var live = document.querySelector("[data-refresh]");
  if (!live || !window.fetch) return;
  var seconds = parseInt(live.getAttribute("data-refresh"), 10);
  var url = live.getAttribute("data-refresh-url");
  var status = document.getElementById("refresh-status");
  if (!(seconds > 0) || !url) return;
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "X-Canvass-Background": "refresh" } })
      .then(function (res) {
        if (!res.ok) throw new Error("status " + res.status);
        return res.text();
      })
      .then(function (html) {
        var open = {};
        live.querySelectorAll("details[id]").forEach(function (d) { open[d.id] = d.open; });
        var focused = live.contains(document.activeElement) ? document.activeElement.id : "";
        live.innerHTML = html;
        live.querySelectorAll("details[id]").forEach(function (d) { if (d.id in open) d.open = open[d.id]; });
        if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
        if (status) status.textContent = "Figures updated at " + new Date().toLocaleTimeString() + "; they update every minute.";
        setTimeout(refresh, seconds * 1000);
      })
      .catch(function () {
        if (status) status.textContent = "The figures stopped updating (the session may have ended): use Refresh.";
      });
  }
  setTimeout(refresh, seconds * 1000);
});
// A follow-up that depends on an answer on its own page is shown only while
// that answer holds (the GOV.UK conditional reveal). Without scripts it is
// always shown, with its condition in words. The answers that reveal it
// name it in aria-controls; a polite live region says when one appears or
// goes (aria-expanded, which GOV.UK once used, is not allowed on a radio
// button in ARIA 1.2).
function updateConditionals(announce) {
  var said = [];
  document.querySelectorAll(".conditional[data-controller]").forEach(function (box) {
    var name = box.getAttribute("data-controller");
    var values = box.getAttribute("data-values").split(" ");
    var open = false;
    document.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      var chosen = input.tagName === "SELECT" ? input.value : (input.checked ? input.value : null);
      if (chosen !== null && values.indexOf(chosen) >= 0) open = true;
    });
    var wasOpen = !box.classList.contains("conditional--hidden");
    box.classList.toggle("conditional--hidden", !open);
    if (announce && open !== wasOpen) {
      var question = box.querySelector(".question");
      said.push((open ? "Follow-up question shown: " : "Follow-up question hidden: ") + (question ? question.textContent.trim() : ""));
    }
  });
  document.querySelectorAll("[data-aria-controls]").forEach(function (input) {
    input.setAttribute("aria-controls", input.getAttribute("data-aria-controls"));
  });
  var status = document.getElementById("reveal-status");
  if (status && said.length) status.textContent = said.join(". ");
}
document.addEventListener("DOMContentLoaded", function () { updateConditionals(false); });
document.addEventListener("change", function (event) {
  if (event.target.name) updateConditionals(true);
});
