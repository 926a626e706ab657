/* A pin on a map for a form: tap the map or "use my location", the pin goes into the hidden
 * #id_lat / #id_lng inputs. One script for the two forms that take a place, the office's
 * intake (cases/intake.js) and the residents' report (public/report.js), so that a pin
 * behaves the same on both; each page keeps only what is its own (where the areas come from,
 * what a moved pin sets off).
 *
 * The page holds #pin-status, #use-location and #clear-pin, and loads this script after
 * Leaflet and before its own. Plain script, no build step: it sets window.zxPinMap.
 *
 *   zxPinMap.create({
 *     form, mapEl, cfg,      // cfg: lat, lng, the labels, tileUrl/tileAttribution (optional)
 *     mapOptions,            // for L.map
 *     pinRadius, areaOpacity,
 *     areas: function (show, fail) {},  // called once the map is there: show(collection)
 *     onChange: function () {}          // optional: the pin moved (not when restored) or went
 *   });
 */
(function () {
  "use strict";

  function create(o) {
    var cfg = o.cfg;
    var mapEl = o.mapEl;
    var latInput = o.form.querySelector("#id_lat");
    var lngInput = o.form.querySelector("#id_lng");
    var status = document.getElementById("pin-status");
    var locateButton = document.getElementById("use-location");
    var clearButton = document.getElementById("clear-pin");
    var changed = o.onChange || function () {};
    var map = null;
    var marker = null;

    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }

    // `quiet`: a pin put back when the form comes back is no change of the reporter's.
    function setPin(lat, lng, centre, quiet) {
      latInput.value = lat.toFixed(6);
      lngInput.value = lng.toFixed(6);
      if (map) {
        if (marker) {
          marker.setLatLng([lat, lng]);
        } else {
          marker = L.circleMarker([lat, lng], {
            radius: o.pinRadius,
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
        changed();
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
      changed();
    }

    function message(text) {
      var box = document.createElement("div");
      box.className = "zx-map-message";
      box.setAttribute("role", "status");
      box.textContent = text;
      mapEl.appendChild(box);
    }

    // The areas' outlines. A pin placed already keeps the map on it; else the map shows them all.
    function showAreas(collection) {
      var features = collection.features;
      var bounds = null;
      if (features.length) {
        bounds = L.geoJSON(collection, {
          style: { color: "#1d3557", weight: 1, fillColor: "#88CCEE", fillOpacity: o.areaOpacity },
          // The tap is the pin's, not the outline's: let it through to the map.
          bubblingMouseEvents: true,
          onEachFeature: function (feature, polygon) {
            var span = document.createElement("span");
            span.textContent = (feature.properties || {}).name || "";
            polygon.bindTooltip(span, { sticky: true, direction: "top" });
          }
        })
          .addTo(map)
          .getBounds();
      }
      if (marker) {
        map.setView(marker.getLatLng(), 16, { animate: false });
      } else if (bounds && bounds.isValid()) {
        map.fitBounds(bounds, { padding: [12, 12], animate: false });
      }
      mapEl.setAttribute("data-features", String(features.length));
    }

    function initMap() {
      if (typeof L === "undefined") {
        message(cfg.loadError);
        return;
      }
      map = L.map(mapEl, o.mapOptions);
      if (cfg.tileUrl) {
        L.tileLayer(cfg.tileUrl, {
          maxZoom: 19,
          attribution: cfg.tileAttribution || ""
        }).addTo(map);
      }
      // Somewhere to look before (or without) the areas (Foshan, Nanhai).
      map.setView([23.03, 113.15], 12);
      map.on("click", function (e) {
        setPin(e.latlng.lat, e.latlng.lng, false);
      });
      o.areas(showAreas, function () {
        message(cfg.loadError);
      });
    }

    initMap();
    if (cfg.lat !== null && cfg.lng !== null && cfg.lat !== undefined && cfg.lng !== undefined) {
      // The form came back (an error, or duplicates offered): keep the pin.
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
  }

  window.zxPinMap = { create: create };
})();
