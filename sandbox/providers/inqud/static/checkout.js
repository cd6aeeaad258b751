/* The hosted checkout page: renders the checkout, drives the payer's steps, polls for changes
 * made elsewhere (timers, the control API) and tells an embedding <app-widget> about each status
 * with postMessage. Status words come from the page state (contracts/inqud/enums.json). */
(function () {
  'use strict';
  var state = JSON.parse(document.getElementById('checkout-state').textContent);
  var S = state.statuses;                       // role -> wire word
  var ROLE = {};
  Object.keys(S).forEach(function (role) { ROLE[S[role]] = role; });
  var POLL_MS = 1000;
  var lastStatus = null;
  var busy = false;
  var chosenSuggested = null;

  function $(id) { return document.querySelector('[data-testid="' + id + '"]'); }
  function text(id, value) { var el = $(id); if (el) el.textContent = value == null ? '' : String(value); }
  function show(el, on) { if (el) el.hidden = !on; }

  function tell(status) {
    var message = { source: 'inqud-checkout', version: 1, type: 'statusChanged', id: state.id, status: status };
    [window.parent, window.opener].forEach(function (target) {
      if (target && target !== window) { try { target.postMessage(message, '*'); } catch (e) { /* closed */ } }
    });
  }

  function render() {
    var c = state.checkout;
    var role = ROLE[c.status];
    text('checkout-name', c.name || 'Checkout');
    text('project-name', c.projectName);
    text('checkout-status', c.status);
    text('checkout-id', c.id);
    text('expires-at', c.expiresAt);
    if (c.type === 'FIXED_PRICE') text('checkout-amount', c.fixedAmount.amount + ' ' + c.fixedAmount.currency);
    else if (c.request && c.request.requestAmount != null) text('checkout-amount', c.request.requestAmount + ' ' + c.request.requestAmountIn);
    else if (c.type === 'SUGGESTED_FIXED_PRICE') text('checkout-amount', 'Choose an amount (' + c.suggestedAmounts.currency + ')');
    else text('checkout-amount', 'Any amount');
    document.querySelectorAll('[data-step]').forEach(function (el) {
      var step = el.getAttribute('data-step');
      show(el, step === role || (step === 'terminal' && state.terminal));
    });
    show(document.querySelector('[data-part="end"]'), role === 'new' || role === 'waitingPayment');
    var back = $('return');
    if (c.returnUrl) { back.href = c.returnUrl; }
    show(back, Boolean(c.returnUrl) && (state.terminal || role === 'new'));
    if (role === 'new') renderChoice(c);
    var r = c.request;
    if (r) {
      text('pay-amount', r.payAmount != null ? r.payAmount + ' ' + r.currency : 'any amount of ' + r.currency +
        ' (' + r.minLimit + ' to ' + r.maxLimit + ')');
      text('blockchain', r.blockchain);
      text('address', r.address);
      text('window-ends', r.paymentWindowEndsAt);
      text('paid', r.paidAmount != null ? r.paidAmount + ' ' + r.currency : '');
      text('paid-currency', r.currency);
      show(document.querySelector('[data-part="paid"]'), r.payAmount == null);
    }
    var results = { success: 'Payment received. Thank you!', conflict: 'Payment received with a problem: ' +
      (c.reason || 'amount mismatch') + '.', expired: 'This checkout has expired.', cancelled: 'This checkout was cancelled.' };
    text('result', results[role] || '');
    if (c.status !== lastStatus) {
      if (lastStatus !== null) tell(c.status);
      lastStatus = c.status;
    }
  }

  function renderChoice(c) {
    var select = $('currency');
    if (!select.options.length) {
      c.cryptoCurrencies.forEach(function (code) {
        var d = c.cryptoCurrencyDetails[code];
        var option = document.createElement('option');
        option.value = code;
        option.textContent = d.currency + ' · ' + d.blockchain + ' (' + d.network + ')';
        select.appendChild(option);
      });
    }
    var suggested = c.type === 'SUGGESTED_FIXED_PRICE';
    show(document.querySelector('[data-part="suggested"]'), suggested);
    show(document.querySelector('[data-part="amount"]'), suggested);
    text('amount-currency', suggested ? c.suggestedAmounts.currency : '');
    var chips = $('suggested-amounts');
    if (suggested && !chips.children.length) {
      c.suggestedAmounts.amounts.forEach(function (amount) {
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = amount + ' ' + c.suggestedAmounts.currency;
        b.setAttribute('data-testid', 'suggested-' + amount);
        b.addEventListener('click', function () {
          chosenSuggested = amount;
          $('amount').value = String(amount);
          Array.prototype.forEach.call(chips.children, function (x) { x.classList.toggle('chosen', x === b); });
        });
        chips.appendChild(b);
      });
    }
    var code = select.value;
    var estimate = c.estimatedPayAmounts[code];
    text('estimate', estimate != null ? 'You pay about ' + estimate + ' ' + c.cryptoCurrencyDetails[code].currency
      : (c.minLimits[code] != null ? 'Limits: ' + c.minLimits[code] + ' to ' + c.maxLimits[code] + ' ' +
        c.cryptoCurrencyDetails[code].currency : ''));
  }

  function fail(message) { var el = $('error'); el.textContent = message; show(el, Boolean(message)); }

  function post(url, body) {
    busy = true;
    document.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
    return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) {
        return res.json().then(function (data) {
          if (!res.ok) throw new Error(data.message || ('HTTP ' + res.status));
          fail('');
        });
      })
      .catch(function (err) { fail(err.message); })
      .then(function () { busy = false; document.querySelectorAll('button').forEach(function (b) { b.disabled = false; }); return refresh(); });
  }

  function act(what) {
    if (what === 'continue') {
      var amount = $('amount').value.trim();
      return post(state.urls.select, { cryptoCurrency: $('currency').value, amount: amount || chosenSuggested });
    }
    var body = { action: what };
    var paid = $('paid-amount').value.trim();
    if (what === 'pay' && paid) body.amount = paid;
    return post(state.urls.actions, body);
  }

  function refresh() {
    return fetch(state.urls.state, { cache: 'no-store' })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (fresh) { if (fresh) { state.checkout = fresh.checkout; state.terminal = fresh.terminal; render(); } })
      .catch(function () { /* try again on the next tick */ });
  }

  document.addEventListener('click', function (event) {
    var target = event.target.closest('[data-do]');
    if (target && !busy) act(target.getAttribute('data-do'));
  });
  document.addEventListener('change', function (event) { if (event.target.id === 'currency') render(); });
  render();
  tell(state.checkout.status);
  setInterval(function () { if (!busy && !state.terminal) refresh(); }, POLL_MS);
})();
