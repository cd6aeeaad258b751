/*
 * The sandbox's ROZO pay page: renders a payment, drives it with the two buttons, follows its
 * status, and posts {source: "rozo-pay", type, paymentId, status} to window.parent and
 * window.opener with the ROZO SDK callbacks' names. Each message is posted once per payment and
 * also reported to the server, which checks it against contracts/rozo/browser/pay-event.
 */
import {
  byTestId as $, describeError, make, pageState, postJson, reportEvent, requestJson, setText, tellEmbedder,
} from "/static/toolkit.js";

const POLL_MS = 500;
const EVENT_FOR_STATUS = {
  payment_started: "paymentStarted",
  payment_payin_completed: "paymentCompleted",
  payment_payout_completed: "payoutCompleted",
  payment_bounced: "paymentBounced",
};
// Statuses a payment passes through in order: reaching a later one implies the earlier events.
const PATH = ["payment_unpaid", "payment_started", "payment_payin_completed", "payment_payout_completed",
  "payment_completed"];
const FINAL = { payment_completed: true, payment_bounced: true, payment_expired: true, payment_refunded: true };

const state = pageState();
let payment = state.payment;
const posted = {};
let busy = false;

function post(type) {
  if (posted[type]) return;
  posted[type] = true;
  const msg = { source: "rozo-pay", type, paymentId: payment.id, status: payment.status };
  tellEmbedder(msg);
  $("events").appendChild(make("li", { text: type + " (" + payment.status + ")" }));
  reportEvent(state.urls.events, msg);
}

function announce() {
  // Walk the path up to the current status, so a page opened late (or a missed poll) still
  // reports every step in order.
  const at = PATH.indexOf(payment.status);
  for (let i = 1; i <= at && i < PATH.length; i++) {
    if (EVENT_FOR_STATUS[PATH[i]]) post(EVENT_FOR_STATUS[PATH[i]]);
  }
  if (payment.status === "payment_bounced") post("paymentBounced");
}

function render() {
  const src = payment.source;
  const dst = payment.destination;
  setText("title", payment.display.title);
  setText("description", payment.display.description || "");
  setText("amount", src.amount);
  setText("token", src.tokenSymbol);
  setText("status", payment.status).setAttribute("data-status", payment.status);
  setText("source-chain", state.view.sourceChain + " (" + src.chainId + ")");
  setText("deposit-address", src.receiverAddress);
  document.querySelectorAll(".memo-row").forEach((el) => { el.hidden = !src.receiverMemo; });
  setText("deposit-memo", src.receiverMemo || "");
  setText("fee", (src.fee || "0") + " " + src.tokenSymbol);
  setText("destination", dst.amount + " " + dst.tokenSymbol + " on " + state.view.destinationChain + " → " +
    dst.receiverAddress);
  setText("expires", payment.expiresAt);
  setText("source-tx", src.txHash || "—");
  setText("destination-tx", dst.txHash || "—");
  document.querySelectorAll(".error-row").forEach((el) => { el.hidden = !payment.errorCode; });
  setText("error-code", payment.errorCode ? payment.errorCode + ": " + (payment.errorMessage || "") : "");
  const canPay = payment.status === "payment_unpaid";
  const canBounce = ["payment_unpaid", "payment_started", "payment_payin_completed"].indexOf(payment.status) >= 0;
  $("send-payin").disabled = busy || !canPay;
  $("bounce").disabled = busy || !canBounce;
  $("bounce-code").disabled = busy || !canBounce;
}

function update(next) {
  payment = next;
  render();
  announce();
}

async function act(body) {
  busy = true;
  setText("error", "");
  render();
  const result = await postJson(state.urls.actions, body);
  if (result.ok && result.body && result.body.payment) update(result.body.payment);
  else setText("error", describeError(result));
  busy = false;
  render();
}

async function poll() {
  if (FINAL[payment.status]) return;
  const result = await requestJson(state.urls.state, { method: "GET" }, 10000);
  if (result.ok && result.body && result.body.payment && !busy) update(result.body.payment);
  setTimeout(poll, POLL_MS);
}

state.view.errorCodes.forEach((code) => {
  $("bounce-code").appendChild(make("option", { text: code, attrs: { value: code } }));
});
$("send-payin").addEventListener("click", () => act({ action: "payin" }));
$("bounce").addEventListener("click", () => act({ action: "bounce", errorCode: $("bounce-code").value }));
update(payment);
setTimeout(poll, POLL_MS);
