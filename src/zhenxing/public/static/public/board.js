/* The public board: the map of published spots, photo zoom, filters that apply on change.
 *
 * The map's config is the json_script element named by the map's data-config:
 *   dataUrl     the board's points (public:board_data, with the page's filters);
 *   areasUrl    the communities' outlines and names (public:area_outlines), drawn under
 *               the points so that the map says where it is even without tiles;
 *   tileUrl     base tiles, only when the deployment sets one (offline otherwise);
 *   emptyLabel, loadError: texts.
 * A point's colour is its status badge's (.zx-ps-<key> in public.css): one colour set.
 * Every text from the data goes into the page as a text node, never as HTML.
 * Everything works without this script: the cards link to the case pages, the
 * photos to their full size, and the filter form has its own button.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function notice(box, text) {
    var note = el("div", "zx-pb-map-note", text);
    note.setAttribute("role", "status");
    box.appendChild(note);
  }

  function popup(item) {
    var box = el("div", "zx-pb-popup");
    var link = el("a", "zx-pb-popup-link");
    link.href = item.url;
    if (item.thumb) {
      var img = el("img");
      img.src = item.thumb;
      img.alt = "";
      link.appendChild(img);
    }
    link.appendChild(el("strong", "", item.title));
    box.appendChild(link);
    box.appendChild(el("div", "zx-pb-popup-place", item.place));
    box.appendChild(el("span", "zx-ps zx-ps-" + item.status.key, item.status.label));
    return box;
  }

  // The badge colour of a status key, read off the stylesheet once per key.
  var colours = {};
  function colourOf(key) {
    if (!colours[key]) {
      var probe = el("span", "zx-ps zx-ps-" + key);
      probe.hidden = true;
      document.body.appendChild(probe);
      colours[key] = window.getComputedStyle(probe).backgroundColor || "#333333";
      probe.remove();
    }
    return colours[key];
  }

  // Names overlap where communities are small or the map is zoomed out: show a name only
  // where it has room, the larger communities' first (they come first in `labels`).
  function declutter(labels) {
    var shown = [];
    labels.forEach(function (label) {
      var node = label.getElement ? label.getElement() : null;
      if (!node) {
        return;
      }
      node.classList.remove("zx-hidden");
      var r = node.getBoundingClientRect();
      var clash = shown.some(function (s) {
        return r.left < s.right + 4 && r.right > s.left - 4 && r.top < s.bottom && r.bottom > s.top;
      });
      if (clash) {
        node.classList.add("zx-hidden");
      } else {
        shown.push(r);
      }
    });
  }

  function drawAreas(map, url, done) {
    if (!url) {
      done(null);
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        // The communities; where the territory has no community shapes, the areas'.
        var collection = data.communities || { features: [] };
        if (!collection.features.length && data.areas) {
          collection = data.areas;
        }
        var labels = [];
        var layer = L.geoJSON(collection, {
          pane: "zx-areas",
          interactive: false,
          style: {
            color: "#1d3557",
            weight: 1.5,
            opacity: 0.7,
            fillColor: "#88ccee",
            fillOpacity: 0.18
          },
          onEachFeature: function (feature, polygon) {
            var name = (feature.properties || {}).name || "";
            if (name) {
              var span = document.createElement("span");
              span.textContent = name;
              polygon.bindTooltip(span, {
                permanent: true,
                direction: "center",
                className: "zx-pb-area-label",
                // Under the points: a name never hides a spot.
                pane: "zx-areas",
                interactive: false
              });
              labels.push({ polygon: polygon, size: polygon.getBounds() });
            }
          }
        }).addTo(map);
        // Larger communities first: theirs are the names kept when two overlap.
        function area(b) {
          return (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
        }
        labels.sort(function (a, b) {
          return area(b.size) - area(a.size);
        });
        var tooltips = labels.map(function (l) {
          return l.polygon.getTooltip();
        });
        map.on("zoomend moveend", function () {
          declutter(tooltips);
        });
        map.getContainer().setAttribute("data-areas", String(collection.features.length));
        done(layer);
      })
      .catch(function () {
        // The outlines are a backdrop: the points are still worth showing without them.
        done(null);
      });
  }

  function initMap(box) {
    var source = document.getElementById(box.getAttribute("data-config"));
    if (!source || typeof L === "undefined") {
      box.hidden = true;
      return;
    }
    var cfg = JSON.parse(source.textContent);
    var map = L.map(box, { zoomSnap: 0.25, preferCanvas: true, scrollWheelZoom: false });
    // The outlines in their own pane under the points, whichever answer comes first.
    map.createPane("zx-areas").style.zIndex = 350;
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    map.setView([23.03, 113.15], 12);
    var pointsBounds = null;
    var areasLayer = null;
    var pointsDone = false;
    function frame() {
      // The points decide the view; without any, the territory does.
      if (pointsBounds && pointsBounds.isValid()) {
        map.fitBounds(pointsBounds, { padding: [24, 24], maxZoom: 16, animate: false });
      } else if (pointsDone && areasLayer && areasLayer.getBounds().isValid()) {
        map.fitBounds(areasLayer.getBounds(), { padding: [8, 8], animate: false });
      }
      map.fire("moveend");
    }
    drawAreas(map, cfg.areasUrl, function (layer) {
      areasLayer = layer;
      if (pointsDone && pointsBounds && pointsBounds.isValid()) {
        map.fire("moveend"); // the view is the points' already: only place the names
      } else {
        frame();
      }
    });
    fetch(cfg.dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        var layer = L.featureGroup();
        (data.cases || []).forEach(function (item) {
          L.circleMarker([item.lat, item.lng], {
            radius: 9,
            color: "#ffffff",
            weight: 2,
            fillColor: colourOf(item.status.key),
            fillOpacity: 0.95
          })
            .bindPopup(popup(item))
            .addTo(layer);
        });
        layer.addTo(map);
        pointsBounds = layer.getBounds();
        pointsDone = true;
        if (!pointsBounds.isValid()) {
          notice(box, cfg.emptyLabel);
        }
        frame();
        box.setAttribute("data-points", String((data.cases || []).length));
      })
      .catch(function () {
        notice(box, cfg.loadError);
      });
  }

  // Tap a photo: it fills the screen with its caption (Before / After) and a close button;
  // a tap anywhere, the button or Escape closes it, and the focus goes back to the photo.
  // The link still opens the photo on its own where this script does not run.
  function initZoom() {
    var overlay = null;
    var opener = null;
    function close() {
      if (overlay) {
        overlay.remove();
        overlay = null;
        if (opener && opener.focus) {
          opener.focus();
        }
        opener = null;
      }
    }
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-zoom]") : null;
      if (!link) {
        return;
      }
      event.preventDefault();
      close();
      opener = link;
      var figure = link.closest("figure");
      var caption = figure ? figure.querySelector("figcaption") : null;
      var captionText = caption ? caption.textContent.trim() : "";
      overlay = el("div", "zx-pb-zoom");
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      if (captionText) {
        overlay.setAttribute("aria-label", captionText);
      }
      var shut = el("button", "zx-pb-zoom-close", "\u00d7");
      shut.type = "button";
      shut.setAttribute("aria-label", link.getAttribute("data-zoom-close") || "Close");
      var img = el("img");
      img.src = link.href;
      var inner = link.querySelector("img");
      img.alt = inner ? inner.alt : "";
      overlay.appendChild(shut);
      overlay.appendChild(img);
      if (captionText) {
        overlay.appendChild(el("div", "zx-pb-zoom-caption", captionText));
      }
      overlay.addEventListener("click", close);
      document.body.appendChild(overlay);
      shut.focus();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Esc") {
        close();
      }
    });
  }

  function initFilters() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        select.form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("public-map");
    if (box) {
      initMap(box);
    }
    initZoom();
    initFilters();
  });
})();
