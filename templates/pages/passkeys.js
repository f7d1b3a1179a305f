// The WebAuthn ceremony of the hosted pages (issue 13 §3): read the server's options from the page (a hidden field without a name), ask the
// authenticator, post its answer with the form. Without this script (or WebAuthn) the form posts nothing and
// the server says so; the password form never needs it.
(function () {
  'use strict';
  function wire(formId, optionsId, create) {
    var form = document.getElementById(formId);
    var optionsElement = document.getElementById(optionsId);
    if (!form || !optionsElement) return;
    var status = form.querySelector('[data-passkey-status]');
    var supported = window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON && PublicKeyCredential.parseRequestOptionsFromJSON;
    form.addEventListener('submit', function (event) {
      if (!supported) return;
      event.preventDefault();
      if (status) status.textContent = 'Waiting for your passkey…';
      var json = JSON.parse(optionsElement.value);
      var ceremony = create
        ? navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json) })
        : navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) });
      ceremony.then(
        function (credential) {
          form.elements.namedItem('response').value = JSON.stringify(credential.toJSON());
          if (status) status.textContent = '';
          form.submit();
        },
        function (err) {
          if (status) status.textContent = 'The passkey was not used (' + (err && err.name ? err.name : 'error') + '). Try again, or sign in another way.';
        },
      );
    });
  }
  wire('passkey-register', 'passkey-register-options', true);
  wire('passkey-sign-in', 'passkey-sign-in-options', false);
})();
