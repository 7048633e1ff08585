// Render math with KaTeX wherever the page (or an htmx swap) puts a \(…\) or \[…\] formula.
(function () {
  "use strict";
  function renderMath(root) {
    if (typeof window.renderMathInElement !== "function") return;
    window.renderMathInElement(root, {
      // The server wraps every formula in \(…\) or \[…\]; a bare "$5" in prose stays text.
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      ignoredClasses: ["no-math"],
      throwOnError: false,
      trust: false,
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderMath(document.body); });
  // A demo's slider and its number box show the same value; only the number box is submitted.
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.matches("[data-mirror]")) el.nextElementSibling.value = el.value;
    else if (el.matches(".demo-input input[type=number]")) el.previousElementSibling.value = el.value;
  });
  document.addEventListener("htmx:afterSwap", function (event) { renderMath(event.target); });
  // A question sent over the tutor's websocket clears its box.
  document.addEventListener("htmx:wsAfterSend", function (event) {
    var form = event.target.closest && event.target.closest("form.tutor-form");
    if (form) form.reset();
  });
  // The tutor's answers arrive over the websocket as out-of-band swaps.
  document.addEventListener("htmx:oobAfterSwap", function (event) { renderMath(event.detail.target || event.target); });
})();
