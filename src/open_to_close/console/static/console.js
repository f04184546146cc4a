// The console's only script: small conveniences; every page works without it.
document.addEventListener("DOMContentLoaded", function () {
  // "Select all" for bulk actions on dead letters.
  var all = document.querySelector("[data-select-all]");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="ids"]').forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }
});
