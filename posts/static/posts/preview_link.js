// The shared preview link's field selects its whole text when focused, ready to copy.
(function () {
  "use strict";
  const field = document.getElementById("preview-link");
  if (field) field.addEventListener("focus", function () { field.select(); });
})();
