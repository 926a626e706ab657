/* The battle map (作战图): every area coloured by the chosen measure and week.
 *
 * The config is the json_script element named by the map's data-config:
 *   geojsonUrl  the area polygons the user may see (fetched once);
 *   dataUrl     plans:map_data, fetched again whenever the measure, the task
 *               type or the week changes: {measure, week, weekLabel, unit,
 *               values: {code: value}, bins: [{to, colour, label}], noData};
 *   areaUrl     the area sheet with codeSlot standing for the code;
 *   weeks       [{value, label}] for the slider;
 *   tileUrl     base tiles, only when the deployment sets one (offline otherwise).
 * The form around the controls still works without the script (a plain GET).
 */
(function () {
  "use strict";

  var hoverless = window.matchMedia && window.matchMedia("(hover: none)").matches;

  function text(tag, value, className) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    node.textContent = value;
    return node;
  }

  function init(el) {
    var source = document.getElementById(el.getAttribute("data-config"));
    var form = document.getElementById(el.getAttribute("data-form"));
    if (!source || !form || typeof L === "undefined") {
      return;
    }
    var cfg = JSON.parse(source.textContent);
    var slider = form.querySelector("input[name=week-index]");
    var weekInput = form.querySelector("input[name=week]");
    var weekLabel = document.getElementById("plans-week-label");
    var taskSelect = form.querySelector("select[name=task]");
    var campaignSelect = form.querySelector("select[name=campaign]");
    var status = document.getElementById("plans-map-status");

    var map = L.map(el, { zoomSnap: 0.25 });
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    // Somewhere to look before the polygons arrive (Foshan, Nanhai).
    map.setView([23.03, 113.15], 12);

    var data = null; // the latest map_data answer
    var layer = null;
    var pending = null; // the AbortController of the request in flight

    // The legend lives on the map, so that it prints with it.
    var legend = L.control({ position: "topright" });
    var legendBox = null;
    legend.onAdd = function () {
      legendBox = L.DomUtil.create("div", "zx-legend plans-legend");
      legendBox.id = "plans-map-legend";
      L.DomEvent.disableClickPropagation(legendBox);
      return legendBox;
    };
    legend.addTo(map);

    function setStatus(message) {
      if (status) {
        status.textContent = message || "";
      }
    }

    function binOf(value) {
      if (value === null || value === undefined || !data) {
        return null;
      }
      for (var i = 0; i < data.bins.length; i += 1) {
        var bin = data.bins[i];
        if (bin.to === null || value < bin.to) {
          return bin;
        }
      }
      return data.bins[data.bins.length - 1] || null;
    }

    function valueOf(code) {
      if (!data || !Object.prototype.hasOwnProperty.call(data.values, code)) {
        return null;
      }
      return data.values[code];
    }

    function formatted(value) {
      if (value === null || value === undefined) {
        return cfg.noDataLabel;
      }
      var digits = data && data.decimals ? data.decimals : 0;
      var number = Number(value).toLocaleString(document.documentElement.lang || undefined, {
        maximumFractionDigits: digits,
        minimumFractionDigits: 0,
      });
      return data && data.unit ? number + " " + data.unit : number;
    }

    function style(feature) {
      var bin = binOf(valueOf(feature.properties.code));
      return {
        color: "#444444",
        weight: 1,
        fillColor: bin ? bin.colour : (data && data.noData.colour) || cfg.noDataColour,
        fillOpacity: 0.8,
      };
    }

    function areaLink(code) {
      var url = cfg.areaUrl.replace(cfg.codeSlot, encodeURIComponent(code));
      return weekInput && weekInput.value ? url + "&week=" + encodeURIComponent(weekInput.value) : url;
    }

    // Leaflet puts a string into innerHTML: names go in as text nodes.
    function tipNode(props) {
      var box = document.createElement("div");
      box.appendChild(text("div", props.name, "fw-bold"));
      box.appendChild(text("div", (data ? data.measureLabel + "：" : "") + formatted(valueOf(props.code))));
      return box;
    }

    function popupNode(props) {
      var box = tipNode(props);
      var link = text("a", cfg.openLabel, "d-inline-block mt-1");
      link.href = areaLink(props.code);
      box.appendChild(link);
      return box;
    }

    function onEachFeature(feature, featureLayer) {
      var props = feature.properties || {};
      featureLayer.bindTooltip(function () {
        return tipNode(props);
      }, { sticky: true, direction: "top" });
      if (hoverless) {
        // A tap shows the name, the value and a link: hover is out of reach on a phone.
        featureLayer.bindPopup(function () {
          return popupNode(props);
        });
      } else {
        featureLayer.on("click", function () {
          window.location.href = areaLink(props.code);
        });
      }
      featureLayer.on("mouseover", function () {
        featureLayer.setStyle({ weight: 3 });
      });
      featureLayer.on("mouseout", function () {
        featureLayer.setStyle({ weight: 1 });
      });
    }

    function drawLegend() {
      if (!legendBox || !data) {
        return;
      }
      legendBox.textContent = "";
      legendBox.appendChild(text("div", data.measureLabel, "fw-bold"));
      legendBox.appendChild(text("div", data.weekLabel, "text-muted small mb-1"));
      var list = document.createElement("ul");
      list.className = "list-unstyled mb-0";
      data.bins.concat([data.noData]).forEach(function (bin) {
        var item = document.createElement("li");
        var swatch = document.createElement("i");
        swatch.style.background = bin.colour;
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(bin.label));
        list.appendChild(item);
      });
      legendBox.appendChild(list);
      legendBox.setAttribute("data-measure", data.measure);
    }

    function recolour() {
      if (layer) {
        layer.setStyle(style);
      }
      drawLegend();
    }

    function params() {
      var query = new URLSearchParams();
      query.set("campaign", campaignSelect ? campaignSelect.value : cfg.campaign);
      query.set("task", taskSelect ? taskSelect.value : "");
      var checked = form.querySelector("input[name=measure]:checked");
      query.set("measure", checked ? checked.value : cfg.measure);
      query.set("week", weekInput ? weekInput.value : "");
      return query;
    }

    function load() {
      var query = params();
      if (pending) {
        pending.abort();
      }
      pending = window.AbortController ? new AbortController() : null;
      el.setAttribute("aria-busy", "true");
      setStatus(cfg.loadingLabel);
      // The address follows the choice, so a reload or a shared link shows the same map.
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", "?" + query.toString());
      }
      fetch(cfg.dataUrl + "?" + query.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: pending ? pending.signal : undefined,
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) {
              throw new Error(body.detail || cfg.loadError);
            }
            return body;
          });
        })
        .then(function (body) {
          data = body;
          recolour();
          el.setAttribute("data-measure", body.measure);
          el.setAttribute("data-week", body.week);
          el.removeAttribute("aria-busy");
          setStatus("");
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") {
            return;
          }
          el.removeAttribute("aria-busy");
          setStatus(error && error.message ? error.message : cfg.loadError);
        });
    }

    function showWeek() {
      var week = cfg.weeks[Number(slider.value)];
      if (week) {
        weekInput.value = week.value;
        weekLabel.textContent = week.label;
      }
    }

    // Measures and task types switch at once; the week follows the slider once let go.
    form.querySelectorAll("input[name=measure]").forEach(function (input) {
      input.addEventListener("change", load);
    });
    if (taskSelect) {
      taskSelect.addEventListener("change", load);
    }
    if (campaignSelect) {
      // Another campaign has other task types and weeks: the page is rebuilt for it.
      campaignSelect.addEventListener("change", function () {
        taskSelect.value = "";
        weekInput.value = "";
        form.submit();
      });
    }
    if (slider) {
      slider.addEventListener("input", showWeek);
      slider.addEventListener("change", function () {
        showWeek();
        load();
      });
    }
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.name === "show") {
        event.preventDefault();
        load();
      }
    });

    var printButton = document.getElementById("plans-print");
    if (printButton) {
      printButton.addEventListener("click", function () {
        window.print();
      });
    }
    // The A3 sheet is larger than the screen: fit the areas to it, then back.
    function refit() {
      map.invalidateSize({ animate: false });
      if (layer && layer.getBounds().isValid()) {
        map.fitBounds(layer.getBounds(), { padding: [12, 12], animate: false });
      }
    }
    window.addEventListener("beforeprint", refit);
    window.addEventListener("afterprint", refit);

    function draw(collection) {
      layer = L.geoJSON(collection, { style: style, onEachFeature: onEachFeature }).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) {
        // No animation: a half-finished zoom leaves the outlines scaled up.
        map.fitBounds(bounds, { padding: [12, 12], animate: false });
      } else {
        el.appendChild(text("div", cfg.emptyLabel, "zx-map-message"));
      }
      el.setAttribute("data-features", String(collection.features.length));
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
        setStatus(cfg.loadError);
      });
    load();
  }

  document.querySelectorAll(".plans-map[data-config]").forEach(init);
})();
