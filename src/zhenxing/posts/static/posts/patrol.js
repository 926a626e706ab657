/* The phone check-in at a post (posts/patrol_form.html).
 *
 * - "Use my location" asks the phone for its position and fills the hidden lat/lng/accuracy
 *   fields; without it the post's own place is recorded, as the page says.
 * - "I found a problem" shows the category and description only when switched on.
 * - The submit button is disabled once the form is sent, so a second tap on a slow
 *   connection does not record a second check-in (the server refuses one anyway).
 * Without JavaScript the form still works: every field shows and nothing is located.
 */
(function () {
  "use strict";

  var form = document.getElementById("patrol-form");
  if (!form) {
    return;
  }

  var locate = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  var latInput = form.querySelector("[name=lat]");
  var lngInput = form.querySelector("[name=lng]");
  var accuracyInput = form.querySelector("[name=accuracy]");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      status.textContent = locate.getAttribute("data-text-locating");
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          locate.disabled = false;
          latInput.value = pos.coords.latitude.toFixed(6);
          lngInput.value = pos.coords.longitude.toFixed(6);
          accuracyInput.value = String(Math.round(pos.coords.accuracy));
          status.textContent = locate
            .getAttribute("data-text-located")
            .replace("{lat}", pos.coords.latitude.toFixed(5))
            .replace("{lng}", pos.coords.longitude.toFixed(5))
            .replace("{accuracy}", String(Math.round(pos.coords.accuracy)));
        },
        function () {
          locate.disabled = false;
          latInput.value = "";
          lngInput.value = "";
          accuracyInput.value = "";
          status.textContent = locate.getAttribute("data-text-failed");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
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

  var submit = document.getElementById("patrol-submit");
  var submitText = submit.textContent;
  form.addEventListener("submit", function () {
    if (form.getAttribute("data-sent")) {
      return;
    }
    form.setAttribute("data-sent", "1");
    // Disabled after this event: a button disabled during it would not be sent, nor the form.
    window.setTimeout(function () {
      submit.disabled = true;
      submit.textContent = form.getAttribute("data-text-sending");
    }, 0);
  });
  // Back from the browser's history (bfcache): the button must work again.
  window.addEventListener("pageshow", function () {
    form.removeAttribute("data-sent");
    submit.disabled = false;
    submit.textContent = submitText;
  });
})();
