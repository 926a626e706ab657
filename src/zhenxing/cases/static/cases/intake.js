/* The intake form: a pin on a map of the areas the reporter may see, "use my location",
 * and the resident fields shown only for a resident's report.
 *
 * The pin (cases/pinmap.js) goes into the hidden #id_lat / #id_lng inputs; each move fires a
 * `zx-pin` event on <body>, on which htmx asks the server for nearby open
 * cases of the chosen category (the #duplicates box). Without this script the
 * form still works: area and address instead of a pin, and the server offers
 * the duplicates on submit.
 */
(function () {
  "use strict";

  var form = document.getElementById("case-form");
  if (!form) {
    return;
  }
  var cfg = JSON.parse(document.getElementById("intake-map-config").textContent);

  // The pin itself is cases/pinmap.js's; here, the areas come from the API, and each move of
  // the pin asks for the duplicates again.
  window.zxPinMap.create({
    form: form,
    mapEl: document.getElementById("intake-map"),
    cfg: cfg,
    mapOptions: { zoomSnap: 0.25 },
    pinRadius: 10,
    areaOpacity: 0.35,
    areas: function (show, fail) {
      fetch(cfg.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(show)
        .catch(fail);
    },
    onChange: function () {
      document.body.dispatchEvent(new CustomEvent("zx-pin"));
    }
  });

  // Duplicates on show and none chosen: ask here rather than have the server send the form
  // back, which would cost the reporter the photos already chosen.
  form.addEventListener("submit", function (e) {
    var confirmBox = form.querySelector("#id_confirm_new");
    var adding = e.submitter && e.submitter.hasAttribute("formaction");
    if (confirmBox && !confirmBox.checked && !adding) {
      e.preventDefault();
      var box = document.getElementById("duplicates-choice");
      if (box) {
        box.textContent = cfg.chooseDuplicate;
        box.hidden = false;
      }
      document.getElementById("duplicates").scrollIntoView({ block: "start" });
      confirmBox.focus();
    }
  });

  // The resident's name and number belong only to a resident's report.
  var source = form.querySelector("select#id_source");
  var resident = document.getElementById("resident-fields");
  if (source && resident) {
    var toggle = function () {
      resident.hidden = source.value !== resident.getAttribute("data-source");
    };
    source.addEventListener("change", toggle);
    toggle();
  }
})();
