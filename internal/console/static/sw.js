// Tuntas service worker: the console on a phone with no signal.
// - The shell (styles, scripts, icons, the "no saved copy" page) is kept
//   per build and served from the phone.
// - Pages are fetched from the network first and kept, per person, to be
//   shown from the phone when there is no network, marked as a saved copy;
//   for a field person (X-Tuntas-Field) every case page their work queue
//   links to, and the opening form, are kept fresh too: fetched again only
//   when their case's version, or the context they were rendered in,
//   moved (GET /device/cases), or their copy is a day old.
// - A form the field can fill offline (open a case, survey, village
//   confirmation, visit) that cannot reach the server, or reaches it after
//   the session has ended, goes into the person's outbox (offline-db.js)
//   instead of being lost; the pages send the outbox (outbox.js).
// self.TUNTAS (version, offlineDB, shell) is written in front of this file by the
// console (offline.go).
"use strict";
importScripts(self.TUNTAS.offlineDB);

var SHELL = "shell-" + self.TUNTAS.version;
var O = self.TuntasOutbox;

// Pages kept for the field, and forms that may wait in the outbox.
var PAGES = [/^\/$/, /^\/cases\/[^/]+$/];
var OUTBOX_FORMS = [/^\/cases$/, /^\/cases\/[^/]+\/(survey|village-confirmation|follow-ups)$/];
function matches(list, path) { return list.some(function (re) { return re.test(path); }); }

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(self.TUNTAS.shell); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("shell-") === 0 && n !== SHELL; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (e) {
  var req = e.request, url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  var path = url.pathname;
  // Signing in and out (the provider's callback among them) goes to the
  // network untouched, and nothing of it is kept on the phone.
  if (path === "/signin" || path.indexOf("/signin/") === 0 || path === "/signout" || path === "/signedout") return;
  if (req.method === "GET" && (path.indexOf("/static/") === 0 || path.indexOf("/icons/") === 0)) {
    e.respondWith(caches.match(req, { cacheName: SHELL }).then(function (hit) { return hit || fetch(req); }));
  } else if (req.method === "GET" && req.mode === "navigate" && matches(PAGES, path)) {
    e.respondWith(page(e, req, url));
  } else if (req.method === "POST" && req.mode === "navigate" && matches(OUTBOX_FORMS, path) && fromHere(req)) {
    e.respondWith(post(e, req, path));
  }
});

// fromHere is whether a form was posted from one of the console's own
// pages. Only such a form may go into the outbox: the outbox sends its
// items later as the person, with a fresh CSRF token, so a form another
// site posted while the phone had no signal would otherwise be sent as the
// person's own. The console's pages send a same-origin referrer
// (Referrer-Policy: same-origin); another site cannot forge one.
function fromHere(req) {
  try {
    return !!req.referrer && new URL(req.referrer).origin === self.location.origin;
  } catch (err) {
    return false;
  }
}

// page answers from the network, keeping a copy of the person's page; with
// no network, the copy kept for the person this phone holds the key of.
function page(e, req, url) {
  return fetch(req).then(function (resp) {
    var person = resp.headers.get("X-Tuntas-Person");
    // Only a person who works in the field (a caseworker, a village
    // officer) has pages kept on the device: a supervisor's or an admin's
    // pages on an office computer stay off it.
    var field = resp.headers.get("X-Tuntas-Field") === "1";
    if (resp.status === 200 && person && field && !url.search) {
      var copy = resp.clone();
      var html = url.pathname === "/" && field ? resp.clone().text() : null;
      e.waitUntil(keep(person, url.pathname, copy).then(function () {
        if (html) return html.then(function (h) { return refresh(person, h, false); });
      }));
    }
    return resp;
  }, function () {
    return saved(url.pathname).then(function (hit) {
      return hit || caches.match("/offline", { cacheName: SHELL }).then(function (off) { return off || Response.error(); });
    });
  });
}

// keep files a page under its person, stamped with when it was fetched,
// if the phone holds that person's key (before and after: a page fetched
// before they signed out is not kept after).
function keep(person, path, resp) {
  function theirs() { return O.device().then(function (dev) { return !!dev && dev.person === person; }); }
  return theirs().then(function (ok) {
    if (!ok) return;
    return resp.blob().then(function (body) {
      var h = new Headers(resp.headers);
      h.set("X-Tuntas-Saved", new Date().toISOString());
      // The body kept is the page as read, no longer gzipped.
      h.delete("Content-Encoding");
      h.delete("Content-Length");
      return caches.open("pages-" + person).then(function (c) {
        return c.put(path, new Response(body, { status: 200, headers: h }));
      });
    }).then(theirs).then(function (still) {
      if (!still) return caches.delete("pages-" + person);
    });
  }).catch(function () {});
}

// saved is the copy of a page kept for the device's person, marked on its
// <html> with when it was saved (the page says so), with the headers it
// came with (its Content-Security-Policy among them).
function saved(path) {
  return O.device().then(function (dev) {
    if (!dev) return null;
    return pagesOf(dev.person).then(function (c) { return c && c.match(path); });
  }).then(function (hit) {
    if (!hit) return null;
    var at = hit.headers.get("X-Tuntas-Saved") || "";
    return hit.text().then(function (html) {
      html = html.replace("<html ", '<html data-saved-at="' + at.replace(/[^0-9TZ:.-]/g, "") + '" ');
      return new Response(html, { status: 200, headers: hit.headers });
    });
  }).catch(function () { return null; });
}

// pagesOf is the cache of a person's pages, or null: opening a cache that
// is not there would make one, and a person signed out keeps none.
function pagesOf(person) {
  return caches.has("pages-" + person).then(function (has) { return has ? caches.open("pages-" + person) : null; });
}

var lastRefresh = {};
// A field person's queue is a few dozen households; past this many, the
// rest are kept as they are opened.
var MAX_KEPT = 150;
// A saved page older than this is fetched again whatever its case did
// (an overdue mark, ages: what the clock changes without a new version).
var MAX_AGE = 24 * 3600 * 1000;

// refresh keeps the case pages a field person's work queue links to (and
// the opening form) on the phone, three at a time, fetching only those
// whose saved copy is stale (see stale), and forgets case pages no longer
// linked that were saved more than a day ago. It stops at the first page
// that is not the person's (signed out, someone else signed in) or does
// not come.
function refresh(person, html, force) {
  return O.device().then(function (dev) {
    // Not before the phone holds the person's key (the page asks again then).
    if (dev && dev.person === person) return refreshAll(person, html, force);
  });
}

// throttled is whether the person's pages were refreshed in the last five
// minutes (a page that loads asks every time; the signal's return forces).
function throttled(person) {
  return !!lastRefresh[person] && Date.now() - lastRefresh[person] < 5 * 60 * 1000;
}

// versions is what the console says the person's saved pages should be
// (GET /device/cases: the context pages are rendered in now and each
// queued case's version), or null from a console that does not say it
// (every page is then fetched, as before); it fails when the person is no
// longer signed in, or someone else is.
function versions(person) {
  return fetch("/device/cases", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } }).then(function (r) {
    if (r.status === 401) throw new Error("signed out");
    if (r.status !== 200) return null;
    return r.json().then(function (v) {
      if (!v || v.person !== person) throw new Error("not theirs");
      return v;
    });
  });
}

// stale is whether the saved copy of path must be fetched again: it is
// missing or a day old, it was rendered in another context (another
// build, another role, region or language: X-Tuntas-Context), or its
// case's version moved (X-Tuntas-Version). A case page is never a 304 (its
// forms carry fresh nonces): this is what spares a queue of fifty
// households fifty pages at every return of the signal.
function stale(c, path, v, now) {
  if (!v || !c) return Promise.resolve(true);
  return c.match(path).then(function (hit) {
    if (!hit) return true;
    var h = hit.headers;
    if (!(now - Date.parse(h.get("X-Tuntas-Saved") || "") < MAX_AGE)) return true;
    if (h.get("X-Tuntas-Context") !== v.context) return true;
    var want = v.versions && v.versions[path];
    // A case outside the queue (a notification's) has no version listed:
    // its copy is kept a day.
    return want !== undefined && h.get("X-Tuntas-Version") !== String(want);
  });
}

function refreshAll(person, html, force) {
  var now = Date.now();
  if (!force && throttled(person)) return report(person);
  lastRefresh[person] = now;
  var paths = [], seen = {};
  var re = /href="(\/cases\/[A-Za-z0-9._~%-]+)"/g, m;
  while ((m = re.exec(html)) && paths.length < MAX_KEPT) {
    if (!seen[m[1]]) { seen[m[1]] = true; paths.push(m[1]); }
  }
  var complete = true;
  return versions(person).then(function (v) {
    return pagesOf(person).then(function (c) {
      return Promise.all(paths.map(function (p) { return stale(c, p, v, now); }));
    }).then(function (old) {
      var todo = paths.filter(function (p, i) { return old[i]; });
      // Three at a time: on a slow link the latency, not the bytes, is the cost.
      var i = 0;
      function next() {
        if (i >= todo.length || !complete) return Promise.resolve();
        var p = todo[i++];
        return fetch(p, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (resp) {
          if (resp.status !== 200 || resp.headers.get("X-Tuntas-Person") !== person) { complete = false; return; }
          return keep(person, p, resp).then(next);
        }, function () { complete = false; });
      }
      return Promise.all([next(), next(), next()]);
    });
  }).catch(function () { complete = false; }).then(function () {
    if (!complete) return;
    return pagesOf(person).then(function (c) {
      return c && c.keys().then(function (reqs) {
        return Promise.all(reqs.map(function (r) {
          var p = new URL(r.url).pathname;
          if (p === "/" || seen[p]) return null;
          return c.match(r).then(function (hit) {
            var at = Date.parse(hit && hit.headers.get("X-Tuntas-Saved") || "");
            if (!(now - at < MAX_AGE)) return c.delete(r);
          });
        }));
      });
    });
  }).then(function () { return report(person); });
}

// report tells the pages how many of the person's pages are on the phone.
function report(person) {
  return pagesOf(person).then(function (c) { return c ? c.keys() : []; }).then(function (reqs) {
    return self.clients.matchAll({ includeUncontrolled: true }).then(function (all) {
      all.forEach(function (cl) { cl.postMessage({ type: "kept", person: person, pages: reqs.length, at: lastRefresh[person] || 0 }); });
    });
  });
}

// A page asks for its person's pages to be kept fresh (when it loads with
// a signal, and when the signal comes back).
self.addEventListener("message", function (e) {
  var msg = e.data || {};
  if (msg.type !== "keep") return;
  // Refreshed a moment ago: the pages are as fresh as a queue would make them.
  if (!msg.force && msg.person && throttled(msg.person)) { e.waitUntil(report(msg.person)); return; }
  e.waitUntil(fetch("/", { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (resp) {
    var person = resp.headers.get("X-Tuntas-Person");
    if (resp.status !== 200 || !person || resp.headers.get("X-Tuntas-Field") !== "1") return;
    var html = resp.clone().text();
    return keep(person, "/", resp).then(function () { return html; }).then(function (h) { return refresh(person, h, !!msg.force); });
  }).catch(function () {}));
});

// post sends a form; if it cannot reach the server, or the session has
// ended, the form goes into the outbox of the person this phone holds the
// key of, and the person is taken back to the page (or to sign in).
function post(e, req, path) {
  var copy = req.clone(), sent = req.clone();
  return fetch(req).then(function (resp) { return resp; }, function () { return null; }).then(function (resp) {
    if (resp && resp.headers.get("X-Tuntas-Signin") !== "required") {
      e.waitUntil(spent(sent, path));
      return resp;
    }
    return copy.text().then(function (text) {
      var form = new URLSearchParams(text);
      if (form.has("addMember")) return resp || offline();
      return O.device().then(function (dev) {
        if (!dev) return resp || offline();
        var back = path === "/cases" ? "/cases/new" : path.replace(/^(\/cases\/[^/]+)\/.*$/, "$1");
        return titleOf(dev, path, back, form).then(function (title) {
          return O.enqueue(dev, { path: path, back: back, title: title, fields: Array.from(form.entries()) });
        }).then(function () {
          return self.clients.matchAll({ includeUncontrolled: true }).then(function (all) {
            all.forEach(function (cl) { cl.postMessage({ type: "outbox" }); });
          });
        }).then(function () {
          if (resp) return Response.redirect("/signin?next=" + encodeURIComponent(back), 303);
          return Response.redirect((path === "/cases" ? "/" : back) + "#outbox", 303);
        });
      });
    }).catch(function () {
      // The phone's store failed: the server's answer, or the page that
      // says there is no signal (Back still holds what was typed).
      return resp || offline();
    });
  });
}

// spent notes that a form posted with a signal reached the server: its
// nonce is used. The saved copy of its page (kept until its case changes)
// may still carry that nonce; a form kept from it in the outbox then gets
// a new one (offline-db.js, enqueue) instead of naming the form already
// taken, which the server would answer as done and drop.
function spent(req, path) {
  return Promise.all([O.device(), req.text()]).then(function (r) {
    var dev = r[0], form = new URLSearchParams(r[1]), nonce = form.get("nonce");
    if (dev && nonce && !form.has("addMember")) return O.markUsed(dev.person, path, nonce);
  }).catch(function () {});
}

function offline() {
  return caches.match("/offline", { cacheName: SHELL }).then(function (off) { return off || Response.error(); });
}

// titleOf names the household an item is about: the opening form's head
// of household, or the name on the saved case page.
function titleOf(dev, path, back, form) {
  if (path === "/cases") return Promise.resolve([form.get("headName"), form.get("kk")].filter(Boolean).join(" · "));
  return pagesOf(dev.person).then(function (c) { return c && c.match(back); }).then(function (hit) {
    return hit ? hit.text() : "";
  }).then(function (html) {
    var m = /<h1 id="head-name">([^<]*)<\/h1>/.exec(html);
    if (!m) return "";
    return m[1].replace(/&#3[49];|&quot;|&lt;|&gt;|&amp;/g, function (x) {
      return { "&#34;": '"', "&#39;": "'", "&quot;": '"', "&lt;": "<", "&gt;": ">", "&amp;": "&" }[x];
    });
  }).catch(function () { return ""; });
}
