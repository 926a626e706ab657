/* The public board: the map of published spots, photo zoom, filters that apply on change.
 *
 * The map's config is the json_script element named by the map's data-config:
 *   dataUrl     the board's points (public:board_data, with the page's filters);
 *   tileUrl     base tiles, only when the deployment sets one (offline otherwise);
 *   colours     {status key: colour}; emptyLabel, loadError: texts.
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
    box.appendChild(el("span", "zx-pb-badge zx-pb-status-" + item.status.key, item.status.label));
    return box;
  }

  function initMap(box) {
    var source = document.getElementById(box.getAttribute("data-config"));
    if (!source || typeof L === "undefined") {
      box.hidden = true;
      return;
    }
    var cfg = JSON.parse(source.textContent);
    var map = L.map(box, { zoomSnap: 0.25, preferCanvas: true, scrollWheelZoom: false });
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    map.setView([23.03, 113.15], 12);
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
            fillColor: cfg.colours[item.status.key] || "#333333",
            fillOpacity: 0.9,
          })
            .bindPopup(popup(item))
            .addTo(layer);
        });
        layer.addTo(map);
        var bounds = layer.getBounds();
        if (bounds.isValid()) {
          map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16, animate: false });
        } else {
          notice(box, cfg.emptyLabel);
        }
        box.setAttribute("data-points", String((data.cases || []).length));
      })
      .catch(function () {
        notice(box, cfg.loadError);
      });
  }

  // Tap a photo: it fills the screen; tap again (or Escape) to close. The link
  // still opens the photo on its own where this script does not run.
  function initZoom() {
    var overlay = null;
    function close() {
      if (overlay) {
        overlay.remove();
        overlay = null;
      }
    }
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-zoom]") : null;
      if (!link) {
        return;
      }
      event.preventDefault();
      close();
      overlay = el("div", "zx-pb-zoom");
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      var img = el("img");
      img.src = link.href;
      var inner = link.querySelector("img");
      img.alt = inner ? inner.alt : "";
      overlay.appendChild(img);
      overlay.addEventListener("click", close);
      document.body.appendChild(overlay);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
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
