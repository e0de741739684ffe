// The edit page tells the server it is open, and shows who else has the post open.
(function () {
  "use strict";
  const banner = document.getElementById("presence");
  if (!banner) return;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  function ping() {
    fetch(banner.dataset.url, {
      method: "POST",
      headers: {"X-CSRFToken": csrf ? csrf.value : ""},
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        banner.hidden = data.others.length === 0;
        banner.textContent = data.others.length
          ? "Also editing this post: " + data.others.join(", ") + ". Whoever saves second will be asked to reconcile."
          : "";
      })
      .catch(function () {});
  }
  setInterval(ping, Number(banner.dataset.every) * 1000);
})();
