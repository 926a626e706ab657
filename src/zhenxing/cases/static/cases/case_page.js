/* The case page's small map: the case's area outlined and its pin. No base tiles unless the
 * deployment sets them elsewhere; the outline alone says where in the area the spot lies.
 */
(function () {
  "use strict";

  var el = document.getElementById("case-map");
  var source = el && document.getElementById(el.getAttribute("data-config"));
  if (!source || typeof L === "undefined") {
    return;
  }
  var cfg = JSON.parse(source.textContent);
  var map = L.map(el, { zoomSnap: 0.25, scrollWheelZoom: false });
  var pin = L.latLng(cfg.lat, cfg.lng);
  map.setView(pin, 16);
  if (cfg.area) {
    var area = L.geoJSON(cfg.area, {
      style: { color: "#1d3557", weight: 2, fillColor: "#88CCEE", fillOpacity: 0.25 },
      interactive: false
    }).addTo(map);
    var bounds = area.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds.extend(pin), { padding: [16, 16], animate: false });
    }
  }
  L.circleMarker(pin, {
    radius: 9,
    color: "#ffffff",
    weight: 3,
    fillColor: "#c8161d",
    fillOpacity: 1
  })
    .bindTooltip(cfg.label)
    .addTo(map);
})();
