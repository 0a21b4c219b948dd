/* The KPPS page's service worker (scope /petugas/kpps; served by tally.web.kpps_upload).
 *   - The page opens without signal: its last copy (network first, 4 s, then the copy), its scripts and
 *     styles (kept at install, refreshed behind each use), and the thumbnails of photos already sent.
 *   - Background Sync "kirim-foto": photos still queued (antrian.js) are sent when the signal returns, even
 *     with the page closed. While a page is open and visible it sends them itself, with progress.
 */
"use strict";
importScripts("/static/vendor/idb-8.0.4.umd.js", "/static/kpps/antrian.js");

var VERSION = "kpps-1";
var SHELL = "tally-kpps-" + VERSION;
var PAGE = "tally-kpps-halaman"; /* this officer's page and thumbnails: removed on Keluar (kpps.js) */
var HOME = "/petugas/kpps";
var NETWORK_WAIT_MS = 4000;
var ASSETS = [
  "/static/tally.css",
  "/static/petugas.css",
  "/static/petugas.js",
  "/static/htmx-2.0.11.min.js",
  "/static/kpps/kpps.css",
  "/static/kpps/kpps.js",
  "/static/kpps/antrian.js",
  "/static/vendor/idb-8.0.4.umd.js",
  "/static/kpps/ikon.svg",
  "/static/kpps/ikon-192.png",
];
var OFFLINE_PAGE =
  '<!doctype html><html lang="id"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Tidak ada sinyal · Tally</title>' +
  '<link rel="stylesheet" href="/static/tally.css"></head><body><main><h1>Tidak ada sinyal</h1>' +
  "<p>Halaman KPPS belum pernah dibuka di ponsel ini. Buka lagi saat ada sinyal.</p></main></body></html>";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(SHELL)
      .then(function (cache) {
        return cache.addAll(ASSETS);
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (n) {
              return n.indexOf("tally-kpps-") === 0 && n !== SHELL && n !== PAGE;
            })
            .map(function (n) {
              return caches.delete(n);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return; /* uploads go straight to the network */
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && url.pathname === HOME) {
    event.respondWith(page(request));
  } else if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(asset(request, event));
  } else if (/^\/petugas\/kpps\/foto\/[0-9a-f]{64}\/kecil\.jpg$/.test(url.pathname)) {
    event.respondWith(thumbnail(request));
  }
});

/* The page from the network when it answers within a few seconds (and kept), else its last copy. */
function page(request) {
  var fromNetwork = fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGE).then(function (cache) {
        return cache.put(HOME, copy);
      });
    }
    return response;
  });
  var waited = new Promise(function (resolve) {
    setTimeout(resolve, NETWORK_WAIT_MS);
  });
  var cached = function () {
    return caches.match(HOME, { cacheName: PAGE });
  };
  return Promise.race([fromNetwork.catch(function () { return null; }), waited]).then(function (first) {
    if (first) {
      return first;
    }
    return cached().then(function (copy) {
      if (copy) {
        return copy;
      }
      return fromNetwork.catch(function () {
        return new Response(OFFLINE_PAGE, { headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    });
  });
}

/* Scripts and styles: the kept copy at once, refreshed from the network behind it. */
function asset(request, event) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (copy) {
      var fresh = fetch(request)
        .then(function (response) {
          if (response.ok) {
            cache.put(request, response.clone());
          }
          return response;
        })
        .catch(function () {
          return copy;
        });
      if (copy) {
        event.waitUntil(fresh);
        return copy;
      }
      return fresh;
    });
  });
}

/* A thumbnail's name is its photo's hash: once kept it never changes. */
function thumbnail(request) {
  return caches.open(PAGE).then(function (cache) {
    return cache.match(request).then(function (copy) {
      return (
        copy ||
        fetch(request).then(function (response) {
          if (response.ok) {
            cache.put(request, response.clone());
          }
          return response;
        })
      );
    });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "kirim-foto") {
    event.waitUntil(sendQueued());
  }
});

async function sendQueued() {
  var windows = await self.clients.matchAll({ type: "window" });
  var visible = windows.filter(function (c) {
    return c.visibilityState === "visible";
  });
  if (visible.length) {
    visible.forEach(function (c) {
      c.postMessage("kirim"); /* the open page sends, with progress on screen */
    });
    return;
  }
  var db = await self.Antrian.open();
  var session = await db.get(self.Antrian.META, "sesi");
  if (!session) {
    return;
  }
  var result = await self.Antrian.drain(db, { tps: session.tps, token: session.token, send: sendFetch });
  windows.forEach(function (c) {
    c.postMessage("berubah");
  });
  if (result === "offline") {
    throw new Error("masih tanpa sinyal"); /* the browser tries this sync again later */
  }
}

async function sendFetch(item, token) {
  var response = await fetch(self.Antrian.url(item), {
    method: "PUT",
    body: item.blob,
    credentials: "same-origin",
    headers: { "Content-Type": "image/jpeg", "X-CSRF-Token": token },
  });
  var text = await response.text();
  return self.Antrian.answerOf(response.status, text, response.headers.get("Retry-After"));
}
