// Tuntas outbox on every page: registers the service worker, says when a
// page is a saved copy, shows the forms waiting on this phone and sends
// them, oldest first, as the person who made them, whenever there is a
// signal (and on "Kirim sekarang"). Each ends sent, refused (the form opens
// again with its messages and everything typed) or in conflict (said in
// words; what was typed stays to copy). Its words come from the page
// (#outbox-words), in the person's language.
"use strict";
(function () {
  var O = window.TuntasOutbox;
  var box = document.getElementById("outbox");
  if (!O || !box || !window.indexedDB || !window.crypto || !crypto.subtle) return;

  var root = document.documentElement;
  var words = {};
  try { words = JSON.parse(document.getElementById("outbox-words").textContent); } catch (e) { /* no words: keys show */ }
  var meta = document.querySelector('meta[name="tuntas-person"]');
  var me = meta ? meta.content : "";
  var countEl = document.getElementById("outbox-count");
  var statusEl = document.getElementById("outbox-status");
  var listEl = document.getElementById("outbox-items");
  var sendBtn = document.getElementById("outbox-send");
  var toggle = document.getElementById("outbox-toggle");
  var readyEl = document.getElementById("offline-ready");
  var dirty = false;

  function t(key, arg) {
    var s = words[key] || key;
    return arg === undefined ? s : s.replace(/%[sd]/, String(arg));
  }

  // when writes a moment as the pages do, on the person's region's clock:
  // "7 Des 2026 21.13".
  var months = String(words._months || "").split(" "), offset = Number(words._offset);
  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return "";
    if (months.length !== 12 || isNaN(offset)) return d.toLocaleString();
    var z = new Date(d.getTime() + offset * 1000);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return z.getUTCDate() + " " + months[z.getUTCMonth()] + " " + z.getUTCFullYear() + " " + two(z.getUTCHours()) + "." + two(z.getUTCMinutes());
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function status(msg) { statusEl.textContent = msg || ""; }

  // --- The service worker and the saved copy ---------------------------
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the console works without it */ });
    navigator.serviceWorker.addEventListener("message", function (e) {
      var m = e.data || {};
      if (m.type === "outbox") render();
      // Ready with no signal once the pages are saved and the phone holds
      // the person's key (to open them and to keep what they submit).
      if (m.type === "kept" && m.person === me && readyEl) {
        O.device().then(function (dev) {
          if (!dev || dev.person !== me) return;
          readyEl.textContent = t("ready", m.pages).replace("%s", m.at ? when(new Date(m.at).toISOString()) : "");
          readyEl.hidden = false;
          root.setAttribute("data-offline-ready", String(m.pages));
        });
      }
    });
  }

  function keepFresh(force) {
    if (!me || !navigator.onLine || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) reg.active.postMessage({ type: "keep", force: !!force, person: me });
    });
  }

  var savedAt = root.getAttribute("data-saved-at");
  if (savedAt) {
    var banner = document.getElementById("saved-copy");
    banner.textContent = t("saved", when(savedAt));
    banner.hidden = false;
  }

  // --- Whose phone it is now -------------------------------------------

  // deviceInfo is the signed-in person's ID, outbox key and CSRF token;
  // null when nobody is signed in (or the network fails).
  function deviceInfo() {
    return fetch("/device", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { return r.status === 200 ? r.json() : null; })
      .catch(function () { return null; });
  }

  // syncDevice makes the phone hold the key of the person signed in on
  // this page. Someone else's key and saved pages are forgotten first; on
  // a page with nobody signed in (the session may only have ended) the
  // phone keeps what it holds.
  function syncDevice() {
    return O.device().then(function (dev) {
      if (!me) return dev;
      if (dev && dev.person === me) return O.dropPages(me).then(function () { return dev; });
      return (dev ? O.forget() : O.dropPages(me)).then(deviceInfo).then(function (info) {
        if (!info || info.person !== me) return null;
        if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
        return O.setDevice(info.person, info.key);
      });
    });
  }

  // Signing out forgets the key and the saved pages before the session ends.
  var signout = document.querySelector('form[action="/signout"]');
  if (signout) {
    signout.addEventListener("submit", function (ev) {
      if (signout.getAttribute("data-forgotten")) return;
      ev.preventDefault();
      O.forget().catch(function () {}).then(function () {
        signout.setAttribute("data-forgotten", "1");
        signout.submit();
      });
    });
  }

  document.addEventListener("input", function (e) { if (e.target && e.target.form) dirty = true; });

  // formFor is the form on this page that posts to path.
  function formFor(path) {
    return document.querySelector('form[action="' + CSS.escape(path) + '"]');
  }

  // --- Showing the outbox ----------------------------------------------
  var actions = { survey: "act.survey", "village-confirmation": "act.village", "follow-ups": "act.visit" };
  function actionOf(d) {
    if (d.path === "/cases") return t("act.open");
    if (d.path.slice(-7) === "/survey" && O.value(d.fields, "draft")) return t("act.draft");
    var a = d.path.split("/").pop();
    return actions[a] ? t(actions[a]) : t("act.other");
  }

  // typed is what a form held, a line a field, named as the form on this
  // page names it (the field's name where the form is not on the page).
  function typed(d) {
    var form = formFor(d.path);
    function label(name) {
      var m = /^members\[(\d+)\]\.(.+)$/.exec(name);
      var key = m ? "members[0]." + m[2] : name;
      var l = form && form.querySelector('label[for="' + CSS.escape("f-" + key) + '"]');
      if (!l) return name;
      if (!m) return l.textContent.trim();
      // Row 0's legend ("Anggota 1") names the others as the add-row script does.
      var legend = form.querySelector("fieldset.member legend");
      var row = legend ? legend.textContent.trim().replace(/\d+/, String(Number(m[1]) + 1)) : "#" + (Number(m[1]) + 1);
      return row + " · " + l.textContent.trim();
    }
    function shown(name, v) {
      var m = /^members\[\d+\]\.(.+)$/.exec(name);
      var s = form && form.querySelector('select[id="' + CSS.escape("f-" + (m ? "members[0]." + m[1] : name)) + '"]');
      var o = s && Array.prototype.find.call(s.options, function (o) { return o.value === v; });
      return o ? o.textContent.trim() : v;
    }
    return d.fields.filter(function (f) {
      return f[0] !== "csrf" && f[0] !== "nonce" && f[0] !== "draft" && f[0] !== "photoData" && String(f[1]).trim() !== "";
    }).map(function (f) { return label(f[0]) + ": " + shown(f[0], f[1]); }).join("\n");
  }

  function caseLink(url) {
    return el("a", { href: (url || "").split("?")[0] }, t("viewCase"));
  }

  function copyBox(id, d) {
    var det = el("details", { class: "outbox-copy" });
    det.appendChild(el("summary", {}, t("copy")));
    var ta = el("textarea", { readonly: "", rows: "6", id: "outbox-typed-" + id, "aria-label": t("copy") });
    ta.value = typed(d);
    det.appendChild(ta);
    return det;
  }

  function discard(item) {
    var b = el("button", { type: "button", class: "secondary small", id: "outbox-discard-" + item.id }, t("discard"));
    b.addEventListener("click", function () {
      if (!b.getAttribute("data-sure")) {
        b.setAttribute("data-sure", "1");
        b.textContent = t("discardSure");
        return;
      }
      O.remove(item.id).then(render);
    });
    return b;
  }

  function row(dev, item) {
    return O.open(dev, item).then(function (d) {
      var li = el("li", { id: "outbox-item-" + item.id, "data-state": item.state, class: "state-" + item.state });
      var head = el("p", { class: "outbox-head" });
      head.appendChild(el("strong", {}, actionOf(d)));
      if (d.title) head.appendChild(document.createTextNode(" · " + d.title));
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("span", { class: "badge state" }, t("state." + item.state)));
      li.appendChild(head);
      var a = d.answer || {};
      var note = el("p", { class: "muted" });
      if (item.state === "pending") {
        note.textContent = t("queued", when(d.at));
        li.appendChild(note);
      } else if (item.state === "sent") {
        note.textContent = t("sentAt", when(item.updated));
        note.appendChild(document.createTextNode(" "));
        note.appendChild(caseLink(a.caseUrl || d.back));
        li.appendChild(note);
        var ok = el("button", { type: "button", class: "secondary small" }, t("dismiss"));
        ok.addEventListener("click", function () { O.remove(item.id).then(render); });
        li.appendChild(ok);
      } else if (item.state === "refused") {
        li.appendChild(el("p", { class: "field-error", id: "outbox-message-" + item.id }, t("refusedShort") + (a.message ? " " + a.message : "")));
        var p = el("p");
        p.appendChild(el("a", { href: d.back + "#outbox-" + item.id, id: "outbox-reopen-" + item.id }, t("reopen")));
        li.appendChild(p);
        li.appendChild(copyBox(item.id, d));
        li.appendChild(discard(item));
      } else if (item.state === "conflict") {
        li.appendChild(el("p", { class: "field-error", id: "outbox-message-" + item.id }, t("conflict") + (a.now ? " " + t("now", a.now) : "")));
        var pc = el("p");
        pc.appendChild(caseLink(a.caseUrl || d.back));
        li.appendChild(pc);
        li.appendChild(copyBox(item.id, d));
        li.appendChild(discard(item));
      }
      return { li: li, item: item, data: d };
    }, function () { return null; });
  }

  var rendering = null;
  function render() {
    if (!rendering) {
      rendering = doRender().catch(function () { return []; }).then(function (rows) {
        rendering = null;
        return rows;
      });
    }
    return rendering;
  }

  function doRender() {
    return O.device().then(function (dev) {
      var mine = dev && me && dev.person === me;
      // With nobody signed in, the phone counts what waits for the person
      // whose key it holds, and shows none of it.
      var who = mine ? me : (!me && dev ? dev.person : null);
      return (who ? O.items(who) : Promise.resolve([])).then(function (list) {
        // A sent item stays listed a day, to see its case; then it goes.
        var old = Date.now() - 24 * 3600 * 1000;
        list = list.filter(function (i) {
          if (i.state === "sent" && Date.parse(i.updated) < old) { O.remove(i.id); return false; }
          return true;
        });
        var pending = list.filter(function (i) { return i.state === "pending"; }).length;
        var attention = list.filter(function (i) { return i.state === "refused" || i.state === "conflict"; }).length;
        root.setAttribute("data-outbox", String(pending));
        root.setAttribute("data-outbox-attention", String(attention));
        root.setAttribute("data-outbox-items", String(list.length));
        box.hidden = list.length === 0;
        var parts = [];
        if (pending) parts.push(t("pending", pending));
        if (attention) parts.push(t("attention", attention));
        countEl.textContent = parts.join(" · ") || t("allSent");
        sendBtn.hidden = !(pending && mine);
        toggle.hidden = !mine;
        if (!mine) {
          listEl.textContent = "";
          if (list.length) status(t("signedOut"));
          return [];
        }
        return Promise.all(list.map(function (i) { return row(dev, i); })).then(function (rows) {
          listEl.textContent = "";
          rows.forEach(function (r) { if (r) listEl.appendChild(r.li); });
          return rows.filter(Boolean);
        });
      });
    });
  }

  toggle.addEventListener("click", function () { setOpen(listEl.hidden); });
  function setOpen(open) {
    listEl.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? t("hide") : t("show");
  }

  // --- A refused form opens again --------------------------------------

  // reopen puts what was typed back into the form it came from, with each
  // field's message beside it, and takes the person to the first one.
  function reopen(item, d) {
    var form = formFor(d.path);
    if (!form) return false;
    var rows = 0;
    d.fields.forEach(function (f) {
      var m = /^members\[(\d+)\]\./.exec(f[0]);
      if (m) rows = Math.max(rows, Number(m[1]) + 1);
    });
    var add = document.getElementById("add-member");
    for (var guard = 0; add && form.querySelectorAll("fieldset.member").length < rows && guard < 30; guard++) add.click();
    var given = {};
    d.fields.forEach(function (f) { (given[f[0]] = given[f[0]] || []).push(f[1]); });
    Array.prototype.forEach.call(form.elements, function (e) {
      if (!e.name || e.name === "csrf" || e.type === "submit" || e.type === "button") return;
      var vs = given[e.name] || [];
      if (e.type === "checkbox" || e.type === "radio") e.checked = vs.indexOf(e.value) >= 0;
      else if (e.name === "nonce") e.value = d.nonce;
      else if (vs.length) e.value = vs[0];
      else if (e.type !== "hidden") e.value = "";
    });
    form.querySelectorAll(".field-error, .alert.outbox-alert").forEach(function (e) { e.remove(); });
    form.querySelectorAll(".invalid").forEach(function (e) { e.classList.remove("invalid"); });
    var msgs = (d.answer && d.answer.fields) || {};
    var first = null, loose = [];
    Object.keys(msgs).forEach(function (name) {
      var input = form.querySelector('[id="' + CSS.escape("f-" + name) + '"]');
      if (!input) { loose.push(msgs[name]); return; }
      var wrap = input.closest(".field") || input.parentNode;
      wrap.classList.add("invalid");
      wrap.appendChild(el("span", { class: "field-error", id: "err-" + name }, msgs[name]));
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "err-" + name);
      if (!first || (first.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_PRECEDING)) first = input;
    });
    var alert = el("p", { class: "alert outbox-alert", role: "alert", id: "outbox-refused" },
      t("refused") + (d.answer && d.answer.message ? " " + d.answer.message : ""));
    loose.forEach(function (m) { alert.appendChild(document.createTextNode(" " + m)); });
    var h = form.querySelector("h3");
    if (h) h.after(alert); else form.prepend(alert);
    form.setAttribute("data-outbox-item", String(item.id));
    var target = first || alert;
    if (!first) alert.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
    root.setAttribute("data-outbox-reopened", String(item.id));
    return true;
  }

  // A reopened form sent again replaces its refused item: the new post
  // carries everything (and, with no signal, goes into the outbox itself).
  document.addEventListener("submit", function (ev) {
    var id = ev.target.getAttribute && ev.target.getAttribute("data-outbox-item");
    if (id) O.remove(Number(id)).catch(function () {});
  }, true);

  var reopened = {};
  function reopenHere(rows) {
    var want = /^#outbox-(\d+)$/.exec(location.hash);
    var open = false;
    rows.forEach(function (r) {
      if (open || reopened[r.item.id] || r.item.state !== "refused" || r.data.back !== location.pathname) return;
      if (want && Number(want[1]) !== r.item.id) return;
      if (!want && dirty) return;
      open = reopen(r.item, r.data);
      reopened[r.item.id] = open;
      if (!open && want) {
        setOpen(true);
        var li = document.getElementById("outbox-item-" + r.item.id);
        if (li) li.insertBefore(el("p", { class: "muted" }, t("noForm")), li.children[1] || null);
      }
    });
    if (location.hash === "#outbox") setOpen(true);
  }

  // --- Sending -----------------------------------------------------------
  var sending = false;

  function postItem(path, body) {
    return fetch(path, {
      method: "POST", body: body, credentials: "same-origin", cache: "no-store", redirect: "manual",
      headers: { "X-Tuntas-Outbox": "1", Accept: "application/json" }
    }).then(function (r) {
      return r.json().catch(function () { return { state: "retry", status: r.status }; });
    }, function () { return null; });
  }

  // withPhoto uploads the photo an item holds (photoData) before the form
  // that names it, and puts the photo's ID in the form in its place: the
  // form then carries no bytes. It answers null to go on with the form, or
  // the upload's own answer when it did not succeed (refused, no signal).
  function withPhoto(d, body) {
    var data = body.get("photoData");
    if (!data) return Promise.resolve(null);
    var up = new URLSearchParams();
    up.set("csrf", body.get("csrf"));
    up.set("photoData", data);
    return postItem(d.back + "/photos", up).then(function (a) {
      if (a && a.state === "sent" && a.photo) {
        body.delete("photoData");
        body.set("evidence.photo", a.photo);
        return null;
      }
      if (a && a.state === "refused") a.fields = a.fields || { photo: a.message };
      return a;
    });
  }

  // sendAll sends the person's waiting forms, oldest first, until one
  // cannot go now (no signal, no session, a busy server); refused and
  // conflicting ones keep what was typed and are shown.
  function sendAll() {
    if (!me || sending) return Promise.resolve();
    sending = true;
    var signin = null, offline = false, sent = [];
    var run = function () {
      return syncDevice().then(function (dev) {
        if (!dev || dev.person !== me) return;
        return O.items(me).then(function (list) {
          list = list.filter(function (i) { return i.state === "pending"; });
          if (!list.length) return;
          status(t("sending"));
          return deviceInfo().then(function (info) {
            if (!info) { offline = !navigator.onLine; signin = offline ? null : "/signin?next=" + encodeURIComponent(location.pathname); return; }
            var i = 0;
            function next() {
              if (i >= list.length) return;
              var item = list[i++];
              return O.open(dev, item).then(function (d) {
                var body = new URLSearchParams();
                d.fields.forEach(function (f) { if (f[0] !== "csrf") body.append(f[0], f[1]); });
                body.set("csrf", info.csrf);
                return withPhoto(d, body).then(function (refused) {
                  return refused || postItem(d.path, body);
                }).then(function (a) {
                  if (a && a.state === "csrf") {
                    return deviceInfo().then(function (again) {
                      if (!again) return a;
                      info = again;
                      body.set("csrf", info.csrf);
                      return postItem(d.path, body);
                    });
                  }
                  return a;
                }).then(function (a) {
                  if (!a) { offline = true; return; }
                  if (a.state === "sent" || a.state === "refused" || a.state === "conflict") {
                    d.answer = a;
                    if (a.state === "sent") sent.push(a.caseUrl || d.back);
                    return O.update(dev, item, d, a.state).then(function () {
                      return a.state === "sent" ? O.markUsed(me, d.path, d.nonce) : null;
                    }).then(next);
                  }
                  if (a.state === "signin") { signin = a.signinUrl || "/signin"; return; }
                  offline = true; // retry later
                });
              });
            }
            return next();
          });
        });
      });
    };
    var locked = navigator.locks ? navigator.locks.request("tuntas-outbox", run) : run();
    return locked.catch(function () {}).then(function () {
      sending = false;
      return render();
    }).then(function (rows) {
      status("");
      if (signin) {
        status(t("signin"));
        statusEl.appendChild(document.createTextNode(" "));
        statusEl.appendChild(el("a", { href: signin, id: "outbox-signin" }, t("signinLink")));
      } else if (offline) {
        status(t("offline"));
      }
      reopenHere(rows || []);
      // What was sent moved its cases: their saved pages are fetched again.
      if (sent.length) keepFresh(true);
      // Sent from a saved copy of its case's page: show the case as it now
      // is, unless the person has started typing on it.
      var here = sent.some(function (u) { return u.split("?")[0] === location.pathname; });
      if (here && savedAt && !dirty && !(rows || []).some(function (r) { return r.item.state === "pending"; })) location.reload();
    });
  }

  sendBtn.addEventListener("click", function () { sendAll(); });
  window.addEventListener("online", function () { sendAll(); keepFresh(true); });
  window.addEventListener("offline", function () { render().then(function () { status(t("offline")); }); });
  setInterval(function () {
    if (navigator.onLine && root.getAttribute("data-outbox") !== "0") sendAll();
  }, 30000);

  syncDevice().catch(function () {}).then(render).then(function (rows) {
    reopenHere(rows || []);
    if (!navigator.onLine) {
      if (root.getAttribute("data-outbox") !== "0") status(t("offline"));
      return;
    }
    keepFresh(false);
    return sendAll();
  }).then(function () {
    root.setAttribute("data-outbox-ready", "1");
  });
})();
