/* The case map: the filtered cases as points, coloured by urgency, over the area outlines.
 *
 * The config is the json_script element named by the map's data-config:
 *   pointsUrl    GeoJSON points of the cases (cases:map_data, with the page's filters);
 *   outlinesUrl  GeoJSON polygons of the areas in the user's scope (api:regions_geojson);
 *   caseUrl      a case page URL with numberSlot standing for the number;
 *   colours      {urgency: colour} (UX.md), labels {urgency: text};
 *   tileUrl      base tiles, only when the deployment sets one (offline otherwise).
 * Every text from the data goes into the page as a text node, never as HTML.
 */
(function () {
  "use strict";

  function message(el, text) {
    var box = document.createElement("div");
    // Over the map, not in the way of it (the stylesheet has no rule for it here).
    box.style.cssText =
      "position:absolute;inset:0;display:flex;align-items:center;justify-content:center;" +
      "z-index:1000;pointer-events:none;color:#495057;font-weight:600";
    box.setAttribute("role", "status");
    box.textContent = text;
    el.appendChild(box);
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      }
    );
  }

  function line(text, className) {
    var div = document.createElement("div");
    if (className) {
      div.className = className;
    }
    div.textContent = text;
    return div;
  }

  function popupNode(cfg, props) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = cfg.caseUrl.replace(cfg.numberSlot, encodeURIComponent(props.number));
    link.className = "fw-bold d-inline-block py-1";
    link.textContent = props.number;
    box.appendChild(link);
    box.appendChild(line(props.category));
    box.appendChild(line(props.status_label + " · " + (cfg.labels[props.urgency] || ""), "small"));
    return box;
  }

  function init(el) {
    var source = document.getElementById(el.getAttribute("data-config"));
    if (!source || typeof L === "undefined") {
      return;
    }
    var cfg = JSON.parse(source.textContent);
    // Canvas draws thousands of points far faster than one SVG element each.
    var map = L.map(el, { zoomSnap: 0.25, preferCanvas: true });
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    map.setView([23.03, 113.15], 12);
    // Outlines go in a pane beneath the points, so a point is always clickable.
    map.createPane("outlines");
    map.getPane("outlines").style.zIndex = 350;

    var outlineBounds = null;
    var pointsDrawn = false;

    var outlines = getJSON(cfg.outlinesUrl)
      .then(function (collection) {
        var layer = L.geoJSON(collection, {
          pane: "outlines",
          interactive: false,
          style: function () {
            return { color: "#555555", weight: 1, fillColor: "#ffffff", fillOpacity: 0.25 };
          },
        }).addTo(map);
        var bounds = layer.getBounds();
        if (bounds.isValid()) {
          outlineBounds = bounds;
          if (!pointsDrawn) {
            map.fitBounds(bounds, { padding: [12, 12], animate: false });
          }
        }
      })
      .catch(function () {
        // The points still make sense without the outlines.
      });

    getJSON(cfg.pointsUrl)
      .then(function (collection) {
        var layer = L.geoJSON(collection, {
          pointToLayer: function (feature, latlng) {
            var urgency = (feature.properties || {}).urgency;
            return L.circleMarker(latlng, {
              radius: 7,
              color: "#ffffff",
              weight: 1.5,
              fillColor: cfg.colours[urgency] || "#333333",
              fillOpacity: 0.9,
            });
          },
          onEachFeature: function (feature, marker) {
            marker.bindPopup(popupNode(cfg, feature.properties || {}));
          },
        }).addTo(map);
        pointsDrawn = true;
        var bounds = layer.getBounds();
        if (bounds.isValid()) {
          map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17, animate: false });
        } else {
          message(el, cfg.emptyLabel);
          outlines.then(function () {
            if (outlineBounds) {
              map.fitBounds(outlineBounds, { padding: [12, 12], animate: false });
            }
          });
        }
        el.setAttribute("data-points", String(collection.features.length));
      })
      .catch(function () {
        message(el, cfg.loadError);
      });
  }

  document.querySelectorAll(".zx-map[data-config]").forEach(init);
})();
