/* The residents' report form: a pin on the map, "use my location", and the proof of work.
 *
 * The pin (cases/pinmap.js) goes into the hidden #id_lat / #id_lng inputs (no pin: the server
 * uses the photo's GPS). On submit, before anything is sent, the page fetches a signed challenge
 * (public:challenge) and looks for a counter whose SHA-256 starts with the required zero bits,
 * in a Web Worker (sha256.js) or, failing that, in small chunks between frames; then it sends
 * the form with challenge and counter. cases/upload.js then shows the upload's progress and
 * offers a retry on a weak signal. Each solution is spent by the server, so every new attempt
 * to send solves a new challenge.
 */
(function () {
  "use strict";

  // --- the page after sending: copy the tracking code ----------------------------------------
  function copyFallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok;
  }

  var copyButton = document.getElementById("copy-code");
  if (copyButton) {
    var copyStatus = document.getElementById("copy-status");
    copyButton.addEventListener("click", function () {
      var text = copyButton.getAttribute("data-copy");
      function said(ok) {
        copyStatus.textContent = copyButton.getAttribute(ok ? "data-copied" : "data-copy-failed");
      }
      // The clipboard API exists only on secure pages; WeChat on plain http needs the old way.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () {
            said(true);
          },
          function () {
            said(copyFallback(text));
          }
        );
      } else {
        said(copyFallback(text));
      }
    });
  }

  var form = document.getElementById("report-form");
  if (!form) {
    return;
  }

  // --- the map: the pin is cases/pinmap.js's, the same as on the office's intake form ---------
  var cfg = JSON.parse(document.getElementById("report-map-config").textContent);
  window.zxPinMap.create({
    form: form,
    mapEl: document.getElementById("report-map"),
    cfg: cfg,
    mapOptions: { zoomSnap: 0.25, tap: true },
    pinRadius: 11,
    areaOpacity: 0.25,
    // The areas' outlines: one public file (public:area_outlines) the browser may keep
    // a while, not ~100 KB in every page. Without it the map still takes a pin.
    areas: function (show) {
      fetch(cfg.areasUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (data) {
          show(data.areas && data.areas.features ? data.areas : { features: [] });
        })
        .catch(function () {
          // Only the backdrop is missing: the map still takes a pin, and the server checks it.
          show({ features: [] });
        });
    }
  });

  // --- previews of the chosen photos -----------------------------------------------------------
  var photoInput = form.querySelector("#id_photos");
  var previews = document.getElementById("photo-previews");
  var previewUrls = [];
  function showPreviews() {
    previewUrls.forEach(function (url) {
      URL.revokeObjectURL(url);
    });
    previewUrls = [];
    previews.textContent = "";
    var files = Array.prototype.slice.call(photoInput.files || []);
    files.forEach(function (file) {
      if (!/^image\//.test(file.type || "")) {
        return;
      }
      var url = URL.createObjectURL(file);
      previewUrls.push(url);
      var img = document.createElement("img");
      img.src = url;
      img.alt = file.name || "";
      img.decoding = "async";
      previews.appendChild(img);
    });
    previews.hidden = previewUrls.length === 0;
    previews.setAttribute("data-count", String(previewUrls.length));
  }
  if (photoInput && previews && window.URL && URL.createObjectURL) {
    photoInput.addEventListener("change", showPreviews);
  }

  // --- the proof of work ---------------------------------------------------------------------
  var pow = JSON.parse(document.getElementById("report-challenge-config").textContent);
  var powStatus = document.getElementById("pow-status");
  var challengeInput = form.querySelector("#id_challenge");
  var counterInput = form.querySelector("#id_counter");
  var workerUrl = form.getAttribute("data-sha256");
  var ready = false; // a solution is in the hidden inputs and not yet sent
  var busy = false;

  function sayPow(text, isError) {
    powStatus.textContent = text;
    powStatus.classList.toggle("text-danger", !!isError);
    powStatus.hidden = !text;
  }

  function progress(tried, bits) {
    // Expected work is 2^bits hashes; past it, keep the figure short of 100%.
    var percent = Math.min(99, Math.floor((tried / Math.pow(2, bits)) * 100));
    sayPow(pow.working.replace("{percent}", percent + "%"));
  }

  function solveInChunks(token, bits, done) {
    var start = 0;
    var step = 2000;
    (function next() {
      var found = window.zxSha256.solve(token, bits, start, step);
      if (found >= 0) {
        done(String(found));
        return;
      }
      start += step;
      progress(start, bits);
      window.setTimeout(next, 0);
    })();
  }

  function solve(token, bits, done) {
    var worker = null;
    try {
      worker = new Worker(workerUrl);
    } catch (err) {
      worker = null;
    }
    if (!worker) {
      solveInChunks(token, bits, done);
      return;
    }
    var settled = false;
    worker.onmessage = function (event) {
      if (event.data.counter !== undefined) {
        settled = true;
        worker.terminate();
        done(event.data.counter);
      } else if (event.data.tried !== undefined) {
        progress(event.data.tried, bits);
      }
    };
    worker.onerror = function (event) {
      event.preventDefault();
      worker.terminate();
      if (!settled) {
        settled = true;
        solveInChunks(token, bits, done);
      }
    };
    worker.postMessage({ token: token, bits: bits });
  }

  function send(submitter) {
    if (typeof form.requestSubmit === "function") {
      if (submitter && submitter.form === form) {
        form.requestSubmit(submitter);
      } else {
        form.requestSubmit();
      }
    } else {
      form.submit();
    }
  }

  form.addEventListener("submit", function (e) {
    if (ready) {
      // Solved just now: this one goes (cases/upload.js sends it); the next needs a new one.
      ready = false;
      return;
    }
    e.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    var submitter = e.submitter;
    sayPow(pow.working.replace("{percent}", "0%"));
    fetch(pow.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            var refused = new Error(body.error || pow.failed);
            refused.fromServer = true;
            throw refused;
          }
          return body;
        });
      })
      .then(function (body) {
        solve(body.challenge, body.bits, function (counter) {
          challengeInput.value = body.challenge;
          counterInput.value = counter;
          form.setAttribute("data-solved", "1");
          sayPow(pow.done);
          busy = false;
          ready = true;
          send(submitter);
        });
      })
      .catch(function (err) {
        busy = false;
        // The server's own words (too many attempts), else ours: a network error's are English.
        sayPow(err && err.fromServer ? err.message : pow.failed, true);
      });
  });
})();
