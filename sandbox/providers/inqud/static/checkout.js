/*
 * The hosted checkout page: renders the checkout, drives the payer's steps, polls for changes made
 * elsewhere (timers, the control API) and tells an embedding <app-widget> about each status with
 * postMessage. Status words come from the page state (contracts/inqud/enums.json). An ES module
 * over the shared /static/toolkit.js.
 */
import {
  byTestId as $, describeError, make, pageState, postJson, requestJson, setText as text, setTone, setupCopy, show,
  tellEmbedder,
} from "/static/toolkit.js";

const state = pageState();
const S = state.statuses;                       // role -> wire word
const ROLE = {};
Object.keys(S).forEach((role) => { ROLE[S[role]] = role; });
const POLL_MS = 1000;
const TONES = { success: "ok", conflict: "bad", expired: "grey", cancelled: "grey", pendingPayment: "warn",
  waitingPayment: "progress" };
const RESULTS = {
  success: ["Payment received. Thank you!", "ok"],
  conflict: [null, "bad"],
  expired: ["This checkout has expired.", "grey"],
  cancelled: ["This checkout was cancelled.", "grey"],
};
let lastStatus = null;
let busy = false;
let chosenSuggested = null;

function part(name) {
  return document.querySelector('[data-part="' + name + '"]');
}

function toggle(node, on) {
  if (node) node.hidden = !on;
}

function tell(status) {
  tellEmbedder({ source: "inqud-checkout", version: 1, type: "statusChanged", id: state.id, status });
}

function amountLine(c) {
  if (c.type === "FIXED_PRICE") return c.fixedAmount.amount + " " + c.fixedAmount.currency;
  if (c.request && c.request.requestAmount != null) return c.request.requestAmount + " " + c.request.requestAmountIn;
  if (c.type === "SUGGESTED_FIXED_PRICE") return "Choose an amount (" + c.suggestedAmounts.currency + ")";
  return "Any amount";
}

function render() {
  const c = state.checkout;
  const role = ROLE[c.status];
  text("checkout-name", c.name || "Checkout");
  text("project-name", c.projectName);
  setTone("checkout-status", c.status, TONES[role] || "");
  text("checkout-id", c.id);
  text("expires-at", c.expiresAt);
  text("checkout-amount", amountLine(c));
  document.querySelectorAll("[data-step]").forEach((el) => {
    const step = el.getAttribute("data-step");
    toggle(el, step === role || (step === "terminal" && state.terminal));
  });
  toggle(part("end"), role === "new" || role === "waitingPayment");
  const back = $("return");
  if (c.returnUrl) back.href = c.returnUrl;
  toggle(back, Boolean(c.returnUrl) && (state.terminal || role === "new"));
  if (role === "new") renderChoice(c);
  const r = c.request;
  if (r) {
    text("pay-amount", r.payAmount != null ? r.payAmount + " " + r.currency
      : "any amount of " + r.currency + " (" + r.minLimit + " to " + r.maxLimit + ")");
    text("blockchain", r.blockchain);
    text("address", r.address);
    text("window-ends", r.paymentWindowEndsAt);
    text("paid", r.paidAmount != null ? r.paidAmount + " " + r.currency : "");
    text("paid-currency", r.currency);
    toggle(part("paid"), r.payAmount == null);
  }
  const result = RESULTS[role];
  if (result) {
    setTone("result", result[0] || "Payment received with a problem: " + (c.reason || "amount mismatch") + ".", result[1]);
  } else {
    text("result", "");
  }
  if (c.status !== lastStatus) {
    if (lastStatus !== null) tell(c.status);
    lastStatus = c.status;
  }
}

function renderChoice(c) {
  const select = $("currency");
  if (!select.options.length) {
    c.cryptoCurrencies.forEach((code) => {
      const d = c.cryptoCurrencyDetails[code];
      select.appendChild(make("option", { text: d.currency + " · " + d.blockchain + " (" + d.network + ")", attrs: { value: code } }));
    });
  }
  const suggested = c.type === "SUGGESTED_FIXED_PRICE";
  toggle(part("suggested"), suggested);
  toggle(part("amount"), suggested);
  text("amount-currency", suggested ? c.suggestedAmounts.currency : "");
  const chips = $("suggested-amounts");
  if (suggested && !chips.children.length) {
    c.suggestedAmounts.amounts.forEach((amount) => {
      const b = make("button", { text: amount + " " + c.suggestedAmounts.currency,
        attrs: { type: "button", "data-testid": "suggested-" + amount } });
      b.addEventListener("click", () => {
        chosenSuggested = amount;
        $("amount").value = String(amount);
        Array.prototype.forEach.call(chips.children, (x) => x.classList.toggle("chosen", x === b));
      });
      chips.appendChild(b);
    });
  }
  const code = select.value;
  const estimate = c.estimatedPayAmounts[code];
  const unit = c.cryptoCurrencyDetails[code].currency;
  text("estimate", estimate != null ? "You pay about " + estimate + " " + unit
    : (c.minLimits[code] != null ? "Limits: " + c.minLimits[code] + " to " + c.maxLimits[code] + " " + unit : ""));
}

function fail(message) {
  text("error", message);
  show("error", Boolean(message));
}

function setBusy(on) {
  busy = on;
  document.querySelectorAll("button").forEach((b) => { b.disabled = on; });
}

async function post(url, body) {
  setBusy(true);
  const result = await postJson(url, body, 10000);
  fail(result.ok ? "" : describeError(result));
  setBusy(false);
  return refresh();
}

function act(what) {
  if (what === "continue") {
    const amount = $("amount").value.trim();
    return post(state.urls.select, { cryptoCurrency: $("currency").value, amount: amount || chosenSuggested });
  }
  const body = { action: what };
  const paid = $("paid-amount").value.trim();
  if (what === "pay" && paid) body.amount = paid;
  return post(state.urls.actions, body);
}

async function refresh() {
  const result = await requestJson(state.urls.state, { method: "GET" }, 10000);
  if (result.ok && result.body) {
    state.checkout = result.body.checkout;
    state.terminal = result.body.terminal;
    render();
  }
}

document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-do]");
  if (target && !busy) act(target.getAttribute("data-do"));
});
document.addEventListener("change", (event) => { if (event.target.id === "currency") render(); });
setupCopy($("copy-address"), $("address"));
render();
tell(state.checkout.status);
setInterval(() => { if (!busy && !state.terminal) refresh(); }, POLL_MS);
