// The whole-photo viewer (/petugas/foto/…): zoom with the buttons or + − 0, pan by dragging, swiping or the
// arrow keys. With a field named, it opens zoomed on that field's boxes (outlined in the SVG above the photo).
(function () {
  "use strict";
  const viewer = document.querySelector(".viewer");
  if (!viewer) return;
  const canvas = viewer.querySelector(".viewer-canvas");
  const W = Number(viewer.dataset.width), H = Number(viewer.dataset.height);
  let scale = 1;

  function fit() { return Math.min(viewer.clientWidth / W, 1); }
  function apply(next, cx, cy) {
    // Keep the point (cx, cy) of the viewer (default: its centre) where it is while zooming.
    const rect = viewer.getBoundingClientRect();
    const px = cx === undefined ? rect.width / 2 : cx, py = cy === undefined ? rect.height / 2 : cy;
    const x = (viewer.scrollLeft + px) / scale, y = (viewer.scrollTop + py) / scale;
    scale = Math.max(fit(), Math.min(next, 4));
    canvas.style.width = W * scale + "px";
    canvas.style.height = H * scale + "px";
    viewer.scrollLeft = x * scale - px;
    viewer.scrollTop = y * scale - py;
  }
  function focusBoxes() {
    const raw = viewer.dataset.focus;
    if (!raw) { apply(fit()); return; }
    const pts = raw.split(";").map((s) => s.split(",").map(Number)).flat();
    const xs = pts.filter((_, i) => i % 2 === 0), ys = pts.filter((_, i) => i % 2 === 1);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    scale = fit();
    apply(Math.min(viewer.clientWidth / ((x1 - x0) * 3), 4), 0, 0);
    viewer.scrollLeft = ((x0 + x1) / 2) * scale - viewer.clientWidth / 2;
    viewer.scrollTop = ((y0 + y1) / 2) * scale - viewer.clientHeight / 2;
  }
  document.querySelectorAll("[data-zoom]").forEach((b) => b.addEventListener("click", () => {
    const how = b.dataset.zoom;
    apply(how === "in" ? scale * 1.5 : how === "out" ? scale / 1.5 : fit());
  }));
  viewer.addEventListener("keydown", (e) => {
    const step = 60;
    if (e.key === "+" || e.key === "=") apply(scale * 1.5);
    else if (e.key === "-") apply(scale / 1.5);
    else if (e.key === "0") apply(fit());
    else if (e.key === "ArrowLeft") viewer.scrollLeft -= step;
    else if (e.key === "ArrowRight") viewer.scrollLeft += step;
    else if (e.key === "ArrowUp") viewer.scrollTop -= step;
    else if (e.key === "ArrowDown") viewer.scrollTop += step;
    else return;
    e.preventDefault();
  });
  let drag = null;  // pan with a mouse; fingers scroll the box natively
  viewer.addEventListener("pointerdown", (e) => {
    if (e.pointerType !== "mouse") return;
    drag = { x: e.clientX, y: e.clientY, l: viewer.scrollLeft, t: viewer.scrollTop };
  });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    viewer.scrollLeft = drag.l - (e.clientX - drag.x);
    viewer.scrollTop = drag.t - (e.clientY - drag.y);
  });
  window.addEventListener("pointerup", () => { drag = null; });
  const img = canvas.querySelector("img");
  if (img.complete) focusBoxes(); else img.addEventListener("load", focusBoxes);
})();
