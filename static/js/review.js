// Keyboard shortcuts of the review queue: j/k move between items, Enter opens one, c/w judge it.
// On an item's page c/w press its verdict buttons and j goes on to the next waiting item.
// Keys are ignored while typing in a field, and with a modifier held (so the browser's own shortcuts work).
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function items() { return Array.prototype.slice.call(document.querySelectorAll(".queue-item")); }
  function current() { return document.querySelector(".queue-item.selected"); }
  function select(item) {
    if (!item) return;
    items().forEach(function (el) { el.classList.remove("selected"); el.removeAttribute("aria-current"); });
    item.classList.add("selected");
    item.setAttribute("aria-current", "true");
    var link = item.querySelector(".queue-open");
    if (link) link.focus();
  }
  function move(step) {
    var list = items();
    if (!list.length) return;
    var at = list.indexOf(current());
    select(list[Math.min(list.length - 1, Math.max(0, at < 0 ? 0 : at + step))]);
  }
  function press(scope, key) {
    var button = scope && scope.querySelector('button[data-key="' + key + '"]');
    if (button && !button.disabled) button.click();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var onList = document.querySelector(".queue") !== null;
    if (event.key === "j" || event.key === "k") {
      if (onList) move(event.key === "j" ? 1 : -1);
      else {
        var next = document.querySelector(event.key === "j" ? "[data-key-next]" : "[data-key-back]");
        if (next) next.click();
      }
      event.preventDefault();
    } else if (event.key === "c" || event.key === "w") {
      press(onList ? current() : document.querySelector(".verdict-form"), event.key);
      event.preventDefault();
    }
  });
  // After a quick verdict htmx swaps the row: keep it selected so j moves on from there.
  document.addEventListener("htmx:afterSwap", function (event) {
    // outerHTML swaps replace the target element: find its successor by id.
    var old = event.detail.target;
    var row = old && old.id ? document.getElementById(old.id) : null;
    if (row && row.classList.contains("queue-item")) select(row);
  });
  document.addEventListener("focusin", function (event) {
    var item = event.target.closest && event.target.closest(".queue-item");
    if (item && !item.classList.contains("selected")) {
      items().forEach(function (el) { el.classList.remove("selected"); el.removeAttribute("aria-current"); });
      item.classList.add("selected");
      item.setAttribute("aria-current", "true");
    }
  });
})();
