/* The assessment and circular pages: filters that apply themselves, confirmations, printing.
 *
 * Everything works without this file (a "Show" button, plain forms); it only
 * saves clicks and asks before the irreversible steps (UX.md).
 */
(function () {
  "use strict";

  // A filter bar marked data-autosubmit shows the new choice at once. A new
  // period kind drops the chosen period, so that the page opens on the last
  // finished period of the new kind rather than the one containing the old.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (!target || target.tagName !== "SELECT") {
        return;
      }
      if (target.name === "period_kind" && form.elements.period) {
        form.elements.period.disabled = true;
      }
      form.submit();
    });
  });

  // Forms marked data-confirm say what will happen and go ahead only on OK.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
