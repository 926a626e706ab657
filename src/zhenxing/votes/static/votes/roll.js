/* The roll and the sign-in desk: forms with a data-confirm attribute ask before they are sent
   (taking an elector off the roll, removing an attendance, replacing the whole roll). */
(function () {
  "use strict";

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var text = form.getAttribute("data-confirm");
    var replace = form.querySelector("input[name=replace]");
    if (!text && replace && replace.checked) {
      text = form.getAttribute("data-confirm-replace");
    }
    if (text && !window.confirm(text)) {
      e.preventDefault();
    }
  });
})();
