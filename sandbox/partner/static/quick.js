/*
 * The simple simulator pages (ROZO, Inqud, Mizu): one run from the form to the durable webhook
 * receipt, in the LIQX pages' style and with the same state machine
 * idle → creating → created_or_terminal → polling_webhook → webhook_observed | error.
 *
 * The form goes to the demo proxy (which holds the provider's key), the provider's hosted page is
 * embedded as soon as the API accepted, and the built-in receiver is read every 3 s. Only a final
 * webhook's receipt with a valid signature (Mizu: unsigned, as documented) completes the proof; a
 * bad-signature rehearsal concludes when its receipt is read back unverified.
 */
import {
  byTestId, clock, make, pageState, pretty, renderKv, requestJson, setText, setTone, show, str,
} from "/static/toolkit.js";
import { explainIfOverdue, lockForm, newReference, step } from "./run.js";

const config = pageState();
const POLL_MS = 3000;
const root = byTestId("simulator");
const form = byTestId("request-form");
let run = null;   // {match, objectId, rehearsal, trackedAt, observed, overdue, timer, frame}
let path = ["idle"];

function setMachine(next) {
  if (path[path.length - 1] !== next) path.push(next);
  root.setAttribute("data-state", next);
  root.setAttribute("data-path", path.join(" "));
}

// ---- the proof ------------------------------------------------------------------------------

function signatureText(row) {
  if (row.signature_valid === true) return "signature valid";
  if (row.signature_valid === false) return "signature INVALID";
  return "unsigned";
}

/** A receipt counts as proof when its signature verified, or the provider does not sign at all. */
function trusted(row) {
  return row.signature_valid === true || (row.signature_valid === null && !config.signed);
}

function renderReceipts(rows) {
  const box = byTestId("receipts");
  box.textContent = "";
  rows.forEach((row) => {
    const card = make("article", { className: "row-card", attrs: { "data-testid": "receipt", "data-type": str(row.type) } });
    const head = make("div", { className: "row-head" });
    head.appendChild(make("span", { text: row.type, attrs: { "data-testid": "receipt-type" } }));
    head.appendChild(make("span", { className: "badge", text: signatureText(row),
      attrs: { "data-tone": trusted(row) ? "ok" : "bad", "data-testid": "receipt-signature" } }));
    card.appendChild(head);
    const dl = make("dl", { className: "kv" });
    renderKv(dl, [["event_id", row.event_id], ["received_at", row.received_at],
      ["deliveries", row.deliveries + " (" + row.duplicates + " duplicates)"]]);
    card.appendChild(dl);
    box.appendChild(card);
  });
}

function proofMessage(state, text) {
  byTestId("webhook-panel").setAttribute("data-state", state);
  setText("webhook-message", text);
}

function conclude(row, rejected) {
  run.observed = row;
  show("webhook-overdue", false);
  if (rejected) {
    proofMessage("rejected", "Rejected as it should be: the " + row.type + " receipt was read back with " +
      "signature_valid=false, so the receiver does not count it as proof. The bad-signature rehearsal passed.");
    setTone("webhook-badge", "rejected as it should be", "ok");
    step("webhook", "done", "Rejected as it should be: receipt #" + row.receipt_id + " failed verification.");
  } else {
    proofMessage("observed", "Durable receipt read back: " + row.type + " (" + signatureText(row) + "), event " +
      row.event_id + ".");
    setTone("webhook-badge", "observed", "ok");
    step("webhook", "done", "Webhook delivered: " + row.type + " receipt #" + row.receipt_id + " read back from " +
      config.receipts + ".");
  }
  setMachine("webhook_observed");
  setText("status-line", rejected ? "Rehearsal concluded: the badly signed webhook was rejected as it should be."
    : "Webhook delivered: the durable " + row.type + " receipt for " + run.objectId + " was read back.");
}

async function poll(current, reads) {
  if (run !== current) return;
  const query = new URLSearchParams(Object.assign({ limit: "20" }, current.match));
  const result = await requestJson(config.receipts + "?" + query.toString(), { method: "GET" }, 10000);
  if (run !== current) return;
  if (result.ok && result.body && Array.isArray(result.body.data)) {
    const rows = result.body.data;
    renderReceipts(rows);
    if (!current.observed) {
      const proof = rows.find((row) => config.final_types.indexOf(row.type) !== -1 && trusted(row));
      const rejected = current.rehearsal === "webhook-bad-signature" && rows.find((row) => row.signature_valid === false);
      if (proof) conclude(proof, false);
      else if (rejected) conclude(rejected, true);
      else proofMessage("polling", (rows.length ? rows.length + " receipt(s) so far, none final yet" : "No durable " +
        "receipt matched yet") + " (read " + reads + " at " + clock() + "; next in 3s).");
    }
  } else if (!current.observed) {
    proofMessage("polling", "Reading the receiver failed (" + str(result.error || "HTTP " + result.status) + "); retrying in 3s.");
  }
  explainIfOverdue(current, config.provider, () => run);
  current.timer = setTimeout(() => poll(current, reads + 1), POLL_MS);
}

// ---- the run --------------------------------------------------------------------------------

function onMessage(event) {
  if (!run || !run.frame || event.source !== run.frame.contentWindow || event.origin !== location.origin) return;
  const data = event.data || {};
  const type = str(data.type);
  if (!type) return;
  byTestId("browser-events").appendChild(make("li", { text: clock() + " " + type + " · status " + str(data.status),
    attrs: { "data-testid": "browser-event", "data-type": type } }));
  setTone("widget-badge", type, "progress");
  step("page", "done", "The hosted page reported " + type + " (local, not proof).");
}

function mountPage(payPath) {
  const container = byTestId("widget-container");
  container.textContent = "";
  const frame = make("iframe", { attrs: { src: payPath, title: config.page_label, "data-testid": "hosted-frame" } });
  frame.style.cssText = "width:100%;height:700px;border:0;display:block";
  container.appendChild(frame);
  run.frame = frame;
  const link = byTestId("open-hosted");
  link.href = payPath;
  link.hidden = false;
  show("widget-empty", false);
  setTone("widget-badge", "open", "progress");
  step("page", "active", config.page_label + " opened: pay there, then wait for the webhook.");
}

async function create(event) {
  event.preventDefault();
  if (run) return;
  const body = {};
  config.fields.forEach(([name]) => { body[name] = str(form.elements.namedItem(name).value).trim(); });
  const rehearsal = str(byTestId("webhook-scenario").value);
  run = { match: null, objectId: null, rehearsal, trackedAt: null, observed: null, overdue: false, timer: null, frame: null };
  lockForm(form, true);
  setMachine("creating");
  step("request", "active", "Sending POST " + config.proxy + "…");
  setTone("response-badge", "waiting", "progress");
  const headers = rehearsal ? { "X-Sandbox-Scenario": rehearsal } : {};
  const result = await requestJson(config.proxy, { method: "POST", headers, json: body }, 60000);
  step("request", "done", "Sent at " + clock() + " through the demo proxy.");
  const envelope = result.body && typeof result.body === "object" && "upstream" in result.body ? result.body : null;
  show("response-empty", false);
  show("response-summary", true);
  setText("raw-api-response", pretty(envelope || result.text));
  const call = envelope ? envelope.upstream : {};
  if (!envelope || envelope.error) {
    const message = envelope ? envelope.error.message : (result.error || "HTTP " + result.status);
    setText("response-error", "Upstream error: " + message);
    show("response-error", true);
    setTone("response-badge", "HTTP " + str(call.status || result.status), "bad");
    step("api", "failed", "Not accepted: " + message);
    setMachine("error");
    setText("status-line", "Upstream error: " + message);
    return;
  }
  const answer = call.body || {};
  renderKv(byTestId("response-facts"), [
    ["upstream", "HTTP " + call.status + " in " + call.duration_ms + " ms", "response-http"],
    [config.object_label, envelope.object_id, "response-object-id", "id"],
    ["status", answer.status === undefined ? null : str(answer.status), "response-status"],
    ["hosted page", envelope.pay_path, "response-pay-path"],
  ]);
  setTone("response-badge", call.status + " accepted", "ok");
  step("api", "done", "Accepted: " + config.object_label + " " + envelope.object_id + ".");
  run.objectId = envelope.object_id;
  run.match = envelope.match;
  setMachine("created_or_terminal");
  mountPage(envelope.pay_path);
  setMachine("polling_webhook");
  step("webhook", "active", "Polling " + config.receipts + " every 3s by " + Object.keys(run.match)[0] + " " +
    Object.values(run.match)[0] + ".");
  setTone("webhook-badge", "polling every 3s", "progress");
  setText("status-line", "Accepted " + envelope.object_id + "; pay on the hosted page, then wait for the webhook.");
  run.trackedAt = Date.now();
  poll(run, 1);
}

function resetRun() {
  if (run && run.timer) clearTimeout(run.timer);
  run = null;
  path = ["idle"];
  setMachine("idle");
  config.steps.forEach(([key, , line]) => step(key, "pending", line));
  ["response-summary", "response-error", "webhook-overdue", "open-hosted"].forEach((id) => show(id, false));
  show("response-empty", true);
  show("widget-empty", true);
  byTestId("widget-container").textContent = "";
  byTestId("browser-events").textContent = "";
  byTestId("receipts").textContent = "";
  setTone("response-badge", "not sent", "");
  setTone("widget-badge", "idle", "");
  setTone("webhook-badge", "not observed yet", "");
  proofMessage("idle", "Create a payment first.");
  setText("status-line", "Ready to create a payment.");
  newReference(form);
  lockForm(form, false);
}

window.addEventListener("message", onMessage);
form.addEventListener("submit", create);
byTestId("new-run").addEventListener("click", resetRun);
newReference(form);
setMachine("idle");
root.setAttribute("data-ready", "true");
