/*
 * Webhook proof from the durable receiver (SPEC §8).
 *
 * Every 3 s the page reads GET /api/webhooks/liqx/events: for the current run by intent_id first,
 * then by external_ref, and separately with the history filters when they are applied. Only a
 * receipt read back from that durable store, with a signature that verified, completes the proof;
 * the widget's local result never does.
 */
import { byTestId, make, pretty, renderKv, requestJson, setText, setTone, show, str } from "/static/toolkit.js";

const ENDPOINT = "/api/webhooks/liqx/events";
export const POLL_MS = 3000;

/** One bounded read of the receiver: resolves {ok, rows, limit, error}. */
export async function readReceipts(filters) {
  const query = new URLSearchParams();
  Object.keys(filters).forEach((key) => {
    const value = str(filters[key]).trim();
    if (value) query.set(key, value);
  });
  const result = await requestJson(ENDPOINT + "?" + query.toString(), { method: "GET" }, 10000);
  if (result.ok && result.body && Array.isArray(result.body.data)) {
    return { ok: true, rows: result.body.data, limit: result.body.limit, error: null };
  }
  const e = result.body && result.body.error;
  let message = result.error || ("HTTP " + result.status);
  if (e) {
    message = str(e.message) || message;
    if (Array.isArray(e.details) && e.details.length) {
      message += ": " + e.details.map((d) => str(d.field) + " " + str(d.issue)).join("; ");
    }
  }
  return { ok: false, rows: [], limit: null, error: message };
}

function dataOf(row) {
  return row && row.body && typeof row.body === "object" && row.body.data && typeof row.body.data === "object"
    ? row.body.data : {};
}

function signatureText(row) {
  if (row.signature_valid === true) return "valid";
  if (row.signature_valid === false) return "INVALID";
  return "not signed";
}

function deliveriesText(row) {
  return row.deliveries + (row.deliveries === 1 ? " delivery" : " deliveries") + " · " + row.duplicates +
    (row.duplicates === 1 ? " duplicate" : " duplicates");
}

/** The matched receipt as key/value rows for the webhook proof panel. */
export function receiptFacts(row, matchedBy) {
  const data = dataOf(row);
  return [
    ["type", row.type, "receipt-type"],
    ["phase", data.phase, "receipt-phase"],
    ["status", data.status, "receipt-status"],
    ["failure_reason", data.failure_reason || null, "receipt-failure-reason"],
    ["event_id", row.event_id, "receipt-event-id"],
    ["intent_id", row.intent_id, "receipt-intent-id"],
    ["external_ref", row.external_ref, "receipt-external-ref"],
    ["matched by", matchedBy, "receipt-matched-by"],
    ["signature", signatureText(row), "receipt-signature"],
    ["deliveries", deliveriesText(row), "receipt-deliveries"],
    ["duplicates", String(row.duplicates), "receipt-duplicates"],
    ["received_at", row.received_at, "receipt-received-at"],
    ["receipt", "#" + row.receipt_id, "receipt-id"],
  ];
}

function rowCard(row, currentIntent) {
  const data = dataOf(row);
  const card = make("article", { className: "row-card", attrs: { "data-testid": "history-row" } });
  card.setAttribute("data-event-id", str(row.event_id));
  card.setAttribute("data-type", str(row.type));
  if (currentIntent && row.intent_id === currentIntent) card.setAttribute("data-match", "current");
  const head = make("div", { className: "row-head" });
  head.appendChild(make("span", { text: row.type, attrs: { "data-testid": "history-row-type" } }));
  const tone = row.signature_valid === true ? "ok" : "bad";
  head.appendChild(make("span", { className: "badge", text: "signature " + signatureText(row), attrs: { "data-tone": tone } }));
  head.appendChild(make("span", { className: "badge", text: deliveriesText(row), attrs: { "data-testid": "history-row-deliveries" } }));
  card.appendChild(head);
  const dl = make("dl", { className: "kv" });
  renderKv(dl, [
    ["event_id", row.event_id],
    ["intent_id", row.intent_id, "history-row-intent-id"],
    ["external_ref", row.external_ref, "history-row-external-ref"],
    ["phase / status", str(data.phase) + " / " + str(data.status)],
    ["failure_reason", data.failure_reason || null],
    ["received_at", row.received_at],
  ]);
  card.appendChild(dl);
  const raw = make("details");
  raw.appendChild(make("summary", { text: "Headers and raw body" }));
  raw.appendChild(make("pre", { className: "code", text: pretty(row.headers) + "\n\n" + str(row.raw_body) }));
  card.appendChild(raw);
  return card;
}

/** Render receipt rows into the history list (or its empty line). */
export function renderHistory(rows, currentIntent, limit) {
  const box = byTestId("history-rows");
  box.querySelectorAll('[data-testid="history-row"]').forEach((node) => node.remove());
  show("history-empty", rows.length === 0);
  rows.forEach((row) => box.appendChild(rowCard(row, currentIntent)));
  setText("receipt-rows", rows.length + (rows.length === 1 ? " row" : " rows"));
  setText("history-bound", "Bounded durable read: limit=" + (limit || 20));
}

/**
 * The polling loop. `handlers` hear about the current run's proof:
 * onProof(row, matchedBy, polls), onUnverified(row, matchedBy, polls), onNoMatch(polls), onReadError(message).
 */
export function createReceiptWatch(handlers) {
  let run = null;        // {intentId, externalRef}
  let filters = null;    // applied history filters, or null
  let timer = null;
  let busy = false;
  let polls = 0;
  let generation = 0;

  async function proofTick(gen) {
    polls += 1;
    let matchedBy = "intent_id";
    let result = run.intentId ? await readReceipts({ intent_id: run.intentId, limit: 20 }) : { ok: true, rows: [] };
    if (result.ok && result.rows.length === 0 && run.externalRef) {
      matchedBy = "external_ref";
      result = await readReceipts({ external_ref: run.externalRef, limit: 20 });
    }
    if (gen !== generation || !run) return;
    if (!result.ok) {
      handlers.onReadError(result.error, polls);
      return;
    }
    const valid = result.rows.filter((row) => row.signature_valid === true);
    if (valid.length) handlers.onProof(valid[0], matchedBy, polls);
    else if (result.rows.length) handlers.onUnverified(result.rows[0], matchedBy, polls);
    else handlers.onNoMatch(polls);
    if (!filters) renderHistory(result.rows, run.intentId, 20);
  }

  async function historyTick(gen) {
    const result = await readReceipts(filters);
    if (gen !== generation || !filters) return;
    show("history-error", !result.ok);
    if (!result.ok) {
      setText("history-error", "History read failed: " + result.error);
      return;
    }
    renderHistory(result.rows, run && run.intentId, result.limit);
  }

  async function tick() {
    timer = null;
    if (busy) return;
    busy = true;
    const gen = generation;
    try {
      if (run) await proofTick(gen);
      if (filters) await historyTick(gen);
    } catch (err) {
      handlers.onReadError(str(err && err.message), polls);
    } finally {
      busy = false;
      schedule();
    }
  }

  function schedule() {
    if (timer || (!run && !filters)) return;
    timer = setTimeout(tick, POLL_MS);
  }

  function now() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (busy) {
      // A read is in flight; it schedules the next one when it finishes.
      return;
    }
    tick();
  }

  return {
    track(next) {
      run = next;
      polls = 0;
      generation += 1;
      now();
    },
    untrack() {
      run = null;
      generation += 1;
      if (!filters) {
        if (timer) clearTimeout(timer);
        timer = null;
        renderHistory([], null, 20);
      }
    },
    applyFilters(next) {
      filters = next;
      generation += 1;
      now();
    },
    clearFilters() {
      filters = null;
      generation += 1;
      show("history-error", false);
      if (run) now();
      else renderHistory([], null, 20);
    },
    get polls() {
      return polls;
    },
  };
}

/** Show the current run's proof state in the Webhook proof summary panel. */
export function renderProof(state, message, row, matchedBy) {
  const panel = byTestId("webhook-panel");
  panel.setAttribute("data-state", state);
  const badges = {
    idle: ["not observed yet", ""], polling: ["polling every 3s", "progress"], observed: ["observed", "ok"],
    unverified: ["signature invalid", "bad"], none: ["no receipt context", "warn"],
    rejected: ["rejected as it should be", "ok"],
  };
  const badge = badges[state] || badges.idle;
  setTone("webhook-badge", badge[0], badge[1]);
  setText("webhook-message", message);
  const dl = byTestId("webhook-receipt");
  if (row) {
    renderKv(dl, receiptFacts(row, matchedBy));
    dl.hidden = false;
  } else {
    dl.textContent = "";
    dl.hidden = true;
  }
}

