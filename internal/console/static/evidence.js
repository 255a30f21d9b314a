// Tuntas field evidence on the survey and visit forms: the photo of the
// house, shrunk on the phone to a JPEG of at most 200 KB (drawn to a
// canvas and exported, which also leaves behind the camera's EXIF: the
// phone's make, the time, a GPS position), and the device's position. Both
// go into hidden fields of the form, so the form is posted, or kept in the
// outbox with no signal, like any other. Words come from the fieldset's
// data attributes, in the person's language.
"use strict";
(function () {
  var MAX_BYTES = 200 * 1024;
  var MAX_SIDE = 1280;

  function say(el, words) {
    var args = Array.prototype.slice.call(arguments, 2), i = 0;
    el.textContent = String(words || "").replace(/%s/g, function () { return String(args[i++]); });
  }

  // shrink draws the photo at most MAX_SIDE pixels a side and exports it
  // as JPEG, lowering the quality, then the size, until it fits.
  function shrink(file) {
    var load = window.createImageBitmap
      ? createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return createImageBitmap(file); })
      : Promise.reject(new Error("no createImageBitmap"));
    return load.then(function (img) {
      var scale = Math.min(1, MAX_SIDE / Math.max(img.width, img.height));
      var qualities = [0.82, 0.72, 0.62, 0.52, 0.42];
      function attempt(scale, qi) {
        var c = document.createElement("canvas");
        c.width = Math.max(1, Math.round(img.width * scale));
        c.height = Math.max(1, Math.round(img.height * scale));
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        return new Promise(function (ok) { c.toBlob(ok, "image/jpeg", qualities[qi]); }).then(function (blob) {
          if (!blob) throw new Error("no JPEG");
          if (blob.size <= MAX_BYTES) return blob;
          if (qi + 1 < qualities.length) return attempt(scale, qi + 1);
          if (scale * Math.max(img.width, img.height) < 160) throw new Error("cannot shrink");
          return attempt(scale * 0.7, 0);
        });
      }
      return attempt(scale, 0);
    });
  }

  function base64(blob) {
    return new Promise(function (ok, ko) {
      var r = new FileReader();
      r.onload = function () { ok(String(r.result).replace(/^data:[^,]*,/, "")); };
      r.onerror = function () { ko(r.error); };
      r.readAsDataURL(blob);
    });
  }

  document.querySelectorAll("fieldset[data-evidence]").forEach(function (fs) {
    var file = fs.querySelector("[data-evidence-file]");
    var data = fs.querySelector("[data-evidence-data]");
    var id = fs.querySelector("[data-evidence-id]");
    var photoStatus = fs.querySelector("[data-evidence-photo-status]");
    var locate = fs.querySelector("[data-evidence-locate]");
    var lat = fs.querySelector("[data-evidence-lat]");
    var lon = fs.querySelector("[data-evidence-lon]");
    var acc = fs.querySelector("[data-evidence-accuracy]");
    var locStatus = fs.querySelector("[data-evidence-location-status]");
    var form = fs.form || fs.closest("form");

    if (data.value) say(photoStatus, fs.dataset.ready, Math.ceil(data.value.length * 3 / 4 / 1024));
    file.addEventListener("change", function () {
      var f = file.files && file.files[0];
      if (!f) return;
      say(photoStatus, fs.dataset.shrinking);
      if (form) form.setAttribute("data-evidence-busy", "1");
      shrink(f).then(function (blob) {
        return base64(blob).then(function (b64) {
          data.value = b64;
          id.value = ""; // a new photo replaces one uploaded before
          say(photoStatus, fs.dataset.ready, Math.ceil(blob.size / 1024));
          fs.setAttribute("data-photo-bytes", String(blob.size));
        });
      }).catch(function () {
        data.value = "";
        say(photoStatus, fs.dataset.failed);
      }).then(function () {
        if (form) form.removeAttribute("data-evidence-busy");
      });
    });

    if (!navigator.geolocation) return;
    locate.hidden = false;
    locate.addEventListener("click", function () {
      say(locStatus, fs.dataset.locating);
      // GPS works with no signal; a position a minute old is good enough.
      navigator.geolocation.getCurrentPosition(function (pos) {
        var c = pos.coords;
        lat.value = c.latitude.toFixed(6);
        lon.value = c.longitude.toFixed(6);
        acc.value = String(Math.round(c.accuracy * 10) / 10);
        say(locStatus, fs.dataset.located, c.latitude.toFixed(5), c.longitude.toFixed(5), Math.round(c.accuracy));
        fs.setAttribute("data-located", "1");
      }, function () {
        say(locStatus, fs.dataset.nolocation);
      }, { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 });
    });
  });

  // A form is not sent while its photo is still being shrunk.
  document.addEventListener("submit", function (ev) {
    if (ev.target.getAttribute && ev.target.getAttribute("data-evidence-busy")) ev.preventDefault();
  }, true);
})();
