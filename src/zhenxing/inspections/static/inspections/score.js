/* The scoring form (inspections/score.html): − / + steppers, the points each item costs and the
 * resulting score kept up to date at the top, how many photos each "Take photos" button holds,
 * "use my location", and a last confirmation.
 *
 * The server computes the score again from the counts; what is shown here is only a preview,
 * by the same rule: an item costs points × count, at most its cap; the score is the full
 * score less every item's cost, never below zero. Sums are done in hundredths, so that
 * 0.1 + 0.2 shows as 0.3. Without this script the form still works: counts are typed in, and
 * every note, photo and switch is shown.
 *
 * The confirmation listens on the form, so it runs before cases/upload.js (which listens on
 * the document) and, when declined, stops the submission before any byte is sent.
 */
(function () {
  "use strict";

  var form = document.getElementById("score-form");
  if (!form) {
    return;
  }
  var totalOut = document.getElementById("score-total");
  var deductedOut = document.getElementById("score-deducted");
  var full = cents(form.getAttribute("data-full"));
  var items = Array.prototype.slice.call(form.querySelectorAll(".zx-item"));

  function cents(text) {
    var value = parseFloat(text);
    return isNaN(value) ? 0 : Math.round(value * 100);
  }

  function points(value) {
    // 2 → "2", 150 hundredths → "1.5": as the office writes points.
    var text = (value / 100).toFixed(2);
    return text.replace(/\.?0+$/, "");
  }

  function countOf(input) {
    var value = parseInt(input.value, 10);
    return isNaN(value) || value < 0 ? 0 : value;
  }

  function hasContent(more) {
    return Array.prototype.some.call(more.querySelectorAll("input, textarea"), function (el) {
      if (el.type === "file") {
        return el.files && el.files.length > 0;
      }
      if (el.type === "checkbox") {
        return false;
      }
      return el.value.trim() !== "";
    });
  }

  function update() {
    var deducted = 0;
    items.forEach(function (item) {
      var input = item.querySelector(".zx-count");
      var count = countOf(input);
      var cost = cents(item.getAttribute("data-points")) * count;
      var cap = item.getAttribute("data-cap");
      if (cap) {
        cost = Math.min(cost, cents(cap));
      }
      deducted += cost;
      item.querySelector("[data-item-points]").textContent = cost ? "−" + points(cost) : "0";
      item.classList.toggle("zx-counted", count > 0);
      var more = item.querySelector("[data-item-more]");
      // Note, photos and the case switch belong to an item found wrong; once filled in,
      // they stay in sight (the server refuses them on a zero count, and says so).
      more.hidden = count === 0 && !hasContent(more);
    });
    totalOut.textContent = points(Math.max(0, full - deducted));
    deductedOut.textContent = deducted ? "−" + points(deducted) : "0";
  }

  // "Take photos": the file input is hidden behind its button, so say how many are chosen.
  form.querySelectorAll("[data-photo-pick]").forEach(function (pick) {
    var input = pick.querySelector("input[type=file]");
    var count = pick.querySelector("[data-photo-count]");
    if (!input || !count) {
      return;
    }
    function show() {
      var n = input.files ? input.files.length : 0;
      count.textContent = n
        ? count.getAttribute("data-text-some").replace("{n}", String(n))
        : count.getAttribute("data-text-none");
      count.classList.toggle("zx-photo-some", n > 0);
    }
    count.hidden = false;
    input.addEventListener("change", function () {
      show();
      update();
    });
    show();
  });

  items.forEach(function (item) {
    var input = item.querySelector(".zx-count");
    var max = parseInt(input.getAttribute("max"), 10) || 999;
    item.querySelectorAll(".zx-step").forEach(function (button) {
      button.addEventListener("click", function () {
        var step = parseInt(button.getAttribute("data-step"), 10);
        input.value = String(Math.min(max, Math.max(0, countOf(input) + step)));
        update();
      });
    });
    input.addEventListener("input", update);
  });
  update();

  form.addEventListener("submit", function (e) {
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });
})();
