/* The round planner (inspections/round_plan.html): show the fields of the chosen mode (draw at
 * random, or tick areas), and only the areas under the chosen scope. Areas hidden by a change
 * of scope are unticked, so what is sent is what is seen. Without this script every field
 * shows, and the server says which areas lie outside the scope.
 */
(function () {
  "use strict";

  var form = document.getElementById("plan-form");
  var configNode = document.getElementById("plan-config");
  if (!form || !configNode) {
    return;
  }
  var cfg = JSON.parse(configNode.textContent);
  var scope = form.querySelector("[name=scope]");

  function mode() {
    var checked = form.querySelector("[name=mode]:checked");
    return checked ? checked.value : "";
  }

  function showMode() {
    form.querySelectorAll("[data-mode]").forEach(function (section) {
      section.hidden = section.getAttribute("data-mode") !== mode();
    });
  }

  function showAreas() {
    var prefix = cfg.scopes[scope.value] || "";
    form.querySelectorAll(".zx-area-group").forEach(function (group) {
      var shown = 0;
      group.querySelectorAll("input[name=areas]").forEach(function (box) {
        var inside = (cfg.areas[box.value] || "").indexOf(prefix) === 0;
        box.closest(".form-check").hidden = !inside;
        if (!inside) {
          box.checked = false;
        }
        shown += inside ? 1 : 0;
      });
      group.hidden = shown === 0;
    });
  }

  form.querySelectorAll("[name=mode]").forEach(function (radio) {
    radio.addEventListener("change", showMode);
  });
  if (scope) {
    scope.addEventListener("change", showAreas);
    showAreas();
  }
  showMode();
})();
