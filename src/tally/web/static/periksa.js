// Keep a doubted field's crop and its input on screen together: when the input starts below the fold (a tall
// crop, a notice above it), scroll the pair to the top; the crop is sticky above the input while typing.
(function () {
  "use strict";
  function place() {
    const box = document.querySelector(".crop-and-input");
    const input = box && box.querySelector("input[name=angka]");
    if (!input) return;
    if (input.getBoundingClientRect().bottom > window.innerHeight) box.scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  }
  document.addEventListener("DOMContentLoaded", place);
  window.addEventListener("load", place);  // again once the crop image has its height
})();
