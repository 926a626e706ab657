/* The phone check-in at a post (posts/patrol_form.html).
 *
 * "I found a problem" shows the category and description only when switched on.
 * "Use my location" is zhenxing/locate.js; sending with a progress bar and a retry that
 * keeps the photos is cases/upload.js (a second tap cannot record a second check-in: the
 * buttons are disabled while sending, and the server refuses a repeat within a minute).
 * Without JavaScript the form still works: every field shows and nothing is located.
 */
(function () {
  "use strict";

  var form = document.getElementById("patrol-form");
  if (!form) {
    return;
  }

  var toggle = form.querySelector("[data-problem-toggle]");
  var problemFields = form.querySelector("[data-problem-fields]");
  function showProblem() {
    problemFields.hidden = !toggle.checked;
  }
  if (toggle && problemFields) {
    toggle.addEventListener("change", showProblem);
    showProblem();
  }
})();
