/* Inqud sandbox widget: defines <app-widget id="CCO-…">, the embedded crypto checkout.
 *
 * Load it as partners load Inqud's (<script src=".../inqud/pay/widget.js" defer></script>). The
 * element is 392 px wide, shows the hosted checkout in an iframe, and dispatches a
 * `statusChanged` CustomEvent with detail {id, status} on every status change: the status it first
 * finds, then each later one in order (it reads the checkout's status history, so no step is
 * missed between two looks). It learns of changes from the page's postMessage and by polling. */
(function () {
  'use strict';
  var script = document.currentScript;
  var ORIGIN = script && script.src ? new URL(script.src, window.location.href).origin : window.location.origin;
  var WIDTH = 392;
  var POLL_MS = 1000;
  // The frame sits in a card like the hosted page's own; errors read as a card too, never raw text.
  var STYLE = ':host{display:block;width:' + WIDTH + 'px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}' +
    'iframe{display:block;box-sizing:border-box;width:' + WIDTH + 'px;height:640px;background:#fff;' +
    'border:1px solid #dde2ee;border-radius:12px;box-shadow:0 1px 3px rgba(20,33,61,.08)}' +
    '.error{box-sizing:border-box;margin:0;padding:14px 16px;border:1px solid #f0c4c8;border-radius:12px;' +
    'background:#fdeced;color:#8c1c27;overflow-wrap:anywhere}' +
    '.error strong{display:block;margin-bottom:2px;color:#3a57e8;letter-spacing:.04em}';

  function api(id) { return ORIGIN + '/inqud/pay/api/checkouts/' + encodeURIComponent(id); }

  class AppWidget extends HTMLElement {
    connectedCallback() {
      if (this._frame) return;
      var id = this.getAttribute('id') || '';
      this._checkoutId = id;
      this._seen = 0;
      this._first = true;
      this._done = false;
      this._queue = Promise.resolve();
      this.style.display = 'block';
      this.style.width = WIDTH + 'px';
      var root = this.shadowRoot || this.attachShadow({ mode: 'open' });
      root.innerHTML = '<style>' + STYLE + '</style>';
      var frame = document.createElement('iframe');
      frame.title = 'Inqud checkout';
      frame.setAttribute('data-testid', 'inqud-checkout-frame');
      frame.src = ORIGIN + '/inqud/pay/checkout/' + encodeURIComponent(id) + '?embed=1';
      root.appendChild(frame);
      this._frame = frame;
      var self = this;
      this._onMessage = function (event) {
        var data = event.data;
        if (event.origin !== ORIGIN || event.source !== frame.contentWindow) return;
        if (!data || data.source !== 'inqud-checkout' || data.id !== self._checkoutId) return;
        self.refresh();
      };
      window.addEventListener('message', this._onMessage);
      this._timer = setInterval(function () { self.refresh(); }, POLL_MS);
      this.refresh();
    }

    disconnectedCallback() {
      clearInterval(this._timer);
      window.removeEventListener('message', this._onMessage);
    }

    refresh() {
      var self = this;
      this._queue = this._queue.then(function () { return self._look(); }).catch(function () { /* next tick */ });
      return this._queue;
    }

    _look() {
      var self = this;
      if (this._done) return Promise.resolve();
      return fetch(api(this._checkoutId), { cache: 'no-store' }).then(function (res) {
        if (res.status === 404) { self._fail('Checkout ' + self._checkoutId + ' was not found.'); return null; }
        return res.ok ? res.json() : null;
      }).then(function (state) {
        if (!state) return;
        var history = state.history || [];
        var start = self._first ? Math.max(history.length - 1, 0) : self._seen;
        self._first = false;
        for (var i = start; i < history.length; i++) self._dispatch(history[i].status);
        self._seen = history.length;
        if (state.terminal) { self._done = true; clearInterval(self._timer); }
      });
    }

    _dispatch(status) {
      var detail = { id: this._checkoutId, status: status };
      this.dispatchEvent(new CustomEvent('statusChanged', { detail: detail, bubbles: true, composed: true }));
      // Recorded in the sandbox's timeline (the sandbox answers the CORS preflight for JSON).
      fetch(api(this._checkoutId) + '/events', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(detail), keepalive: true }).catch(function () { /* best effort */ });
    }

    _fail(message) {
      this._done = true;
      clearInterval(this._timer);
      var box = document.createElement('p');
      box.className = 'error';
      box.setAttribute('role', 'alert');
      var brand = document.createElement('strong');
      brand.textContent = 'inqud';
      box.appendChild(brand);
      box.appendChild(document.createTextNode(message));
      this.shadowRoot.replaceChildren(this.shadowRoot.querySelector('style'), box);
    }
  }

  if (!customElements.get('app-widget')) customElements.define('app-widget', AppWidget);
})();
