/* Settings -> E-mail: show only the chosen provider's fields (the page works without it). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-provider-form]");
  if (!form) return;
  var switches = form.querySelectorAll(".provider-switch");
  Array.prototype.forEach.call(switches, function (note) { note.hidden = true; });
  function show() {
    var checked = form.querySelector("input[name=provider]:checked");
    if (!checked) return;
    Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-provider]"), function (set) {
      set.hidden = set.getAttribute("data-provider") !== checked.value;
    });
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=provider]"), function (radio) {
    radio.addEventListener("change", show);
  });
  show();
})();
