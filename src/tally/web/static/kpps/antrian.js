/* The KPPS photo queue ("antrian"), one copy shared by the page (kpps.js) and its service worker (sw.js).
 *
 * A photo is stored in IndexedDB (store "foto", via the vendored idb 8.0.4) before anything is sent, keyed by
 * TPS, page and its SHA-256. `drain` sends what is due, oldest first, with the caller's `send` (the page: XHR,
 * for upload progress; the service worker: fetch) to the idempotent
 *   PUT /petugas/kpps/tps/{tps}/halaman/{page}/foto/{sha256}
 * and decides by the answer:
 *   200/202             received: removed from the phone;
 *   network error, 5xx, 408, 429
 *                       kept, tried again after an exponential back-off with jitter (2 s, 4 s … 5 min), and
 *                       the drain stops (the link is bad: no point trying the next photo now);
 *   401, or 403 for an expired form token
 *                       kept as "sesi": tried again once the page has a new session token;
 *   any other 4xx       kept as "ditolak" with the server's Bahasa message; never retried (the officer
 *                       retakes the photo, then removes this one).
 * No state is stored for "being sent": a reload mid-upload leaves the photo due, and it is sent again (the PUT is
 * idempotent: the server answers 200 for a photo it already has).
 * Only one sender at a time per phone (Web Locks, where the browser has them): the page and the service
 * worker never upload the same photo at once.
 */
"use strict";
(function (root) {
  var DB = "tally-kpps";
  var STORE = "foto";
  var META = "meta";
  var BASE_MS = 2000;
  var CAP_MS = 5 * 60 * 1000;
  var LOCK = "tally-kpps-kirim";
  var SESSION_CODES = ["csrf_token", "cross_origin", "no_session"];

  function open() {
    return root.idb.openDB(DB, 1, {
      upgrade: function (db) {
        db.createObjectStore(STORE, { keyPath: "id" }).createIndex("tps", "tps");
        db.createObjectStore(META);
      },
    });
  }

  function id(tps, page, sha) {
    return tps + "/" + page + "/" + sha;
  }

  function url(item) {
    return "/petugas/kpps/tps/" + item.tps + "/halaman/" + item.page + "/foto/" + item.sha;
  }

  /* Keep a new photo (the same photo of the same page again is the one already kept). */
  async function add(db, item) {
    var tx = db.transaction(STORE, "readwrite");
    var kept = await tx.store.get(item.id);
    if (!kept) {
      await tx.store.put(item);
    }
    await tx.done;
    return !kept;
  }

  async function list(db, tps) {
    var items = await db.getAllFromIndex(STORE, "tps", tps);
    return items.sort(function (a, b) {
      return a.added - b.added;
    });
  }

  async function others(db, tps) {
    var keys = await db.getAllKeys(STORE);
    return keys.filter(function (k) {
      return String(k).split("/")[0] !== tps;
    }).length;
  }

  function backoff(tries, retryAfterS) {
    var ms = Math.min(CAP_MS, BASE_MS * Math.pow(2, Math.max(0, tries - 1)));
    ms = ms / 2 + (Math.random() * ms) / 2; /* "equal jitter": phones that lost signal together spread out */
    if (retryAfterS > 0) {
      ms = Math.max(ms, retryAfterS * 1000);
    }
    return Date.now() + ms;
  }

  /* What an answer means for the photo: "ok", "retry", "session" or "refused". */
  function outcome(answer) {
    var s = answer.status;
    if (s === 200 || s === 202) {
      return "ok";
    }
    if (s === 0 || s >= 500 || s === 408 || s === 429) {
      return "retry";
    }
    if (s === 401 || (s === 403 && SESSION_CODES.indexOf(answer.code) >= 0)) {
      return "session";
    }
    return "refused";
  }

  function due(item, now, token) {
    if (item.state === "antre") {
      return item.next <= now;
    }
    return item.state === "sesi" && item.failedToken !== token;
  }

  /* Send what is due for `ctx.tps`. ctx: {tps, token, send(item) → Promise<answer>, changed(event)}.
   * Resolves "idle" (nothing due), "offline" (a photo met a bad link and waits), or "busy" (another sender). */
  function drain(db, ctx) {
    return exclusive(async function () {
      for (;;) {
        var now = Date.now();
        var items = await list(db, ctx.tps);
        var item = items.find(function (x) {
          return due(x, now, ctx.token);
        });
        if (!item) {
          return "idle";
        }
        changed(ctx, { kind: "sending", item: item });
        var answer;
        try {
          answer = await ctx.send(item, ctx.token);
        } catch (e) {
          answer = { status: 0 };
        }
        var what = outcome(answer);
        var tx = db.transaction(STORE, "readwrite");
        var kept = await tx.store.get(item.id);
        if (kept && what === "ok") {
          await tx.store.delete(item.id);
        } else if (kept && what === "retry") {
          kept.state = "antre";
          kept.tries = (kept.tries || 0) + 1;
          kept.next = backoff(kept.tries, answer.retryAfter || 0);
          kept.offline = answer.status === 0;
          kept.error = "";
          await tx.store.put(kept);
        } else if (kept && what === "session") {
          kept.state = "sesi";
          kept.failedToken = ctx.token;
          kept.error = "Sesi habis. Buka halaman ini lagi atau masuk dengan kode baru; foto tetap di ponsel.";
          await tx.store.put(kept);
        } else if (kept) {
          kept.state = "ditolak";
          kept.error = answer.message || "Foto ditolak (kode " + answer.status + "). Ambil foto ulang.";
          await tx.store.put(kept);
        }
        await tx.done;
        changed(ctx, { kind: what, item: item, answer: answer });
        if (what === "retry") {
          return "offline";
        }
      }
    });
  }

  function changed(ctx, event) {
    if (ctx.changed) {
      ctx.changed(event);
    }
  }

  function exclusive(fn) {
    var locks = root.navigator && root.navigator.locks;
    if (!locks) {
      return fn();
    }
    return locks.request(LOCK, { ifAvailable: true }, function (lock) {
      return lock ? fn() : "busy";
    });
  }

  /* Due again now: the signal is back, or the officer asked. */
  async function wake(db, tps) {
    var tx = db.transaction(STORE, "readwrite");
    var items = await tx.store.index("tps").getAll(tps);
    for (var i = 0; i < items.length; i++) {
      if (items[i].state === "antre" && items[i].next > Date.now()) {
        items[i].next = Date.now();
        await tx.store.put(items[i]);
      }
    }
    await tx.done;
  }

  /* Earliest time something of `tps` falls due (Infinity: nothing waits on a timer). */
  function nextDue(items) {
    return items.reduce(function (t, x) {
      return x.state === "antre" ? Math.min(t, x.next) : t;
    }, Infinity);
  }

  /* The server's JSON answer, read into {status, code, message, retryAfter}. */
  function answerOf(status, text, retryAfter) {
    var body = {};
    try {
      body = JSON.parse(text || "{}");
    } catch (e) {
      body = {};
    }
    return {
      status: status,
      code: body.code || "",
      message: body.message || "",
      retryAfter: parseInt(retryAfter || "0", 10) || 0,
    };
  }

  root.Antrian = {
    STORE: STORE,
    META: META,
    open: open,
    id: id,
    url: url,
    add: add,
    list: list,
    others: others,
    drain: drain,
    wake: wake,
    nextDue: nextDue,
    outcome: outcome,
    answerOf: answerOf,
  };
})(self);
