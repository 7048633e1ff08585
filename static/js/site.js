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
  // htmx:load fires on every element htmx adds: swapped partials and out-of-band fragments alike (the tutor's
  // answers and reviewers' notes arrive out of band over websockets; htmx:oobAfterSwap fires on the element
  // they replaced, which is no longer in the page).
  document.addEventListener("htmx:load", function (event) {
    if (event.target === document.body) return;
    renderMath(event.target);
    // A notice (a reviewer's verdict) stays long enough to be read, then gets out of the way.
    var toasts = event.target.classList && event.target.classList.contains("toast") ? [event.target] : [];
    toasts.forEach(function (toast) { setTimeout(function () { toast.remove(); }, 12000); });
  });
  // A question sent over the tutor's websocket clears its box.
  document.addEventListener("htmx:wsAfterSend", function (event) {
    var form = event.target.closest && event.target.closest("form.tutor-form");
    if (form) form.reset();
  });
})();
