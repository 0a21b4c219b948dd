/* The KPPS page, offline first (docs/kpps.md). Without this script (or without IndexedDB/WebCrypto) the page
 * is a plain form that posts each photo to /petugas/kpps/unggah. With it:
 *   - a photo chosen for a page is kept on the phone first (IndexedDB, antrian.js), its SHA-256 computed here,
 *     then sent by an idempotent PUT with upload progress; a photo the server refused keeps its message;
 *   - a photo that met no signal is sent again by itself: back-off with jitter, on `online`, when the page
 *     opens, and by the service worker's Background Sync when the page is closed;
 *   - the queue is on screen ("2 foto menunggu sinyal"), and each page's status from the server is refreshed
 *     (the page's own fragment, /petugas/kpps?fragmen=1) after an upload and while a photo is being read.
 */
"use strict";
(function () {
  var root = document.getElementById("halaman-semua");
  var A = window.Antrian;
  if (!root) {
    return;
  }
  /* Photos go as the camera made them: bench/ocr.py --long-side showed a smaller copy reads worse
   * (docs/kpps.md). Set a long side here (px) to downscale on the phone instead. */
  var LONG_SIDE = 0;
  var THUMB_PX = 160;
  var POLL_MS = 3000;
  var tps = root.getAttribute("data-tps");
  var tokenField = document.querySelector('input[name="csrf_token"]');
  var token = tokenField ? tokenField.value : "";
  var db = null;
  var inflight = null; /* {id, loaded, total} of the photo being sent by this page */
  var lastOffline = false;
  var timer = 0;
  var pollTimer = 0;
  var pumping = false;

  poll();
  if (!A || !window.idb || !window.indexedDB || !window.crypto || !window.crypto.subtle) {
    return; /* the plain form stays (WebCrypto needs https) */
  }
  root.classList.add("dengan-antrian");
  installable();

  var ready = A.open()
    .then(function (opened) {
      db = opened;
      return db.put(A.META, { tps: tps, token: token }, "sesi");
    })
    .then(function () {
      render();
      pump();
    });
  ready.catch(function () {
    root.classList.remove("dengan-antrian"); /* no IndexedDB here (private mode): the plain form */
  });

  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.closest("#halaman-semua")) {
      return;
    }
    var page = parseInt(input.closest("form").querySelector('input[name="halaman"]').value, 10);
    var files = Array.prototype.slice.call(input.files || []);
    ready.then(function () {
      input.value = ""; /* kept on the phone now (if IndexedDB failed, the plain form still holds it) */
      files.forEach(function (f) {
        keep(f, page);
      });
    });
  });

  document.addEventListener("click", function (e) {
    var button = e.target instanceof Element ? e.target.closest("[data-hapus]") : null;
    if (button && db) {
      db.delete(A.STORE, button.getAttribute("data-hapus")).then(render);
    }
  });

  /* Leaving (Keluar): the cached copy of this page goes; photos not yet sent stay, and the officer is told. */
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || form.getAttribute("action") !== "/petugas/keluar") {
      return;
    }
    var waiting = parseInt(summary().getAttribute("data-jumlah") || "0", 10);
    if (waiting > 0 && !window.confirm(waiting + " foto belum terkirim dan akan tetap di ponsel ini. Keluar?")) {
      e.preventDefault();
      return;
    }
    if (window.caches) {
      caches.delete("tally-kpps-halaman");
    }
  });

  window.addEventListener("online", function () {
    lastOffline = false;
    if (db) {
      A.wake(db, tps).then(function () {
        render();
        pump();
        refresh();
      });
    }
  });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      pump();
    }
  });
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data === "kirim") {
        pump();
      } else if (e.data === "berubah") {
        render();
        refresh();
      }
    });
  }

  /* ---- keep a photo ---- */

  async function keep(file, page) {
    var note = pageNote(page, "Menyiapkan foto…");
    try {
      var photo = await prepare(file);
      await A.add(db, {
        id: A.id(tps, page, photo.sha),
        tps: tps,
        page: page,
        sha: photo.sha,
        blob: photo.blob,
        size: photo.blob.size,
        thumb: photo.thumb,
        added: Date.now(),
        state: "antre",
        tries: 0,
        next: 0,
        offline: false,
        error: "",
      });
      note.remove();
    } catch (err) {
      note.textContent =
        err && err.name === "QuotaExceededError"
          ? "Memori ponsel penuh: hapus foto atau aplikasi lain, lalu ambil foto lagi."
          : "Foto tidak dapat dibaca di ponsel ini. Ambil foto lagi.";
      note.className = "error";
      return;
    }
    await render();
    syncLater();
    pump();
  }

  async function prepare(file) {
    var blob = file;
    var thumb = "";
    var bitmap = null;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (e) {
      bitmap = null; /* not an image this phone can draw: send it anyway, the server says what is wrong */
    }
    if (bitmap) {
      var long = Math.max(bitmap.width, bitmap.height);
      if (LONG_SIDE && long > LONG_SIDE) {
        blob = await encode(bitmap, LONG_SIDE / long, 0.9);
      }
      thumb = drawn(bitmap, THUMB_PX / long).toDataURL("image/jpeg", 0.7);
      bitmap.close();
    }
    var bytes = await blob.arrayBuffer();
    var digest = await crypto.subtle.digest("SHA-256", bytes);
    return { blob: new Blob([bytes], { type: "image/jpeg" }), sha: hex(digest), thumb: thumb };
  }

  function drawn(bitmap, scale) {
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * Math.min(1, scale)));
    canvas.height = Math.max(1, Math.round(bitmap.height * Math.min(1, scale)));
    var ctx = canvas.getContext("2d");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  function encode(bitmap, scale, quality) {
    return new Promise(function (resolve, reject) {
      drawn(bitmap, scale).toBlob(
        function (b) {
          return b ? resolve(b) : reject(new Error("toBlob"));
        },
        "image/jpeg",
        quality
      );
    });
  }

  function hex(buffer) {
    return Array.prototype.map
      .call(new Uint8Array(buffer), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  /* ---- send ---- */

  async function pump() {
    if (!db || pumping) {
      return;
    }
    pumping = true;
    clearTimeout(timer);
    try {
      if (navigator.onLine !== false) {
        var result = await A.drain(db, { tps: tps, token: token, send: sendXhr, changed: onChange });
        lastOffline = result === "offline";
      }
    } finally {
      pumping = false;
      inflight = null;
      await render();
      if (navigator.onLine !== false) {
        schedule(); /* offline: the `online` event wakes the queue */
      }
    }
  }

  async function schedule() {
    var items = await A.list(db, tps);
    var at = A.nextDue(items);
    if (at !== Infinity) {
      clearTimeout(timer);
      timer = setTimeout(pump, Math.max(0, at - Date.now()) + 50);
    }
  }

  function onChange(event) {
    if (event.kind === "sending") {
      inflight = { id: event.item.id, loaded: 0, total: event.item.size };
      render();
    } else {
      inflight = null;
      if (event.kind === "ok") {
        refresh();
      }
    }
  }

  function sendXhr(item, sessionToken) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      var stall = 0;
      function stalled() {
        clearTimeout(stall);
        stall = setTimeout(function () {
          xhr.abort(); /* no byte moved for 45 s: the link is gone even if the phone says otherwise */
        }, 45000);
      }
      xhr.open("PUT", A.url(item));
      xhr.setRequestHeader("Content-Type", "image/jpeg");
      xhr.setRequestHeader("X-CSRF-Token", sessionToken);
      xhr.upload.onprogress = function (e) {
        stalled();
        if (inflight && inflight.id === item.id) {
          inflight.loaded = e.loaded;
          inflight.total = e.total || item.size;
          progress(item.id);
        }
        if (lastOffline) {
          lastOffline = false; /* bytes are moving: the others are no longer "waiting for signal" */
          render();
        }
      };
      xhr.onload = function () {
        clearTimeout(stall);
        resolve(A.answerOf(xhr.status, xhr.responseText, xhr.getResponseHeader("Retry-After")));
      };
      xhr.onerror = xhr.onabort = xhr.ontimeout = function () {
        clearTimeout(stall);
        resolve({ status: 0 });
      };
      stalled();
      xhr.send(item.blob);
    });
  }

  /* Background Sync: the service worker sends what is left once the page is closed and the signal returns. */
  function syncLater() {
    if (!navigator.serviceWorker || !navigator.serviceWorker.ready) {
      return;
    }
    navigator.serviceWorker.ready
      .then(function (reg) {
        return reg.sync ? reg.sync.register("kirim-foto") : null;
      })
      .catch(function () {
        return null; /* no Background Sync here: `online` and the next page open do it */
      });
  }

  /* ---- show ---- */

  function summary() {
    return document.getElementById("antrian-ringkas");
  }

  function pageNote(page, text) {
    var list = document.querySelector('[data-antrian="' + page + '"]');
    var li = document.createElement("li");
    li.className = "menyiapkan";
    li.textContent = text;
    list.appendChild(li);
    return li;
  }

  function offlineNow() {
    return navigator.onLine === false || lastOffline;
  }

  function size(bytes) {
    if (bytes < 1024 * 1024) {
      return Math.max(1, Math.round(bytes / 1024)) + " kB";
    }
    return (bytes / (1024 * 1024)).toFixed(1).replace(".", ",") + " MB";
  }

  function line(item) {
    if (inflight && inflight.id === item.id) {
      var pct = inflight.total ? Math.floor((100 * inflight.loaded) / inflight.total) : 0;
      return "mengirim… " + pct + "%";
    }
    if (item.state === "ditolak") {
      return "ditolak: " + item.error;
    }
    if (item.state === "sesi") {
      return item.error;
    }
    if (offlineNow()) {
      return "menunggu sinyal";
    }
    return item.tries ? "belum terkirim, dicoba lagi sebentar" : "menunggu giliran kirim";
  }

  async function render() {
    if (!db) {
      return;
    }
    var items = await A.list(db, tps);
    var elsewhere = await A.others(db, tps);
    document.querySelectorAll("[data-antrian]").forEach(function (list) {
      var page = parseInt(list.getAttribute("data-antrian"), 10);
      var mine = items.filter(function (x) {
        return x.page === page;
      });
      Array.prototype.slice.call(list.querySelectorAll("li[data-id]")).forEach(function (li) {
        if (!mine.some(function (x) { return x.id === li.getAttribute("data-id"); })) {
          li.remove();
        }
      });
      mine.forEach(function (item) {
        list.appendChild(entry(list, item));
      });
    });
    var waiting = items.filter(function (x) {
      return x.state !== "ditolak";
    }).length;
    var refused = items.length - waiting;
    var box = summary();
    var text = "";
    var calm = "";
    var sending = items.find(function (x) {
      return inflight && inflight.id === x.id;
    });
    if (waiting) {
      var sesi = items.some(function (x) { return x.state === "sesi"; });
      if (sesi) {
        text = waiting + " foto menunggu Anda masuk lagi.";
        calm = "Aman di ponsel.";
      } else if (sending) {
        text = waiting + " foto belum terkirim · mengirim halaman " + sending.page + "…";
      } else if (offlineNow()) {
        text = waiting + " foto menunggu sinyal.";
        calm = "Aman di ponsel; terkirim sendiri saat ada sinyal.";
      } else {
        text = waiting + " foto belum terkirim · segera dikirim";
      }
    }
    if (refused) {
      text += (text ? " · " : "") + refused + " foto ditolak: lihat halamannya";
    }
    if (elsewhere) {
      text += (text ? " · " : "") + elsewhere + " foto TPS lain tersimpan di ponsel ini";
    }
    box.setAttribute("data-jumlah", String(waiting));
    box.setAttribute("data-ditolak", String(refused));
    box.textContent = text || "Semua foto sudah terkirim.";
    if (calm) {
      var note = document.createElement("span");
      note.className = "tenang";
      note.textContent = " " + calm;
      box.appendChild(note);
    }
    var tone = waiting ? (offlineNow() && !sending ? "sinyal" : "kirim") : refused ? "tolak" : "beres";
    box.className = "antrian-ringkas " + tone;
    box.hidden = !text && !root.querySelector(".server li.photo");
  }

  function entry(list, item) {
    var li = list.querySelector('li[data-id="' + item.id + '"]');
    if (!li) {
      li = document.createElement("li");
      li.setAttribute("data-id", item.id);
      var img = document.createElement("img");
      img.alt = "";
      img.width = 48;
      img.height = 64;
      if (item.thumb) {
        img.src = item.thumb;
      }
      var body = document.createElement("div");
      var title = document.createElement("b");
      title.textContent = "Foto di ponsel · " + size(item.size);
      var state = document.createElement("span");
      state.className = "ket";
      var bar = document.createElement("progress");
      bar.max = 100;
      body.append(title, state, bar);
      li.append(img, body);
    }
    var sending = inflight && inflight.id === item.id;
    li.className = "antre state-" + (sending ? "kirim" : item.state);
    li.querySelector(".ket").textContent = line(item);
    var bar2 = li.querySelector("progress");
    bar2.hidden = !sending;
    bar2.value = sending && inflight.total ? Math.floor((100 * inflight.loaded) / inflight.total) : 0;
    var remove = li.querySelector("[data-hapus]");
    if (item.state === "ditolak" && !remove) {
      remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.setAttribute("data-hapus", item.id);
      remove.textContent = "Hapus foto ini";
      li.querySelector("div").append(remove);
    } else if (item.state !== "ditolak" && remove) {
      remove.remove();
    }
    return li;
  }

  function progress(id) {
    var li = document.querySelector('li[data-id="' + id + '"]');
    if (!li || !inflight) {
      return;
    }
    var pct = inflight.total ? Math.floor((100 * inflight.loaded) / inflight.total) : 0;
    li.querySelector("progress").value = pct;
    li.querySelector(".ket").textContent = "mengirim… " + pct + "%";
  }

  /* ---- the server's status of each page ---- */

  async function refresh() {
    clearTimeout(pollTimer);
    try {
      var r = await fetch("/petugas/kpps?fragmen=1", { credentials: "same-origin" });
      if (r.ok && !r.redirected) {
        var doc = new DOMParser().parseFromString(await r.text(), "text/html");
        doc.querySelectorAll("[data-server]").forEach(function (fresh) {
          var old = document.getElementById(fresh.id);
          if (old) {
            old.replaceWith(document.importNode(fresh, true));
          }
        });
      }
    } catch (e) {
      /* no signal: the next poll or upload tries again */
    }
    poll();
  }

  function poll() {
    clearTimeout(pollTimer);
    if (root.querySelector("[data-server] [data-dibaca]")) {
      pollTimer = setTimeout(refresh, POLL_MS); /* a photo is being read: ask again shortly */
    }
  }

  /* ---- installable ---- */

  function installable() {
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist(); /* ask the browser not to evict the queue when the phone runs short */
    }
    var head = document.head;
    if (!head.querySelector('link[rel="manifest"]')) {
      var link = document.createElement("link");
      link.rel = "manifest";
      link.href = "/petugas/kpps/manifest.webmanifest";
      head.appendChild(link);
      var theme = document.createElement("meta");
      theme.name = "theme-color";
      theme.content = "#14532d";
      head.appendChild(theme);
    }
    if (!navigator.serviceWorker) {
      return; /* no service worker (http, old browser): the page still queues while it is open */
    }
    var first = !navigator.serviceWorker.controller;
    navigator.serviceWorker
      .register("/petugas/kpps/sw.js", { scope: "/petugas/kpps" })
      .then(function () {
        /* This copy of the page came from the network, not through the worker: keep it for offline opens. */
        return first && window.caches ? keepPage() : null;
      })
      .catch(function () {
        return null;
      });
  }

  async function keepPage() {
    var response = await fetch("/petugas/kpps", { credentials: "same-origin" });
    if (response.ok && !response.redirected) {
      var cache = await caches.open("tally-kpps-halaman");
      await cache.put("/petugas/kpps", response);
    }
  }
})();
