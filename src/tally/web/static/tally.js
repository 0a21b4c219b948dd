/* Public pages: a search box over a long list of regions or TPS (no inline code: CSP). Progressive
   enhancement: the box is hidden in the HTML and shown here, so without script the full table remains. */
"use strict";
(function () {
  function words(text) {
    return text.toLocaleLowerCase("id").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").trim();
  }
  document.querySelectorAll("input[data-saring]").forEach(function (input) {
    var table = document.querySelector(input.dataset.saring);
    var box = input.closest(".saring");
    var said = box ? box.querySelector("[role=status]") : null;
    if (!table || !box) {
      return;
    }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    box.hidden = false;
    input.addEventListener("input", function () {
      var want = words(input.value);
      var shown = 0;
      rows.forEach(function (row) {
        var hit = !want || words(row.cells[0].textContent).indexOf(want) !== -1;
        row.hidden = !hit;
        shown += hit ? 1 : 0;
      });
      if (said) {
        said.textContent = want ? shown + " dari " + rows.length + " cocok" : "";
      }
    });
  });
})();
