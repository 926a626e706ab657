/* "Use my location" on the field forms (the inspector's score, the party member's check-in).
 *
 * The button #use-location (hidden until this script finds the browser can locate) carries
 * its texts in data-text-locating / -located / -failed; the located text may name {lat},
 * {lng} and {accuracy}. The position fills the hidden lat and lng inputs of the button's
 * form, and accuracy too where the form has one; a failed attempt empties them, so an old
 * position is never sent as a new one. #location-status says what happened.
 */
(function () {
  "use strict";

  var locate = document.getElementById("use-location");
  if (!locate || !navigator.geolocation || !locate.form) {
    return;
  }
  var form = locate.form;
  var status = document.getElementById("location-status");
  var fields = ["lat", "lng", "accuracy"].map(function (name) {
    return form.querySelector("[name=" + name + "]");
  });

  function fill(values) {
    fields.forEach(function (input, i) {
      if (input) {
        input.value = values[i];
      }
    });
  }

  locate.hidden = false;
  locate.addEventListener("click", function () {
    status.textContent = locate.getAttribute("data-text-locating");
    locate.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        var accuracy = String(Math.round(pos.coords.accuracy));
        locate.disabled = false;
        fill([pos.coords.latitude.toFixed(6), pos.coords.longitude.toFixed(6), accuracy]);
        status.textContent = locate
          .getAttribute("data-text-located")
          .replace("{lat}", pos.coords.latitude.toFixed(5))
          .replace("{lng}", pos.coords.longitude.toFixed(5))
          .replace("{accuracy}", accuracy);
      },
      function () {
        locate.disabled = false;
        fill(["", "", ""]);
        status.textContent = locate.getAttribute("data-text-failed");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
