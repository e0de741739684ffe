// A workflow move (Submit, Approve…) acts on the saved revision: warn before text typed in the
// edit form, and not saved, is left behind.
(function () {
  "use strict";
  const form = document.getElementById("post_form");
  const moves = document.querySelector(".workflow form.moves");
  if (!form || !moves) return;
  let unsaved = false;
  form.addEventListener("input", function () { unsaved = true; });
  form.addEventListener("submit", function () { unsaved = false; });
  moves.addEventListener("submit", function (event) {
    if (unsaved && !window.confirm("The changes you typed in the form are not saved and would be lost. " +
                                   "Use “Save and submit for review” or save first. Leave them anyway?")) {
      event.preventDefault();
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (unsaved) event.preventDefault();
  });
})();
