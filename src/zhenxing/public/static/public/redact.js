/* The publishing desk: draw a crop and black-out boxes on a case photo; confirm before publishing.
 *
 * The editor writes two hidden inputs of the photo form:
 * - crop: {"x","y","w","h"} as fractions of the photo as shown (EXIF orientation
 *   applied, as the server's copy is), or empty for the whole photo;
 * - redactions: [{"x","y","w","h"}, …] as fractions of the CROPPED photo, which is
 *   what the server blacks out after cropping.
 * Boxes are kept in whole-photo fractions while drawing, so moving the crop
 * afterwards keeps them where they were drawn; they are converted on every change.
 *
 * Without this file the form still works: no crop, no box, the photo used whole.
 */
(function () {
  "use strict";

  // Forms marked data-confirm say what will happen and go ahead only on OK (UX.md).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  var form = document.querySelector("form[data-redact]");
  if (!form) {
    return;
  }
  var stage = form.querySelector("[data-stage]");
  var image = form.querySelector("[data-image]");
  var layer = form.querySelector("[data-layer]");
  var tools = form.querySelector("[data-tools]");
  var count = form.querySelector("[data-count]");
  var cropInput = form.elements.crop;
  var redactInput = form.elements.redactions;
  var MIN = 0.01; // a box smaller than 1 % of the photo is a slip of the finger

  var boxes = []; // black-out boxes, whole-photo fractions
  var crop = null; // the crop, whole-photo fractions
  var history = []; // "box" or "crop", to undo the last step

  stage.hidden = false;
  tools.hidden = false;
  form.querySelectorAll("[data-nojs]").forEach(function (el) {
    el.hidden = true;
  });

  function round(v) {
    return Math.round(v * 10000) / 10000;
  }

  function clamp(v) {
    return Math.min(1, Math.max(0, v));
  }

  function relative(box) {
    // A box in whole-photo fractions, as fractions of the crop; null if outside it.
    var c = crop || { x: 0, y: 0, w: 1, h: 1 };
    var left = Math.max(box.x, c.x);
    var top = Math.max(box.y, c.y);
    var right = Math.min(box.x + box.w, c.x + c.w);
    var bottom = Math.min(box.y + box.h, c.y + c.h);
    if (right - left <= 0 || bottom - top <= 0) {
      return null;
    }
    return {
      x: round((left - c.x) / c.w),
      y: round((top - c.y) / c.h),
      w: round((right - left) / c.w),
      h: round((bottom - top) / c.h),
    };
  }

  function place(el, box) {
    el.style.left = box.x * 100 + "%";
    el.style.top = box.y * 100 + "%";
    el.style.width = box.w * 100 + "%";
    el.style.height = box.h * 100 + "%";
  }

  function render() {
    layer.innerHTML = "";
    boxes.forEach(function (box) {
      var el = document.createElement("div");
      el.className = "zx-redact-box";
      place(el, box);
      layer.appendChild(el);
    });
    if (crop) {
      var el = document.createElement("div");
      el.className = "zx-crop-box";
      place(el, crop);
      layer.appendChild(el);
    }
    var inside = boxes.map(relative).filter(Boolean);
    redactInput.value = inside.length ? JSON.stringify(inside) : "";
    cropInput.value = crop
      ? JSON.stringify({ x: round(crop.x), y: round(crop.y), w: round(crop.w), h: round(crop.h) })
      : "";
    if (count) {
      count.textContent = String(inside.length);
    }
  }

  function reset() {
    boxes = [];
    crop = null;
    history = [];
    render();
  }

  function chosen() {
    return form.querySelector("input[name=source]:checked");
  }

  function show() {
    var radio = chosen();
    stage.hidden = !radio;
    if (radio) {
      image.src = radio.getAttribute("data-src");
    }
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "source") {
      // Boxes belong to the photo they were drawn on.
      reset();
      show();
    }
  });

  function point(event) {
    var rect = layer.getBoundingClientRect();
    return {
      x: clamp((event.clientX - rect.left) / rect.width),
      y: clamp((event.clientY - rect.top) / rect.height),
    };
  }

  var start = null;
  var drawing = null;

  layer.addEventListener("pointerdown", function (event) {
    if (event.button !== undefined && event.button !== 0) {
      return;
    }
    event.preventDefault();
    layer.setPointerCapture(event.pointerId);
    start = point(event);
    drawing = document.createElement("div");
    drawing.className = tool() === "crop" ? "zx-crop-box" : "zx-redact-box";
    layer.appendChild(drawing);
    place(drawing, { x: start.x, y: start.y, w: 0, h: 0 });
  });

  function boxFrom(event) {
    var p = point(event);
    return {
      x: Math.min(start.x, p.x),
      y: Math.min(start.y, p.y),
      w: Math.abs(p.x - start.x),
      h: Math.abs(p.y - start.y),
    };
  }

  layer.addEventListener("pointermove", function (event) {
    if (start) {
      place(drawing, boxFrom(event));
    }
  });

  function finish(event) {
    if (!start) {
      return;
    }
    var box = boxFrom(event);
    start = null;
    drawing = null;
    if (box.w >= MIN && box.h >= MIN) {
      if (tool() === "crop") {
        crop = box;
        history.push("crop");
      } else {
        boxes.push(box);
        history.push("box");
      }
    }
    render();
  }

  layer.addEventListener("pointerup", finish);
  layer.addEventListener("pointercancel", function () {
    start = null;
    render();
  });

  function tool() {
    var checked = form.querySelector("input[name=tool]:checked");
    return checked ? checked.value : "redact";
  }

  form.querySelector("[data-undo]").addEventListener("click", function () {
    var last = history.pop();
    if (last === "crop") {
      crop = null;
    } else if (last === "box") {
      boxes.pop();
    }
    render();
  });

  form.querySelector("[data-clear]").addEventListener("click", reset);

  // The tool switch is no field of ours: it must not travel with the form.
  form.addEventListener("submit", function () {
    form.querySelectorAll("input[name=tool]").forEach(function (el) {
      el.disabled = true;
    });
  });

  show();
  render();
})();
