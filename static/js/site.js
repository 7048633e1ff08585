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
  // The tutor's socket dropped (a server restart, Redis lost, the network): say so unless the server already
  // did. The ws extension reconnects by itself on these codes; once back, ask for the answers this page still
  // shows unfinished, since they may have ended meanwhile (the server also clears the message).
  var dropped = false;
  document.addEventListener("htmx:wsClose", function (event) {
    var box = document.getElementById("tutor-error");
    if ([1006, 1011, 1012, 1013].indexOf(event.detail.event.code) < 0 || !box) return;
    dropped = true;
    if (!box.textContent.trim()) {
      box.className = "tutor-error";
      box.setAttribute("role", "alert");
      box.textContent = "Lost the connection to the tutor; reconnecting…";
    }
  });
  document.addEventListener("htmx:wsOpen", function (event) {
    if (!dropped) return;
    dropped = false;
    var unfinished = document.querySelectorAll("#tutor-log .answer-queued, #tutor-log .answer-generating");
    var ids = Array.prototype.map.call(unfinished, function (el) { return el.id.replace("answer-", ""); });
    event.detail.socketWrapper.send(JSON.stringify({ action: "resume", answers: ids }));
  });
})();
