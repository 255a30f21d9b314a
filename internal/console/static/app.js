// Tuntas console: progressive enhancement only; every page works without it.
"use strict";
(function () {
  // A refused form: take the person to its first problem, which may lie
  // far down a long form, and let a screen reader announce it.
  var bad = document.querySelector('[aria-invalid="true"], .field-error');
  if (bad) {
    if (!/^(INPUT|SELECT|TEXTAREA)$/.test(bad.tagName)) bad.setAttribute("tabindex", "-1");
    bad.focus({ preventScroll: true });
    bad.scrollIntoView({ block: "center" });
  }

  // Survey: add a member row in the page instead of posting the form.
  var add = document.getElementById("add-member");
  var rows = document.getElementById("members");
  if (add && rows) {
    add.addEventListener("click", function (ev) {
      var all = rows.querySelectorAll("fieldset.member");
      if (all.length >= 30) return;
      ev.preventDefault();
      var last = all[all.length - 1];
      var n = all.length;
      var row = last.cloneNode(true);
      row.setAttribute("data-row", String(n));
      var re = /members\[\d+\]/g;
      row.querySelectorAll("[name],[id],[for],[aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (a) {
          var v = el.getAttribute(a);
          if (v) el.setAttribute(a, v.replace(re, "members[" + n + "]"));
        });
        el.removeAttribute("aria-invalid");
        if (el.tagName === "INPUT" && el.type === "checkbox") el.checked = false;
        else if (el.tagName === "INPUT") el.value = "";
        else if (el.tagName === "SELECT") el.selectedIndex = 0;
      });
      row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      row.querySelectorAll(".invalid").forEach(function (e) { e.classList.remove("invalid"); });
      var legend = row.querySelector("legend");
      if (legend) legend.textContent = legend.textContent.replace(/\d+/, String(n + 1));
      last.after(row);
      var first = row.querySelector("input");
      if (first) first.focus();
    });
  }

  // Import: move the progress bar while the import runs.
  var imp = document.getElementById("import");
  if (imp && window.fetch) {
    var url = imp.getAttribute("data-status-url");
    var bar = document.getElementById("import-bar");
    var set = function (id, v) { var e = document.getElementById(id); if (e) e.textContent = v.toLocaleString("id-ID"); };
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) return;
          bar.max = Math.max(s.valid, 1);
          bar.value = s.done;
          set("import-opened", s.opened); set("import-alreadyOpen", s.alreadyOpen);
          set("import-failed", s.failed); set("import-rejected", s.rejected);
          if (s.status !== "done") setTimeout(poll, 1000);
          else { var st = document.getElementById("import-state"); if (st) st.textContent = "✓"; }
        });
    };
    poll();
  }
})();
