/*
 * Partner CRM simulator (seeds 000/001): one PAYIN or PAYOUT run from the request form to the
 * durable webhook receipt.
 *
 * The page posts the form to the local demo proxy (which holds the LIQX key), renders the
 * proxy's envelope as the response proof, embeds the widget through the LIQX SDK as soon as the
 * API accepted, and polls the durable receiver for the webhook. Its state machine is
 * idle → creating → created_or_terminal → polling_webhook → webhook_observed | error.
 */
import {
  byTestId, clock, make, pageState, pretty, renderKv, requestJson, setText, setTone, show, str,
} from "/static/toolkit.js";
import { createReceiptWatch, renderHistory, renderProof } from "./receipts.js";
import { explainIfOverdue, lockForm as lockRunForm, newReference as freshReference, step } from "./run.js";

const config = pageState();
const PAYOUT = config.kind === "PAYOUT";
const root = byTestId("simulator");
const form = byTestId("request-form");
const steps = {};
config.steps.forEach(([key, , line]) => { steps[key] = line; });

let machine = "idle";
let path = ["idle"];
let run = null;       // {payload, envelope, intentId, externalRef, widget, observed, rehearsal, trackedAt, overdue}

// ---- state machine and steps ----------------------------------------------------------------

function setMachine(next) {
  machine = next;
  if (path[path.length - 1] !== next) path.push(next);
  root.setAttribute("data-state", next);
  const list = byTestId("state-machine");
  list.setAttribute("data-state", next);
  list.querySelectorAll("li").forEach((li) => {
    const state = li.getAttribute("data-state");
    li.classList.toggle("current", state === next);
    li.classList.toggle("visited", path.indexOf(state) !== -1);
    if (state === next) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  });
  setText("state-history", path.join(" → "));
}

function status(line) {
  setText("status-line", line);
}

// ---- the request form ---------------------------------------------------------------------

function fieldValue(name) {
  const input = form.elements.namedItem(name);
  return input ? str(input.value).trim() : "";
}

function scenario() {
  const chosen = document.querySelector('input[name="scenario"]:checked');
  const name = chosen ? chosen.value : "VERIFIED";
  return (config.scenarios || []).find((s) => s[0] === name) || null;
}

function webhookScenario() {
  return str(byTestId("webhook-scenario").value);
}

function placeholder(name) {
  const input = form.elements.namedItem(name);
  return input ? str(input.getAttribute("placeholder")) : "";
}

/** The body the proxy receives (blank optional PAYOUT fields stay blank: LIQX fills them). */
function buildPayload() {
  const payload = {};
  config.payload_order.forEach((name) => {
    payload[name] = name === "scenario" ? (scenario() || ["VERIFIED"])[0] : fieldValue(name);
  });
  return payload;
}

/** The preview shows blank optional fields the way the seed does: by what LIQX will do with them. */
function previewPayload() {
  const payload = buildPayload();
  Object.keys(payload).forEach((name) => {
    if (payload[name] === "" && placeholder(name)) payload[name] = placeholder(name);
  });
  return payload;
}

function renderDraft() {
  const p = buildPayload();
  const rows = [];
  if (PAYOUT) {
    const s = scenario();
    rows.push(["scenario", s ? s[1] : p.scenario, "summary-scenario"]);
    rows.push(["external_ref", p.external_ref || placeholder("external_ref"), "summary-external_ref"]);
    rows.push(["external_user_id", p.external_user_id || placeholder("external_user_id"), "summary-external_user_id"]);
    rows.push(["legal_name", p.legal_name, "summary-legal_name"]);
    rows.push(["user_email", p.user_email, "summary-user_email"]);
    rows.push(["return_url", p.return_url, "summary-return_url"]);
    rows.push(["expected webhook", s ? s[3] : config.expected_webhook, "summary-expected"]);
    setText("scenario-badge", s ? s[2] : config.scenario_badge);
  } else {
    rows.push(["external_ref", p.external_ref, "summary-external_ref"]);
    rows.push(["external_user_id", p.external_user_id, "summary-external_user_id"]);
    rows.push(["amount", p.amount_krw + " KRW, " + p.amount_usdt + " USDT", "summary-amount"]);
    rows.push(["depositor_name", p.depositor_name, "summary-depositor_name"]);
  }
  if (webhookScenario()) rows.push(["webhook rehearsal", webhookScenario(), "summary-webhook-scenario"]);
  renderKv(byTestId("request-summary"), rows);
  setText("payload-preview", pretty(previewPayload()));
}

function newReference() {
  freshReference(form);
}

function lockForm(locked) {
  lockRunForm(form, locked, Array.from(document.querySelectorAll('input[name="scenario"]')).concat(
    [byTestId("webhook-scenario")]));
}

// ---- the run ------------------------------------------------------------------------------

const watch = createReceiptWatch({
  onProof(row, matchedBy, polls) {
    if (!run) return;
    const data = (row.body && row.body.data) || {};
    const first = !run.observed;
    run.observed = row;
    renderProof("observed", "Durable receipt read back: " + row.type + " (phase " + str(data.phase) + ", status " +
      str(data.status) + ") matched by " + matchedBy + " after " + polls + (polls === 1 ? " read." : " reads."), row, matchedBy);
    step("webhook", "done", "Webhook delivered: " + row.type + " receipt #" + row.receipt_id + " read back from " +
      "/api/webhooks/liqx/events (" + row.deliveries + (row.deliveries === 1 ? " delivery" : " deliveries") + ").");
    if (first) {
      setMachine("webhook_observed");
      status("Webhook delivered: the durable " + row.type + " receipt for " + str(row.intent_id) + " was read back.");
    }
  },
  onUnverified(row, matchedBy, polls) {
    if (!run || run.observed) return;
    if (run.rehearsal === "webhook-bad-signature") {
      concludeRejected(row, matchedBy, polls);
      return;
    }
    maybeOverdue();
    renderProof("unverified", "A receipt for this run is stored, but its signature did not verify, so it is not " +
      "proof (read " + polls + "). Still polling for a correctly signed delivery.", row, matchedBy);
  },
  onNoMatch(polls) {
    if (!run || run.observed) return;
    const ids = "intent_id " + (run.intentId || "—") + (run.externalRef ? " or external_ref " + run.externalRef : "");
    renderProof("polling", "No durable receipt matched " + ids + " yet (read " + polls + " at " + clock() +
      "; next in 3s).", null, null);
    maybeOverdue();
  },
  onReadError(message) {
    if (!run || run.observed) return;
    renderProof("polling", "Reading the receiver failed (" + message + "); retrying in 3s.", null, null);
    maybeOverdue();
  },
});

/** The bad-signature rehearsal ends when its receipt is read back unverified: that is the receiver rejecting it. */
function concludeRejected(row, matchedBy, polls) {
  run.observed = row;
  showOverdue(false);
  renderProof("rejected", "Rejected as it should be: the receipt for this run was read back with " +
    "signature_valid=false after " + polls + (polls === 1 ? " read" : " reads") + ", so the receiver does not " +
    "count it as proof. The bad-signature rehearsal passed.", row, matchedBy);
  step("webhook", "done", "Rejected as it should be: " + row.type + " receipt #" + row.receipt_id +
    " failed signature verification (webhook-bad-signature rehearsal).");
  setMachine("webhook_observed");
  status("Rehearsal concluded: the badly signed " + row.type + " for " + str(row.intent_id) +
    " was rejected as it should be.");
}

function showOverdue(visible) {
  show("webhook-overdue", visible);
}

function maybeOverdue() {
  explainIfOverdue(run, "liqx", () => run);
}

function describeError(error) {
  if (!error) return "";
  const parts = [];
  if (error.status) parts.push("HTTP " + error.status);
  if (error.code) parts.push(error.code);
  let text = parts.join(" ") + (parts.length ? " — " : "") + str(error.message);
  if (error.reason) text += " (reason " + error.reason + ")";
  return text;
}

function renderResponse(result) {
  const envelope = result.body && typeof result.body === "object" && "upstream" in result.body ? result.body : null;
  show("response-empty", false);
  show("response-summary", true);
  const panel = byTestId("response-panel");
  const errorBox = byTestId("response-error");
  errorBox.textContent = "";
  if (!envelope) {
    const message = result.error ? "The demo proxy could not be reached: " + result.error
      : "The demo proxy answered HTTP " + result.status + " without an envelope.";
    setText("response-summary-line", message);
    errorBox.appendChild(make("strong", { text: "Proxy error" }));
    errorBox.appendChild(make("div", { text: result.text ? result.text.slice(0, 2000) : message }));
    errorBox.hidden = false;
    setTone("response-badge", result.status ? "HTTP " + result.status : "no answer", "bad");
    panel.setAttribute("data-state", "error");
    return null;
  }
  const create = envelope.upstream.create || {};
  const error = envelope.error;
  setText("response-summary-line", envelope.summary);
  if (error) {
    errorBox.appendChild(make("strong", { text: "Upstream error (" + error.stage + ")" }));
    errorBox.appendChild(make("div", { text: describeError(error), attrs: { "data-testid": "response-error-text" } }));
    if (error.details && error.details.length) {
      const list = make("ul");
      error.details.forEach((d) => list.appendChild(make("li", { text: str(d.field) + ": " + str(d.issue) })));
      errorBox.appendChild(list);
    }
    errorBox.hidden = false;
  } else {
    errorBox.hidden = true;
  }
  const intent = envelope.intent || {};
  const session = envelope.session || {};
  renderKv(byTestId("response-facts"), [
    ["upstream", create.status ? "HTTP " + create.status + " in " + create.duration_ms + " ms" : "no answer", "response-http"],
    ["intent_id", envelope.intent_id, "response-intent-id"],
    ["status", intent.status || null, "response-status"],
    ["external_ref", envelope.external_ref, "response-external-ref"],
    ["amount", intent.amount_krw ? intent.amount_krw + " KRW, " + intent.amount_usdt + " USDT" : null],
    ["failure_reason", intent.failure_reason || null, "response-failure-reason"],
    ["expires_at", intent.expires_at || null],
    ["widget session", session.session_id || null, "response-session-id"],
    ["session expires_at", session.expires_at || null],
    ["API status now", null, "response-api-status"],
  ]);
  const label = error ? (create.status ? create.status + " " + str(error.code || error.kind) : str(error.kind))
    : str(create.status) + " accepted";
  setTone("response-badge", label, error ? "bad" : "ok");
  panel.setAttribute("data-state", error ? "error" : "accepted");
  setText("raw-api-response", pretty({ create: create, widget_session: envelope.upstream.session, lookup: envelope.upstream.lookup }));
  show("raw-api-response", true);
  show("api-empty", false);
  setText("session-envelope", pretty(envelope));
  show("session-envelope", true);
  show("envelope-empty", false);
  return envelope;
}

async function refreshIntent() {
  if (!run || !run.intentId) return;
  const result = await requestJson("/partner/api/liqx/intents/" + encodeURIComponent(run.intentId), { method: "GET" });
  const intent = result.body && result.body.intent;
  const dl = byTestId("response-facts");
  if (!intent || !dl) return;
  let node = byTestId("response-api-status");
  if (!node) {
    dl.appendChild(make("dt", { text: "API status now" }));
    node = make("dd", { attrs: { "data-testid": "response-api-status" } });
    dl.appendChild(node);
  }
  node.textContent = intent.status + (intent.failure_reason ? " (" + intent.failure_reason + ")" : "") +
    " — read back via GET at " + clock() + "; local evidence, not webhook proof";
}

function logEvent(event) {
  const list = byTestId("browser-events");
  list.appendChild(make("li", { text: clock() + " " + event.type + " · status " + str(event.status) + " · " + str(event.intent_id),
    attrs: { "data-testid": "browser-event", "data-type": str(event.type) } }));
}

const WIDGET_EVENTS = {
  PAYIN_COMPLETED: ["done", "ok", "PAYIN_COMPLETED received from the widget (local result, not durable proof)."],
  PAYIN_REJECTED: ["failed", "bad", "PAYIN_REJECTED received from the widget; the durable failure proof is transaction.failed."],
  PAYOUT_CLAIMED: ["done", "ok", "PAYOUT_CLAIMED received from the widget (SDK onPayoutClaimed); settlement completes the payout and transaction.completed is the durable proof."],
  PAYOUT_REJECTED: ["failed", "bad", "PAYOUT_REJECTED received from the widget (SDK onPayoutRejected); durable failure proof remains transaction.failed."],
  WIDGET_EXPIRED: ["failed", "warn", "WIDGET_EXPIRED received from the widget; durable proof is transaction.expired."],
};

function onWidgetEvent(event) {
  if (!run) return;
  logEvent(event);
  const known = WIDGET_EVENTS[event.type];
  if (event.type === "WIDGET_READY") {
    setTone("widget-badge", "ready", "progress");
    return;
  }
  if (!known) return;
  step("widget", known[0], known[2]);
  setTone("widget-badge", event.type, known[1]);
  byTestId("widget-panel").setAttribute("data-state", event.type);
  refreshIntent();
}

function mountWidget(session) {
  const container = byTestId("widget-container");
  container.textContent = "";
  show("widget-empty", false);
  try {
    run.widget = window.LIQXWidget.mount(container, {
      sessionToken: session.session_token,
      height: 640,
      onEvent: onWidgetEvent,
    });
    fitFrame(run.widget.iframe);
    setTone("widget-badge", "open", "progress");
    byTestId("widget-panel").setAttribute("data-state", "open");
    step("widget", "active", "Widget session " + session.session_id + " opened through the LIQX SDK; drive the widget, then wait for the webhook.");
  } catch (err) {
    showWidgetError("The LIQX SDK could not mount the widget: " + str(err && err.message));
  }
}

/**
 * Size the iframe to the widget's content so nothing inside it is cut off. This only works while
 * the widget is served from this page's origin (as in the sandbox); otherwise the SDK's fixed
 * height stays.
 */
function fitFrame(iframe) {
  let observer = null;
  const fit = () => {
    try {
      const doc = iframe.contentDocument;
      if (!doc || !doc.body) return;
      const height = Math.ceil(doc.documentElement.scrollHeight);
      if (height > 0) iframe.style.height = height + "px";
      if (!observer && typeof ResizeObserver === "function") {
        observer = new ResizeObserver(fit);
        observer.observe(doc.body);
      }
    } catch (err) {
      /* another origin: keep the fixed height */
    }
  };
  iframe.addEventListener("load", () => {
    observer = null;
    fit();
  });
}

function showWidgetError(text) {
  const box = byTestId("widget-error");
  box.textContent = text;
  box.hidden = false;
  setTone("widget-badge", "not opened", "bad");
  byTestId("widget-panel").setAttribute("data-state", "error");
}

async function create(event) {
  event.preventDefault();
  if (machine !== "idle") return;
  const payload = buildPayload();
  const headers = { "Content-Type": "application/json" };
  if (webhookScenario()) headers["X-Sandbox-Scenario"] = webhookScenario();
  run = { payload, envelope: null, intentId: null, externalRef: null, widget: null, observed: null,
    rehearsal: webhookScenario(), trackedAt: null, overdue: false };
  lockForm(true);
  setMachine("creating");
  setTone("summary-badge", "sending", "progress");
  setTone("response-badge", "waiting", "progress");
  status("Creating the " + (PAYOUT ? "PAYOUT reservation" : "PAYIN intent") + " through the local demo proxy…");
  step("request", "active", "Sending POST " + config.proxy + " from the visible request form…");
  step("api", "active", "Waiting for LIQX to answer through the demo proxy…");
  const result = await requestJson(config.proxy, { method: "POST", headers, body: JSON.stringify(payload) }, 60000);
  setTone("summary-badge", "sent", "ok");
  step("request", "done", "Sent at " + clock() + ": the demo proxy called POST " + config.api_path + " with the LIQX key held server-side.");
  const envelope = renderResponse(result);
  run.envelope = envelope;
  if (!envelope || !envelope.intent_id) {
    const error = envelope && envelope.error;
    const text = error ? describeError(error) : "the demo proxy did not answer with an envelope";
    setMachine("error");
    step("api", "failed", "Not accepted: " + text);
    step("widget", "failed", "Widget not opened: LIQX did not create an intent.");
    step("webhook", "pending", "No durable receipt context: no intent was created in this run.");
    showWidgetError("Upstream error: " + text + ". See the response summary.");
    renderProof("none", "No intent was created in this run, so there is no receipt to wait for. Use the history filters to look up earlier runs.", null, null);
    status("Upstream error: " + text);
    return;
  }
  run.intentId = envelope.intent_id;
  run.externalRef = envelope.external_ref;
  setMachine("created_or_terminal");
  const intent = envelope.intent || {};
  if (envelope.error && envelope.error.stage === "session") {
    step("api", "done", "LIQX accepted: HTTP " + envelope.upstream.create.status + ", intent_id " + envelope.intent_id + ", status " + intent.status + ".");
    step("widget", "failed", "Widget session could not be opened: " + describeError(envelope.error));
    showWidgetError("Upstream error: " + describeError(envelope.error) + ". See the response summary.");
    status("LIQX accepted " + envelope.intent_id + " but the widget session failed; the webhook proof is still polled.");
  } else if (envelope.error) {
    step("api", "failed", "LIQX refused: " + describeError(envelope.error) + ". Intent " + envelope.intent_id + " is " + str(intent.status || "FAILED") + ".");
    step("widget", "failed", "No widget session: " + describeError(envelope.error));
    showWidgetError("Upstream error: " + describeError(envelope.error) + ". The durable failure proof is the webhook receipt.");
    status("LIQX refused the request (" + str(envelope.error.code || envelope.error.kind) + "); waiting for the durable failure receipt of " + envelope.intent_id + ".");
  } else {
    step("api", "done", "LIQX accepted: HTTP " + envelope.upstream.create.status + ", intent_id " + envelope.intent_id + ", status " + intent.status + ".");
    mountWidget(envelope.session);
    status("LIQX accepted " + envelope.intent_id + "; complete the widget, then wait for the durable webhook receipt.");
  }
  setMachine("polling_webhook");
  step("webhook", "active", "Polling /api/webhooks/liqx/events every 3s by intent_id " + run.intentId +
    (run.externalRef ? ", then external_ref " + run.externalRef : "") + ".");
  renderProof("polling", "Waiting for a durable receipt match.", null, null);
  run.trackedAt = Date.now();
  watch.track({ intentId: run.intentId, externalRef: run.externalRef });
}

function resetRun() {
  if (run && run.widget) run.widget.destroy();
  run = null;
  watch.untrack();
  path = ["idle"];
  setMachine("idle");
  config.steps.forEach(([key]) => step(key, "pending", steps[key]));
  status(config.ready);
  setTone("summary-badge", "draft ready", "");
  setTone("response-badge", "not sent", "");
  setTone("widget-badge", "idle", "");
  byTestId("widget-container").textContent = "";
  show("widget-empty", true);
  show("widget-error", false);
  show("response-empty", true);
  show("response-summary", false);
  show("api-empty", true);
  show("raw-api-response", false);
  show("envelope-empty", true);
  show("session-envelope", false);
  byTestId("browser-events").textContent = "";
  showOverdue(false);
  renderProof("idle", config.webhook_empty, null, null);
  newReference();
  lockForm(false);
  renderDraft();
}

// ---- history filters ----------------------------------------------------------------------

function applyFilters(event) {
  event.preventDefault();
  const limitText = str(byTestId("filter-limit").value).trim() || "20";
  const filters = {
    intent_id: byTestId("filter-intent-id").value, external_ref: byTestId("filter-external-ref").value,
    type: byTestId("filter-type").value, since: byTestId("filter-since").value, limit: limitText,
  };
  setText("history-bound", "Bounded durable read: limit=" + limitText);
  watch.applyFilters(filters);
}

function useCurrentRun() {
  if (!run || !run.intentId) return;
  byTestId("filter-intent-id").value = run.intentId;
  byTestId("filter-external-ref").value = "";
}

function clearFilters() {
  ["filter-intent-id", "filter-external-ref", "filter-since"].forEach((id) => { byTestId(id).value = ""; });
  byTestId("filter-type").value = "";
  byTestId("filter-limit").value = "20";
  watch.clearFilters();
}

// ---- start --------------------------------------------------------------------------------

newReference();
renderDraft();
setMachine("idle");
renderHistory([], null, 20);
form.addEventListener("input", () => { if (machine === "idle") renderDraft(); });
form.addEventListener("submit", create);
byTestId("new-run").addEventListener("click", resetRun);
document.querySelectorAll('input[name="scenario"]').forEach((input) => input.addEventListener("change", renderDraft));
byTestId("webhook-scenario").addEventListener("change", renderDraft);
byTestId("history-filters").addEventListener("submit", applyFilters);
byTestId("history-current").addEventListener("click", useCurrentRun);
byTestId("history-clear").addEventListener("click", clearFilters);
root.setAttribute("data-ready", "true");
