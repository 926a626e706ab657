/* The plan pages' small behaviours (the table, today's board, the progress form).
 *
 * - The table: a target refused by the server (400) comes back as the cell with the reason;
 *   htmx does not swap error answers by default, so those are swapped in like any other.
 * - Today's board: a cancel button asks first (data-confirm on its form).
 * - The progress form: the unit beside the quantity follows the chosen task type.
 * Without this script the forms post as they always did.
 */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && event.detail.elt.closest("[data-cell]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function followUnit() {
    var select = document.getElementById("id_task_type");
    var unit = document.getElementById("quantity-unit");
    var units = document.getElementById("task-units");
    if (!select || !unit || !units) {
      return;
    }
    var table = JSON.parse(units.textContent);
    function show() {
      unit.textContent = table[select.value] || "";
    }
    select.addEventListener("change", show);
    show();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", followUnit);
  } else {
    followUnit();
  }
})();
