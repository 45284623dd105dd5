/* Back office: small conveniences only; every page works without script. */
(function () {
  "use strict";
  // After a 409/422 the page is re-rendered with the failing form open: bring it into view.
  var failed = document.querySelector("details.next-stage[open], #bo-error");
  if (failed && failed.scrollIntoView) failed.scrollIntoView({ block: "center" });
  // A filter select applies at once (the submit button stays for keyboard users).
  var filters = document.getElementById("case-filters");
  if (filters) {
    filters.querySelectorAll("select, input[type=checkbox]").forEach(function (el) {
      el.addEventListener("change", function () { filters.submit(); });
    });
  }
  // A stage-change form is sent once: a double click would only be refused as stale.
  document.querySelectorAll("form.stage-fields").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
    });
  });
}());
