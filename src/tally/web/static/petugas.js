/* Officer pages: the few behaviours a form cannot have without script (no inline code: CSP). */
"use strict";
/* "Cetak" on the code sheet opens the browser's print dialog. */
document.addEventListener("click", function (e) {
  if (e.target instanceof Element && e.target.closest("[data-cetak]")) {
    window.print();
  }
});
/* A form that issues codes is sent once: a second tap would reissue, and the first sheet would be void. */
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-sekali")) {
    return;
  }
  if (form.dataset.terkirim) {
    e.preventDefault();
    return;
  }
  form.dataset.terkirim = "1";
  var note = form.querySelector(".sent");
  if (note) {
    note.hidden = false;
  }
});
