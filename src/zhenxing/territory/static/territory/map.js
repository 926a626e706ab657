/* Territory maps: every `.zx-map[data-config]` on the page becomes a Leaflet map.
 *
 * The config is a json_script element named by data-config:
 *   data        a GeoJSON FeatureCollection to draw, or
 *   geojsonUrl  where to fetch one (the /api/v1/regions/geojson endpoint);
 *   colours     {code: colour}, keyed by the feature property named by
 *               colourBy (default "community", the community it lies in);
 *   regionUrl   a region page URL with codeSlot standing for the code;
 *   tileUrl     base tiles, only when the deployment sets one (offline otherwise).
 * Features whose `role` is "self" are drawn as an outline around the others.
 */
(function () {
  "use strict";

  var hoverless = window.matchMedia && window.matchMedia("(hover: none)").matches;

  function regionLink(cfg, code) {
    return cfg.regionUrl.replace(cfg.codeSlot, encodeURIComponent(code));
  }

  function message(el, text) {
    var box = document.createElement("div");
    box.className = "zx-map-message";
    box.setAttribute("role", "status");
    box.textContent = text;
    el.appendChild(box);
  }

  // Leaflet puts a string tooltip into innerHTML: names go in as text nodes.
  function nameNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function popupNode(cfg, props) {
    var box = document.createElement("div");
    var title = document.createElement("div");
    title.className = "fw-bold mb-1";
    title.textContent = props.name;
    var link = document.createElement("a");
    link.href = regionLink(cfg, props.code);
    link.textContent = cfg.openLabel;
    box.appendChild(title);
    box.appendChild(link);
    return box;
  }

  function init(el) {
    var source = document.getElementById(el.getAttribute("data-config"));
    if (!source || typeof L === "undefined") {
      return;
    }
    var cfg = JSON.parse(source.textContent);
    var map = L.map(el, { zoomSnap: 0.25 });
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    // Somewhere to look before the polygons arrive (Foshan, Nanhai).
    map.setView([23.03, 113.15], 12);

    function colourOf(props) {
      var key = props[cfg.colourBy || "community"];
      return (cfg.colours && cfg.colours[key]) || cfg.fallbackColour;
    }

    function style(feature) {
      var props = feature.properties || {};
      if (props.role === "self") {
        return { color: "#1d3557", weight: 3, fill: false, dashArray: "6 4" };
      }
      return { color: "#333333", weight: 1, fillColor: colourOf(props), fillOpacity: 0.6 };
    }

    function onEachFeature(feature, layer) {
      var props = feature.properties || {};
      if (props.role === "self") {
        return;
      }
      layer.bindTooltip(nameNode(props.name), { sticky: true, direction: "top" });
      if (hoverless) {
        // A tap shows the name with a link; a hover-only control would be out of reach.
        layer.bindPopup(popupNode(cfg, props));
      } else {
        layer.on("click", function () {
          window.location.href = regionLink(cfg, props.code);
        });
      }
      layer.on("mouseover", function () {
        layer.setStyle({ weight: 3 });
      });
      layer.on("mouseout", function () {
        layer.setStyle({ weight: 1 });
      });
    }

    function draw(collection) {
      var layer = L.geoJSON(collection, { style: style, onEachFeature: onEachFeature }).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) {
        // No animation: a half-finished zoom leaves the outlines scaled up.
        map.fitBounds(bounds, { padding: [12, 12], animate: false });
      } else {
        message(el, cfg.emptyLabel || "—");
      }
      el.setAttribute("data-features", String(collection.features.length));
    }

    if (cfg.data) {
      draw(cfg.data);
      return;
    }
    fetch(cfg.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(draw)
      .catch(function () {
        message(el, cfg.loadError);
      });
  }

  document.querySelectorAll(".zx-map[data-config]").forEach(init);
})();
