// Passkeys (WebAuthn) on the account pages: the one script of the pages, served from the
// provider's own origin. Without it (or without WebAuthn in the browser) the passkey parts
// stay hidden or explained, and every other part of the pages works as before.
"use strict";

(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) {
      text += String.fromCharCode(bytes[i]);
    }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromBase64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function say(text) {
    var status = document.getElementById("passkey-status");
    if (status) {
      status.textContent = text;
    }
  }

  var hu = document.documentElement.lang !== "en";
  function t(huText, enText) {
    return hu ? huText : enText;
  }

  async function post(path, csrf, body) {
    var response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    var answer = await response.json().catch(function () {
      return {};
    });
    if (!response.ok) {
      throw new Error(answer.detail || t("Hiba történt.", "Something went wrong."));
    }
    return answer;
  }

  async function register(form) {
    var csrf = form.dataset.csrf;
    var name = form.elements.name.value;
    var password = form.elements.password ? form.elements.password.value : undefined;
    var options = (await post("/account/passkeys/register/start", csrf, { password: password }))
      .publicKey;
    options.challenge = fromBase64url(options.challenge);
    options.user.id = fromBase64url(options.user.id);
    // Discoverable, so the passkey later signs in without an e-mail address typed first.
    options.authenticatorSelection = Object.assign({}, options.authenticatorSelection, {
      residentKey: "required",
      requireResidentKey: true,
    });
    (options.excludeCredentials || []).forEach(function (c) {
      c.id = fromBase64url(c.id);
    });
    var created = await navigator.credentials.create({ publicKey: options });
    var answer = await post("/account/passkeys/register/finish", csrf, {
      name: name,
      credential: {
        id: created.id,
        rawId: toBase64url(created.rawId),
        type: created.type,
        extensions: created.getClientExtensionResults(),
        response: {
          attestationObject: toBase64url(created.response.attestationObject),
          clientDataJSON: toBase64url(created.response.clientDataJSON),
          transports: created.response.getTransports ? created.response.getTransports() : [],
        },
      },
    });
    window.location.assign(answer.location);
  }

  function assertion(got) {
    return {
      id: got.id,
      rawId: toBase64url(got.rawId),
      type: got.type,
      extensions: got.getClientExtensionResults(),
      response: {
        authenticatorData: toBase64url(got.response.authenticatorData),
        clientDataJSON: toBase64url(got.response.clientDataJSON),
        signature: toBase64url(got.response.signature),
        userHandle: got.response.userHandle ? toBase64url(got.response.userHandle) : null,
      },
    };
  }

  async function signIn(section) {
    var csrf = section.dataset.csrf;
    var options = (await post("/account/passkeys/sign-in/start", csrf)).publicKey;
    options.challenge = fromBase64url(options.challenge);
    (options.allowCredentials || []).forEach(function (c) {
      c.id = fromBase64url(c.id);
    });
    var got = await navigator.credentials.get({ publicKey: options });
    var answer = await post("/account/passkeys/sign-in/finish", csrf, {
      return_to: section.dataset.returnTo,
      credential: assertion(got),
    });
    window.location.assign(answer.location);
  }

  // The login page of a partner app's sign-in: the answer goes back as a plain form, which
  // continues as the password form does (consent, or back to the app).
  async function logIn(section) {
    var form = document.getElementById("passkey-login");
    var start = new URLSearchParams();
    start.set("request_id", form.elements.request_id.value);
    start.set("csrf", form.elements.csrf.value);
    var response = await fetch("/oauth2/login/passkey/start", {
      method: "POST",
      credentials: "same-origin",
      body: start,
    });
    if (!response.ok) {
      throw new Error(t("A bejelentkezési oldal lejárt. Töltse be újra.", "The sign-in page has expired. Reload it."));
    }
    var options = (await response.json()).publicKey;
    options.challenge = fromBase64url(options.challenge);
    (options.allowCredentials || []).forEach(function (c) {
      c.id = fromBase64url(c.id);
    });
    var got = await navigator.credentials.get({ publicKey: options });
    form.elements.credential.value = JSON.stringify(assertion(got));
    form.submit();
  }

  function failed(error) {
    if (error && error.name === "NotAllowedError") {
      say(t("A passkey-lépést megszakították.", "The passkey step was cancelled."));
    } else if (error && error.name === "SecurityError") {
      say(t(
        "Ezen a címen a böngésző nem használ passkey-t; nyissa meg az oldalt a szolgáltatás domainnevén.",
        "The browser does not use passkeys at this address; open the page at the service's domain name."
      ));
    } else {
      say(error && error.message ? error.message : t("Hiba történt.", "Something went wrong."));
    }
  }

  var form = document.getElementById("passkey-add");
  if (form) {
    var note = document.getElementById("passkey-needs-script");
    if (note) {
      note.hidden = true;
    }
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      say(t("Kövesse a böngésző utasításait…", "Follow your browser's prompts…"));
      register(form).catch(failed);
    });
  }

  var section = document.getElementById("passkey-sign-in");
  if (section) {
    section.hidden = false;
    document.getElementById("passkey-sign-in-button").addEventListener("click", function () {
      say(t("Kövesse a böngésző utasításait…", "Follow your browser's prompts…"));
      (section.dataset.passkey === "login" ? logIn(section) : signIn(section)).catch(failed);
    });
  }
})();
