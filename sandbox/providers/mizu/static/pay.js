/*
 * Mizu hosted pay page (sandbox).
 *
 * Opens a payment on the payment link (status 0) with the page's email and clientReferenceId
 * URL parameters, shows where to send the funds, and offers two buttons: "I have paid" (status 1;
 * the sandbox confirms on-chain after its settlement delay: status 4 and the webhook) and
 * "Let it time out" (status 2, no webhook). It polls the payment so server-side changes show up,
 * and reports each step to the embedding page as
 *   {source: "mizu-pay", version: 1, type, paymentLinkId, paymentId, status, at}
 * with types payReady, paymentMarkedPaid, paymentConfirmed, paymentTimeout, via postMessage to
 * window.parent and window.opener, and to the sandbox's events endpoint (each type once per load).
 *
 * A reload in the same tab keeps its payment (sessionStorage). All data is written with textContent.
 * An ES module over the shared /static/toolkit.js.
 */
import {
  byTestId as el, describeError, formatRemaining, pageState, postJson, reportEvent, requestJson, setText, str,
  tellEmbedder,
} from "/static/toolkit.js";

var POLL_MS = 2000;
var REQUEST_TIMEOUT_MS = 10000;
var NAMES = { 0: "Pending", 1: "Paid, verifying", 2: "Timed out", 4: "Confirmed" };
var TYPE_FOR_STATUS = { 1: "paymentMarkedPaid", 2: "paymentTimeout", 4: "paymentConfirmed" };

var root = el("pay-root");

var state = null;         // {link, params, urls, serverTime}
var payment = null;       // the latest payment seen
var busy = false;
var pollTimer = null;
var generation = 0;       // bumped by each action so older poll answers are dropped
var clockOffsetMs = 0;    // sandbox clock minus browser clock
var emitted = {};
var ready = false;        // payReady goes first; status events follow it

function isTerminal(status) { return status === 2 || status === 4; }

function syncClock(serverTime) {
  var t = Date.parse(str(serverTime));
  if (!isNaN(t)) clockOffsetMs = t - Date.now();
}

function setMessage(text, tone) {
  var n = el("pay-message");
  n.textContent = str(text);
  n.setAttribute("data-tone", tone || "neutral");
}

function messageFor(status) {
  switch (status) {
    case 0: return ["Send exactly the amount above to the address on " + str(state.link.chain) + ", then press \"I have paid\".", "neutral"];
    case 1: return ["Thanks. Waiting for the on-chain confirmation…", "neutral"];
    case 2: return ["The payment window has expired.", "neutral"];
    case 4: return ["Payment confirmed on-chain.", "success"];
    default: return ["Status " + str(status), "neutral"];
  }
}

// ---- rendering ----------------------------------------------------------------------------

function renderLink() {
  var link = state.link;
  setText("pay-title", link.title);
  setText("pay-description", link.description);
  setText("pay-amount", link.amount);
  setText("pay-currency", link.currency);
  setText("pay-chain", link.chain);
  setText("pay-address", link.receiveWalletAddress);
  var email = str(state.params.email), ref = str(state.params.clientReferenceId);
  setText("pay-email", email);
  setText("pay-reference", ref);
  el("pay-email-row").hidden = !email;
  el("pay-reference-row").hidden = !ref;
}

function renderPayment() {
  var status = payment.status;
  var badge = el("pay-status");
  badge.textContent = str(status) + " · " + (NAMES[status] || "Unknown");
  badge.setAttribute("data-status", str(status));
  root.setAttribute("data-status", str(status));
  root.setAttribute("data-payment-id", str(payment.id));
  setText("pay-payment-id", payment.id);
  setText("pay-tx", payment.transactionHash);
  el("pay-tx-row").hidden = !payment.transactionHash;
  renderCountdown();
  updateButtons();
}

function renderCountdown() {
  var node = el("pay-countdown");
  if (!payment || payment.status !== 0) { node.textContent = ""; return; }
  var left = Date.parse(str(payment.expireTime)) - (Date.now() + clockOffsetMs);
  if (isNaN(left)) { node.textContent = ""; return; }
  node.textContent = "Pay within " + formatRemaining(left);
}

function updateButtons() {
  var status = payment ? payment.status : null;
  el("pay-mark-paid").disabled = busy || status !== 0;
  el("pay-timeout").disabled = busy || status !== 0;
  root.setAttribute("data-busy", busy ? "true" : "false");
}

// ---- events -------------------------------------------------------------------------------

function emit(type) {
  if (emitted[type] || !payment) return;
  emitted[type] = true;
  var msg = {
    source: "mizu-pay", version: 1, type: type, paymentLinkId: state.link.id, paymentId: payment.id,
    status: payment.status, at: new Date(Date.now() + clockOffsetMs).toISOString()
  };
  tellEmbedder(msg);
  reportEvent(state.urls.payments + "/" + payment.id + "/events", msg);
  var log = root.getAttribute("data-events");
  root.setAttribute("data-events", log ? log + " " + type : type);
}

function applyPayment(next) {
  if (!next || typeof next !== "object") return;
  if (payment && next.id !== payment.id) return;
  if (payment && isTerminal(payment.status) && next.status !== payment.status) return;
  var changed = !payment || next.status !== payment.status;
  payment = next;
  if (changed) {
    var m = messageFor(payment.status);
    setMessage(m[0], m[1]);
  }
  renderPayment();
  if (ready && TYPE_FOR_STATUS[payment.status]) emit(TYPE_FOR_STATUS[payment.status]);
  if (isTerminal(payment.status) && pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
}

// ---- network ------------------------------------------------------------------------------

function act(action) {
  if (busy || !payment || payment.status !== 0) return;
  busy = true;
  generation += 1;
  updateButtons();
  setMessage("Working…", "neutral");
  postJson(state.urls.payments + "/" + payment.id + "/actions", { action: action }, REQUEST_TIMEOUT_MS).then(function (result) {
    busy = false;
    generation += 1;
    var body = result.body || {};
    if (body.serverTime) syncClock(body.serverTime);
    if (result.ok && body.payment) {
      applyPayment(body.payment);
    } else {
      if (body.error && body.error.payment) applyPayment(body.error.payment);
      setMessage("Could not do that: " + describeError(result), "error");
    }
    updateButtons();
    schedulePoll();
  });
}

function poll() {
  pollTimer = null;
  if (!payment || isTerminal(payment.status)) return;
  if (busy) { schedulePoll(); return; }
  var gen = generation;
  requestJson(state.urls.payments + "/" + payment.id, { method: "GET" }, REQUEST_TIMEOUT_MS).then(function (result) {
    if (gen !== generation) return;
    var body = result.body || {};
    if (body.serverTime) syncClock(body.serverTime);
    if (result.ok && body.payment) applyPayment(body.payment);
  }).then(schedulePoll);
}

function schedulePoll() {
  if (pollTimer || !payment || isTerminal(payment.status)) return;
  pollTimer = setTimeout(poll, POLL_MS);
}

// ---- start --------------------------------------------------------------------------------

function storageKey() {
  return "mizu-pay:" + state.link.id + ":" + str(state.params.email) + ":" + str(state.params.clientReferenceId);
}

function remembered() {
  try { return sessionStorage.getItem(storageKey()); } catch (err) { return null; }
}

function remember(id) {
  try { sessionStorage.setItem(storageKey(), String(id)); } catch (err) { /* private mode */ }
}

function openPayment() {
  var known = remembered();
  var reuse = known
    ? requestJson(state.urls.payments + "/" + encodeURIComponent(known), { method: "GET" }, REQUEST_TIMEOUT_MS)
    : Promise.resolve({ ok: false });
  return reuse.then(function (result) {
    if (result.ok && result.body && result.body.payment) return result;
    var body = {};
    if (str(state.params.email)) body.email = str(state.params.email);
    if (str(state.params.clientReferenceId)) body.clientReferenceId = str(state.params.clientReferenceId);
    return postJson(state.urls.payments, body, REQUEST_TIMEOUT_MS);
  });
}

function start() {
  state = pageState();
  state.params = state.params || {};
  syncClock(state.serverTime);
  renderLink();
  setMessage("Opening the payment…", "neutral");
  el("pay-mark-paid").addEventListener("click", function () { act("paid"); });
  el("pay-timeout").addEventListener("click", function () { act("timeout"); });
  openPayment().then(function (result) {
    var body = result.body || {};
    if (!result.ok || !body.payment) {
      setMessage("This payment could not be opened: " + describeError(result), "error");
      root.setAttribute("data-ready", "error");
      return;
    }
    syncClock(body.serverTime);
    remember(body.payment.id);
    applyPayment(body.payment);
    root.setAttribute("data-ready", "true");
    ready = true;
    emit("payReady");
    if (TYPE_FOR_STATUS[payment.status]) emit(TYPE_FOR_STATUS[payment.status]);
    schedulePoll();
    setInterval(renderCountdown, 1000);
  });
}

try {
  start();
} catch (err) {
  setMessage("This page failed to start: " + str(err && err.message), "error");
  root.setAttribute("data-ready", "error");
}
