// opsdesk agent UI: the only script besides htmx. Loaded from /static/ so a
// `default-src 'self'` Content-Security-Policy holds (no inline code anywhere).
//
// htmx swaps 403/409/422 answers (they carry the form's errors, see the
// htmx-config meta tag); anything else that fails would otherwise do nothing
// visible, so say so in the banner.
(function () {
  "use strict";

  function flash(text) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 404) {
      flash("Not found: the record may have been removed, or you may no longer see it. Reload the page.");
    } else {
      flash("The server could not do this (HTTP " + xhr.status + "). Reload the page and try again.");
    }
  });

  document.addEventListener("htmx:sendError", function () {
    flash("No answer from the server. Check the connection and try again.");
  });

  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("flash");
    if (box) box.hidden = true;
  });
})();
