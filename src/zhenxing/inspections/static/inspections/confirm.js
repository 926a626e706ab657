/* Forms with a data-confirm attribute ask before they are sent (deleting a checklist item). */
(function () {
  "use strict";

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var text = form instanceof HTMLFormElement && form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      e.preventDefault();
    }
  });
})();
