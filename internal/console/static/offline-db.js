// Tuntas outbox store, shared by the pages (outbox.js) and the service
// worker (sw.js): forms kept on the phone in IndexedDB, each sealed with
// AES-GCM under the key the server hands only to the session of the person
// who made it (GET /device). The device record holds that person's ID and
// key; it is forgotten when they sign out or someone else signs in, and
// their items then stay on the phone, sealed, until they sign in again.
"use strict";
(function (g) {
  var DB = "tuntas";

  function done(r) {
    return new Promise(function (ok, ko) {
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { ko(r.error); };
    });
  }

  var opening = null;
  function db() {
    if (!opening) {
      opening = new Promise(function (ok, ko) {
        var r = indexedDB.open(DB, 1);
        r.onupgradeneeded = function () {
          var d = r.result;
          d.createObjectStore("device", { keyPath: "id" });
          d.createObjectStore("outbox", { keyPath: "id", autoIncrement: true }).createIndex("person", "person");
          // Nonces already sent, by a hash of person, path and nonce: a page
          // saved before may offer one again, and it must not name a new form.
          d.createObjectStore("used", { keyPath: "h" });
        };
        r.onsuccess = function () { ok(r.result); };
        r.onerror = function () { opening = null; ko(r.error); };
      });
    }
    return opening;
  }

  function read(store, fn) {
    return db().then(function (d) { return done(fn(d.transaction(store, "readonly").objectStore(store))); });
  }

  // write resolves once the transaction has committed, so what it wrote
  // survives a closed tab or a restarted phone.
  function write(store, fn) {
    return db().then(function (d) {
      return new Promise(function (ok, ko) {
        var t = d.transaction(store, "readwrite");
        var r = fn(t.objectStore(store));
        t.oncomplete = function () { ok(r ? r.result : undefined); };
        t.onerror = t.onabort = function () { ko(t.error); };
      });
    });
  }

  var enc = new TextEncoder(), dec = new TextDecoder();

  function b64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function randomNonce() {
    return hex(crypto.getRandomValues(new Uint8Array(16)));
  }

  function sha256(s) {
    return crypto.subtle.digest("SHA-256", enc.encode(s)).then(hex);
  }

  // seal encrypts data for the device's person; the person's ID is bound in
  // as additional data, so an item cannot be passed off as someone else's.
  function seal(dev, data) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: enc.encode(dev.person) }, dev.key,
      enc.encode(JSON.stringify(data))).then(function (box) { return { iv: iv, box: box }; });
  }

  function open(dev, item) {
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: item.iv, additionalData: enc.encode(item.person) }, dev.key, item.box)
      .then(function (b) { return JSON.parse(dec.decode(b)); });
  }

  function value(fields, name) {
    for (var i = 0; i < fields.length; i++) if (fields[i][0] === name) return fields[i][1];
    return "";
  }

  // body is what a form says, without its CSRF token (which is replaced
  // when the item is sent), to tell a form sent twice from a new one.
  function body(fields) {
    return JSON.stringify(fields.filter(function (f) { return f[0] !== "csrf"; }));
  }

  var O = {
    // device is the person whose key this phone holds now, or undefined.
    device: function () { return read("device", function (s) { return s.get("me"); }); },

    // setDevice keeps the person's key, not extractable from the browser.
    setDevice: function (person, key) {
      return crypto.subtle.importKey("raw", b64url(key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]).then(function (k) {
        var dev = { id: "me", person: person, key: k };
        return write("device", function (s) { return s.put(dev); }).then(function () { return dev; });
      });
    },

    // forget drops the device's key and every saved page: what the outbox
    // holds stays, sealed, for its person to send after signing in again.
    forget: function () {
      return write("device", function (s) { return s.delete("me"); }).then(function () { return O.dropPages(""); });
    },

    // dropPages deletes the saved pages of everyone but keep.
    dropPages: function (keep) {
      if (!g.caches) return Promise.resolve();
      return caches.keys().then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf("pages-") === 0 && n !== "pages-" + keep; })
          .map(function (n) { return caches.delete(n); }));
      });
    },

    // items are a person's outbox in the order they were made ("" for
    // everyone's, which only counts them).
    items: function (person) {
      return read("outbox", function (s) { return person ? s.index("person").getAll(person) : s.getAll(); })
        .then(function (list) { return list.sort(function (a, b) { return a.id - b.id; }); });
    },

    open: open,

    // enqueue keeps a form in the device person's outbox. The form's nonce
    // names its workflow update, so the item sent twice acts once. The
    // same form tapped twice is kept once; a saved page's nonce that names
    // another form already (kept or sent) is replaced by a new one.
    enqueue: function (dev, entry) {
      var fields = entry.fields.slice();
      var nonce = value(fields, "nonce");
      return O.items(dev.person).then(function (list) {
        return Promise.all(list.map(function (it) { return open(dev, it).catch(function () { return null; }); }));
      }).then(function (datas) {
        var list = datas;
        for (var i = 0; i < list.length; i++) {
          var d = list[i];
          if (d && d.path === entry.path && d.nonce === nonce && d.state !== "refused") {
            if (body(d.fields) === body(fields)) return { same: true };
            nonce = "";
          }
        }
        return nonce ? O.used(dev.person, entry.path, nonce).then(function (u) { return { nonce: u ? "" : nonce }; }) : { nonce: "" };
      }).then(function (r) {
        if (r.same) return null;
        nonce = r.nonce || randomNonce();
        var found = false;
        fields = fields.map(function (f) {
          if (f[0] !== "nonce") return f;
          found = true;
          return ["nonce", nonce];
        });
        if (!found) fields.push(["nonce", nonce]);
        var data = { path: entry.path, back: entry.back, title: entry.title || "", fields: fields, nonce: nonce,
          at: new Date().toISOString() };
        return seal(dev, data).then(function (s) {
          var item = { person: dev.person, state: "pending", at: data.at, iv: s.iv, box: s.box };
          return write("outbox", function (st) { return st.add(item); });
        });
      });
    },

    // update seals data again with the item's new state.
    update: function (dev, item, data, state) {
      data.state = state;
      return seal(dev, data).then(function (s) {
        var next = { id: item.id, person: item.person, state: state, at: item.at, iv: s.iv, box: s.box,
          updated: new Date().toISOString() };
        return write("outbox", function (st) { return st.put(next); });
      });
    },

    remove: function (id) { return write("outbox", function (s) { return s.delete(id); }); },

    markUsed: function (person, path, nonce) {
      return sha256(person + "\n" + path + "\n" + nonce).then(function (h) {
        return write("used", function (s) { return s.put({ h: h, at: Date.now() }); });
      });
    },

    used: function (person, path, nonce) {
      return sha256(person + "\n" + path + "\n" + nonce).then(function (h) {
        return read("used", function (s) { return s.get(h); });
      }).then(Boolean);
    },

    value: value,
    randomNonce: randomNonce
  };
  g.TuntasOutbox = O;
})(self);
