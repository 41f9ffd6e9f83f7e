/* Hygate: small enhancements only. Every page works without this file; it runs under the
   site's strict Content-Security-Policy (no inline code, no eval, nothing remote). */
(function () {
  "use strict";

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  /* Show or hide what was typed in a password field. */
  function passwordToggles() {
    each("input[type=password]", function (input) {
      if (input.dataset.noToggle !== undefined || input.closest(".password-wrap")) return;
      var wrap = document.createElement("div");
      wrap.className = "password-wrap";
      input.parentNode.insertBefore(wrap, input);
      wrap.appendChild(input);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "password-toggle";
      button.textContent = "Show";
      button.setAttribute("aria-controls", input.id);
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", "Show password");
      button.addEventListener("click", function () {
        var show = input.type === "password";
        input.type = show ? "text" : "password";
        button.textContent = show ? "Hide" : "Show";
        button.setAttribute("aria-pressed", show ? "true" : "false");
        button.setAttribute("aria-label", show ? "Hide password" : "Show password");
        input.focus();
      });
      wrap.appendChild(button);
      // A form is never sent with the password visible in the field.
      if (input.form) {
        input.form.addEventListener("submit", function () { input.type = "password"; });
      }
    });
  }

  /* Numeric code inputs: take a pasted code with spaces or dashes, send the form at six digits. */
  function codeInputs() {
    each("input[autocomplete=one-time-code][inputmode=numeric]", function (input) {
      var length = parseInt(input.dataset.codeLength || "6", 10);
      var sent = false;
      function tidy() {
        var digits = input.value.replace(/\D+/g, "").slice(0, length);
        if (digits !== input.value) input.value = digits;
        if (digits.length === length && !sent && input.form && input.dataset.autoSubmit !== "off") {
          sent = true;
          if (typeof input.form.requestSubmit === "function") input.form.requestSubmit();
          else input.form.submit();
        }
      }
      input.addEventListener("input", tidy);
      input.addEventListener("paste", function () { window.setTimeout(tidy, 0); });
    });
  }

  /* "Send a new code": count down the wait, then enable the button. */
  function countdowns() {
    each("[data-countdown]", function (note) {
      var left = parseInt(note.dataset.countdown, 10);
      var button = document.getElementById(note.dataset.countdownFor);
      if (!button || !(left > 0)) return;
      // Count against the clock, not the ticks: a phone pauses timers while its owner is
      // away reading the mail.
      var deadline = Date.now() + left * 1000;
      var waiting = note.dataset.countdownText || "You can ask for a new code in {n}.";
      var done = note.dataset.countdownDone || "You can ask for a new code now.";
      // As the server says it (accounts.forms.in_words): minutes from two minutes on.
      function words(n) {
        if (n >= 120) return Math.ceil(n / 60) + " minutes";
        return n + (n === 1 ? " second" : " seconds");
      }
      // Errors that say "Ask for a new code below." while the button waits say so, once (the
      // summary is a live region: it must not speak at every tick).
      var phrase = note.dataset.countdownRewrite;
      var replacement = note.dataset.countdownRewriteText;
      if (phrase && replacement) {
        each(".error-summary li, .field-errors li, .messages li", function (item) {
          var walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
          for (var node = walker.nextNode(); node; node = walker.nextNode()) {
            if (node.nodeValue.indexOf(phrase) !== -1) {
              node.nodeValue = node.nodeValue.split(phrase).join(replacement);
            }
          }
        });
      }
      function tick() {
        left = Math.ceil((deadline - Date.now()) / 1000);
        if (left <= 0) {
          note.textContent = done;
          button.disabled = false;
          button.removeAttribute("aria-disabled");
          window.clearInterval(timer);
          return;
        }
        note.textContent = waiting.replace("{n}", words(left));
      }
      var timer = window.setInterval(tick, 1000);
      tick();
    });
  }

  /* Recovery codes: copy, download as a text file, print. */
  function recoveryCodes() {
    each("[data-recovery-codes]", function (list) {
      var text = Array.prototype.map.call(list.querySelectorAll("li"), function (li) {
        return li.textContent.trim();
      }).join("\n") + "\n";
      var bar = document.createElement("div");
      bar.className = "buttons";
      var status = document.createElement("p");
      status.className = "aside";
      status.setAttribute("role", "status");
      function add(label, action) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = label;
        button.addEventListener("click", action);
        bar.appendChild(button);
      }
      if (navigator.clipboard && window.isSecureContext) {
        add("Copy", function () {
          navigator.clipboard.writeText(text).then(function () {
            status.textContent = "The codes are copied.";
          }, function () {
            status.textContent = "Copying did not work here: select the codes and copy them.";
          });
        });
      }
      add("Download", function () {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
        link.download = list.dataset.recoveryCodes || "recovery-codes.txt";
        document.body.appendChild(link);
        link.click();
        link.remove();
        status.textContent = "The codes are downloaded as a text file.";
      });
      add("Print", function () { window.print(); });
      list.parentNode.insertBefore(bar, list.nextSibling);
      bar.parentNode.insertBefore(status, bar.nextSibling);
    });
  }

  /* A form that takes a while (Test Connection): say it is working; never send it twice. */
  function busyForms() {
    each("form[data-busy]", function (form) {
      var sending = false;
      form.addEventListener("submit", function (event) {
        if (sending) { event.preventDefault(); return; }
        sending = true;
        var button = event.submitter;
        if (button && button.dataset.busyText) {
          button.setAttribute("aria-disabled", "true");
          button.classList.add("is-busy");
          button.textContent = button.dataset.busyText;
        }
        var note = form.querySelector("[data-busy-status]");
        if (note && button && button.dataset.busyText) note.textContent = button.dataset.busyText;
      });
    });
  }

  /* The error summary takes focus, so a screen reader reads it first (GOV.UK's pattern). */
  function errorSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
    each(".error-summary a[href^='#']", function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) return;
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        target.focus();
      });
    });
  }

  function start() {
    passwordToggles();
    codeInputs();
    countdowns();
    recoveryCodes();
    busyForms();
    errorSummary();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
