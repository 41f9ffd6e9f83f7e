/* Hygate passkeys: the WebAuthn ceremonies of the sign-in, the second step and the security
   page. Runs under the strict Content-Security-Policy (no inline code). A form marked
   data-passkey="sign-in|second-step|add" asks its data-options-url for the options (POST,
   with the form's CSRF token), lets the browser talk to the authenticator, and posts the
   answer in its hidden "credential" field. Without passkeys in the browser the forms stay as
   the server wrote them: the sign-in's passkey form hidden, the others saying so. */
(function () {
  "use strict";

  if (window.__hygatePasskeys) return; // included twice on one page: run once
  window.__hygatePasskeys = true;

  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var text = atob(base64);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    json.challenge = toBytes(json.challenge);
    json.user.id = toBytes(json.user.id);
    (json.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return json;
  }

  function requestOptions(json) {
    json.challenge = toBytes(json.challenge);
    (json.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return json;
  }

  function asJSON(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    });
  }

  function options(form) {
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    return fetch(form.dataset.optionsUrl, {
      method: "POST",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      // The step-up has expired: its page asks for the password, then comes back.
      if (response.redirected) {
        window.location.assign(response.url);
        return new Promise(function () {});
      }
      if (!response.ok) throw new Error("options " + response.status);
      return response.json();
    });
  }

  function showError(form, text) {
    var box = form.querySelector("[data-passkey-error]");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  function failed(form, error) {
    if (error && error.name === "AbortError") return;
    var text = error && error.name === "NotAllowedError"
      ? "The passkey request was cancelled or timed out. Try again when you are ready."
      : error && error.name === "InvalidStateError"
        ? "This device already holds a passkey for your account."
        : "Your passkey could not be used. Please try again.";
    showError(form, text);
  }

  function send(form, credential) {
    form.querySelector("input[name=credential]").value = asJSON(credential);
    var remember = document.querySelector("input[name=remember][type=checkbox]");
    var carried = form.querySelector("input[name=remember][type=hidden]");
    if (remember && carried) carried.value = remember.checked ? "on" : "";
    HTMLFormElement.prototype.submit.call(form);
  }

  function enable(form) {
    form.hidden = false;
    each(form, "[data-passkey-unsupported]", function (el) { el.hidden = true; });
    each(form, "[data-passkey-start], [data-passkey-supported]", function (el) { el.hidden = false; });
  }

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  function signIn(form) {
    var pending = null;
    function get(mediation) {
      if (pending) pending.abort();
      var controller = new AbortController();
      pending = controller;
      return options(form).then(function (json) {
        var request = { publicKey: requestOptions(json), signal: controller.signal };
        if (mediation) request.mediation = mediation;
        return navigator.credentials.get(request);
      }).then(function (credential) {
        if (credential) send(form, credential);
      });
    }
    form.querySelector("[data-passkey-start]").addEventListener("click", function () {
      get(null).catch(function (error) { failed(form, error); });
    });
    // Conditional mediation: the e-mail field's autofill also lists this site's passkeys.
    if (form.dataset.passkey === "sign-in" && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (available) get("conditional").catch(function () {});
      });
    }
  }

  function add(form) {
    form.addEventListener("submit", function (event) {
      var name = form.querySelector("input[name=name]");
      if (form.querySelector("input[name=credential]").value || !name.value.trim()) return;
      event.preventDefault();
      options(form).then(function (json) {
        return navigator.credentials.create({ publicKey: creationOptions(json) });
      }).then(function (credential) {
        send(form, credential);
      }).catch(function (error) { failed(form, error); });
    });
  }

  function start() {
    if (!supported) return;
    each(document, "form[data-passkey]", function (form) {
      enable(form);
      if (form.dataset.passkey === "add") add(form);
      else signIn(form);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
