/* The intake form: a pin on a map of the areas the reporter may see, "use my location",
 * and the resident fields shown only for a resident's report.
 *
 * The pin goes into the hidden #id_lat / #id_lng inputs; each move fires a
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
  var latInput = form.querySelector("#id_lat");
  var lngInput = form.querySelector("#id_lng");
  var status = document.getElementById("pin-status");
  var mapEl = document.getElementById("intake-map");
  var locateButton = document.getElementById("use-location");
  var clearButton = document.getElementById("clear-pin");
  var cfg = JSON.parse(document.getElementById("intake-map-config").textContent);
  var map = null;
  var marker = null;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function announce() {
    document.body.dispatchEvent(new CustomEvent("zx-pin"));
  }

  function setPin(lat, lng, centre, quiet) {
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    if (map) {
      if (marker) {
        marker.setLatLng([lat, lng]);
      } else {
        marker = L.circleMarker([lat, lng], {
          radius: 10,
          color: "#ffffff",
          weight: 3,
          fillColor: "#c8161d",
          fillOpacity: 1,
          interactive: false
        }).addTo(map);
      }
      if (centre) {
        map.setView([lat, lng], Math.max(map.getZoom(), 16), { animate: false });
      }
    }
    mapEl.setAttribute("data-pinned", "1");
    say(cfg.pinLabel + " " + lat.toFixed(5) + ", " + lng.toFixed(5));
    if (clearButton) {
      clearButton.hidden = false;
    }
    if (!quiet) {
      announce();
    }
  }

  function clearPin() {
    latInput.value = "";
    lngInput.value = "";
    if (marker) {
      marker.remove();
      marker = null;
    }
    mapEl.removeAttribute("data-pinned");
    say(cfg.noPinLabel);
    clearButton.hidden = true;
    announce();
  }

  function message(text) {
    var box = document.createElement("div");
    box.className = "zx-map-message";
    box.setAttribute("role", "status");
    box.textContent = text;
    mapEl.appendChild(box);
  }

  function initMap() {
    if (typeof L === "undefined") {
      message(cfg.loadError);
      return;
    }
    map = L.map(mapEl, { zoomSnap: 0.25 });
    // Somewhere to look before the areas arrive (Foshan, Nanhai).
    map.setView([23.03, 113.15], 12);
    map.on("click", function (e) {
      setPin(e.latlng.lat, e.latlng.lng, false);
    });
    fetch(cfg.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (collection) {
        var layer = L.geoJSON(collection, {
          style: { color: "#1d3557", weight: 1, fillColor: "#88CCEE", fillOpacity: 0.35 },
          // The click is the pin's, not the polygon's: let it through to the map.
          bubblingMouseEvents: true,
          onEachFeature: function (feature, polygon) {
            var span = document.createElement("span");
            span.textContent = (feature.properties || {}).name || "";
            polygon.bindTooltip(span, { sticky: true, direction: "top" });
          }
        }).addTo(map);
        var bounds = layer.getBounds();
        if (marker) {
          map.setView(marker.getLatLng(), 16, { animate: false });
        } else if (bounds.isValid()) {
          map.fitBounds(bounds, { padding: [12, 12], animate: false });
        }
        mapEl.setAttribute("data-features", String(collection.features.length));
      })
      .catch(function () {
        message(cfg.loadError);
      });
  }

  initMap();
  if (cfg.lat !== null && cfg.lng !== null && cfg.lat !== undefined && cfg.lng !== undefined) {
    // The form came back (an error, or duplicates offered): keep the reporter's pin.
    setPin(Number(cfg.lat), Number(cfg.lng), true, true);
  } else {
    say(cfg.noPinLabel);
  }

  if (clearButton) {
    clearButton.addEventListener("click", clearPin);
  }
  if (locateButton && navigator.geolocation) {
    locateButton.hidden = false;
    locateButton.addEventListener("click", function () {
      say(cfg.locating);
      locateButton.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          locateButton.disabled = false;
          setPin(pos.coords.latitude, pos.coords.longitude, true);
        },
        function () {
          locateButton.disabled = false;
          say(cfg.locateError);
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

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
