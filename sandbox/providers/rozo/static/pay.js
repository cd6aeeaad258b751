/*
 * The sandbox's ROZO pay page: renders a payment, drives it with the two buttons, follows its
 * status, and posts {source: "rozo-pay", type, paymentId, status} to window.parent and
 * window.opener with the ROZO SDK callbacks' names. Each message is posted once per payment and
 * also reported to the server, which checks it against contracts/rozo/browser/pay-event.
 */
(function () {
  "use strict";

  var POLL_MS = 500;
  var EVENT_FOR_STATUS = {
    payment_started: "paymentStarted",
    payment_payin_completed: "paymentCompleted",
    payment_payout_completed: "payoutCompleted",
    payment_bounced: "paymentBounced"
  };
  // Statuses a payment passes through in order: reaching a later one implies the earlier events.
  var PATH = ["payment_unpaid", "payment_started", "payment_payin_completed", "payment_payout_completed",
              "payment_completed"];
  var FINAL = { payment_completed: true, payment_bounced: true, payment_expired: true, payment_refunded: true };

  var state = JSON.parse(document.getElementById("pay-state").textContent);
  var payment = state.payment;
  var posted = {};
  var busy = false;

  function $(id) { return document.querySelector('[data-testid="' + id + '"]'); }

  function post(type) {
    if (posted[type]) { return; }
    posted[type] = true;
    var msg = { source: "rozo-pay", type: type, paymentId: payment.id, status: payment.status };
    [window.parent !== window ? window.parent : null, window.opener].forEach(function (target) {
      if (!target) { return; }
      try { target.postMessage(msg, "*"); } catch (err) { console.error("rozo-pay: postMessage failed", err); }
    });
    var item = document.createElement("li");
    item.textContent = type + " (" + payment.status + ")";
    $("events").appendChild(item);
    fetch(state.urls.events, { method: "POST", headers: { "Content-Type": "application/json" },
                               body: JSON.stringify(msg) }).catch(function () { /* best effort */ });
  }

  function announce() {
    // Walk the path up to the current status, so a page opened late (or a missed poll) still
    // reports every step in order.
    var at = PATH.indexOf(payment.status);
    for (var i = 1; i <= at && i < PATH.length; i++) {
      if (EVENT_FOR_STATUS[PATH[i]]) { post(EVENT_FOR_STATUS[PATH[i]]); }
    }
    if (payment.status === "payment_bounced") { post("paymentBounced"); }
  }

  function render() {
    var src = payment.source, dst = payment.destination;
    $("title").textContent = payment.display.title;
    $("description").textContent = payment.display.description || "";
    $("amount").textContent = src.amount;
    $("token").textContent = src.tokenSymbol;
    $("status").textContent = payment.status;
    $("status").setAttribute("data-status", payment.status);
    $("source-chain").textContent = state.view.sourceChain + " (" + src.chainId + ")";
    $("deposit-address").textContent = src.receiverAddress;
    var memoRows = document.querySelectorAll(".memo-row");
    memoRows.forEach(function (el) { el.hidden = !src.receiverMemo; });
    $("deposit-memo").textContent = src.receiverMemo || "";
    $("fee").textContent = (src.fee || "0") + " " + src.tokenSymbol;
    $("destination").textContent = dst.amount + " " + dst.tokenSymbol + " on " + state.view.destinationChain +
      " → " + dst.receiverAddress;
    $("expires").textContent = payment.expiresAt;
    $("source-tx").textContent = src.txHash || "—";
    $("destination-tx").textContent = dst.txHash || "—";
    document.querySelectorAll(".error-row").forEach(function (el) { el.hidden = !payment.errorCode; });
    $("error-code").textContent = payment.errorCode ? payment.errorCode + ": " + (payment.errorMessage || "") : "";
    var canPay = payment.status === "payment_unpaid";
    var canBounce = ["payment_unpaid", "payment_started", "payment_payin_completed"].indexOf(payment.status) >= 0;
    $("send-payin").disabled = busy || !canPay;
    $("bounce").disabled = busy || !canBounce;
    $("bounce-code").disabled = busy || !canBounce;
  }

  function update(next) {
    payment = next;
    render();
    announce();
  }

  function act(body) {
    busy = true;
    $("error").textContent = "";
    render();
    return fetch(state.urls.actions, { method: "POST", headers: { "Content-Type": "application/json" },
                                       body: JSON.stringify(body) })
      .then(function (res) { return res.json().then(function (data) { return { ok: res.ok, data: data }; }); })
      .then(function (r) {
        if (!r.ok) { throw new Error((r.data.error && r.data.error.message) || "request failed"); }
        update(r.data.payment);
      })
      .catch(function (err) { $("error").textContent = err.message; })
      .then(function () { busy = false; render(); });
  }

  function poll() {
    if (FINAL[payment.status]) { return; }
    fetch(state.urls.state, { cache: "no-store" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) { if (data && data.payment && !busy) { update(data.payment); } })
      .catch(function () { /* keep polling */ })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  state.view.errorCodes.forEach(function (code) {
    var option = document.createElement("option");
    option.value = code;
    option.textContent = code;
    $("bounce-code").appendChild(option);
  });
  $("send-payin").addEventListener("click", function () { act({ action: "payin" }); });
  $("bounce").addEventListener("click", function () {
    act({ action: "bounce", errorCode: $("bounce-code").value });
  });
  update(payment);
  setTimeout(poll, POLL_MS);
}());
