/*
 * The inspector (SPEC §9), a client of the control API only:
 *   GET /_sandbox/intents, GET /_sandbox/intents/{p}/{id}/timeline,
 *   POST /_sandbox/events/{id}/resend, POST /_sandbox/intents/{p}/{id}/transition.
 * It refreshes itself every 2 s, keeps the chosen intent in the URL hash (#provider/intent_id) and
 * keeps expanded details open across refreshes. All server data is written with textContent.
 */

const REFRESH_MS = 2000;
const params = new URLSearchParams(location.search);
const adminToken = params.get("admin_token") || "";

let meta = { providers: {} };
let selected = null;          // {provider, id}
let lastIntents = "";
let lastTimeline = "";
let timer = null;
let loading = false;

function $(testid, scope) {
  return (scope || document).querySelector('[data-testid="' + testid + '"]');
}

function str(v) {
  return v === null || v === undefined ? "" : String(v);
}

function make(tag, className, text, attrs) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = str(text);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  return node;
}

function json(value) {
  try { return JSON.stringify(value, null, 2); } catch (err) { return str(value); }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (adminToken) headers.Authorization = "Bearer " + adminToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const response = await fetch("/_sandbox" + path, {
      method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (err) { data = null; }
    return { ok: response.ok, status: response.status, data };
  } catch (err) {
    return { ok: false, status: 0, data: null, error: str(err && err.message) };
  }
}

function errorText(result) {
  const e = result.data && result.data.error;
  if (e) return str(e.code) + ": " + str(e.message);
  return result.error ? "network error: " + result.error : "HTTP " + result.status;
}

const TONES = {
  COMPLETED: "ok", SUCCESS: "ok", delivered: "ok",
  FAILED: "bad", REJECTED: "bad", CONFLICT: "bad", CANCELLED: "bad", failed: "bad", dropped: "bad", contract_violation: "bad",
  EXPIRED: "warn", unknown: "warn", held: "warn",
  PENDING: "progress", PROCESSING: "progress", pending: "progress", in_flight: "progress",
};

function badge(text, testid) {
  const node = make("span", "badge", text, testid ? { "data-testid": testid } : {});
  if (TONES[text]) node.setAttribute("data-tone", TONES[text]);
  return node;
}

function kv(dl, rows) {
  dl.textContent = "";
  rows.forEach(([k, v]) => {
    if (v === null || v === undefined || v === "") return;
    dl.appendChild(make("dt", "", k));
    dl.appendChild(make("dd", "", v));
  });
}

function collapsible(summary, key, content) {
  const details = make("details", "", null, { "data-key": key });
  details.appendChild(make("summary", "", summary));
  details.appendChild(content);
  return details;
}

function headersTable(headers) {
  const table = make("table", "headers");
  Object.entries(headers || {}).forEach(([name, value]) => {
    const row = make("tr");
    row.appendChild(make("th", "", name));
    row.appendChild(make("td", "", value));
    table.appendChild(row);
  });
  return table;
}

// ---- intents ------------------------------------------------------------------------------

function renderIntents(rows) {
  const list = $("intents");
  list.textContent = "";
  $("intent-count").textContent = String(rows.length);
  $("intents-empty").hidden = rows.length > 0;
  rows.forEach((row) => {
    const item = make("li");
    const button = make("button", "intent", null, {
      type: "button", "data-testid": "intent-row", "data-provider": row.provider, "data-intent-id": row.id,
      "aria-current": selected && selected.id === row.id && selected.provider === row.provider ? "true" : "false",
    });
    const top = make("div", "intent-top");
    top.appendChild(make("span", "intent-id", row.id));
    top.appendChild(badge(row.status, "intent-status"));
    button.appendChild(top);
    const title = (meta.providers[row.provider] || {}).title || row.provider;
    button.appendChild(make("div", "intent-sub", title + " · " + str(row.external_ref || "no external ref") +
      (row.scenario ? " · scenario " + row.scenario : "") + " · " + row.created_at));
    button.addEventListener("click", () => select(row.provider, row.id));
    item.appendChild(button);
    list.appendChild(item);
  });
}

async function loadIntents() {
  const provider = $("provider-filter").value;
  const result = await api("GET", "/intents?limit=200" + (provider ? "&provider=" + encodeURIComponent(provider) : ""));
  if (!result.ok) throw new Error("intents: " + errorText(result));
  const text = JSON.stringify(result.data.data) + "|" + JSON.stringify(selected);
  if (text !== lastIntents) {
    lastIntents = text;
    renderIntents(result.data.data);
  }
}

// ---- one intent's timeline ----------------------------------------------------------------

function describe(entry) {
  const d = entry;
  switch (entry.kind) {
    case "api_call":
      return str(d.method) + " " + str(d.path) + " → " + str(d.status);
    case "transition":
      return (d.from ? d.from + " → " : "created as ") + d.to + " by " + str(d.by) +
        (d.failure_reason && ["REJECTED", "FAILED"].includes(d.to) ? " (" + d.failure_reason + ")" : "");
    case "session":
      return "widget session " + str(d.session_id) + " opened";
    case "scenario":
      return "scenario " + str(d.name) + (d.description ? ": " + d.description : "");
    case "fault_rule":
      return "fault rule " + str(d.rule && d.rule.id) + ": " + str(d.rule && d.rule.action) +
        (d.rule && d.rule.times === 0 ? " (every matching delivery)" : "");
    case "fault":
      if (d.target === "api") {
        return "API fault " + str(d.action) + " on " + str(d.method) + " " + str(d.path) +
          (d.params && d.params.status ? " (HTTP " + d.params.status + ")" : "") +
          (d.params && d.params.delay_ms && d.action === "api_timeout" ? " (held " + d.params.delay_ms + " ms)" : "");
      }
      return "fault " + str(d.action) + " applied to " + str(d.event_id) + " (delivery " + str(d.delivery_id) +
        (d.attempt ? ", attempt " + d.attempt : "") + ")";
    case "event":
      return "webhook event " + str(d.type) + " " + str(d.event_id);
    case "attempt": {
      const a = d.attempt || d;
      return "attempt #" + str(d.n) + " (" + str(d.trigger) + ") of " + str(d.event_id) + " → " +
        (a.status ? "HTTP " + a.status : str(a.error || d.error || "no answer")) +
        (a.duration_ms !== null && a.duration_ms !== undefined ? " in " + Math.round(a.duration_ms) + " ms" : "") +
        " · " + str(d.outcome);
    }
    case "browser_event":
      return "browser event " + str(d.event && d.event.type) + " (status " + str(d.event && d.event.status) + ")";
    case "resend":
      return "manual resend of " + str(d.event_id) + " (delivery " + str(d.delivery_id) + ")";
    case "contract_violation":
      return "contract violation: " + str(d.event_id) + " not sent";
    default:
      return entry.kind;
  }
}

function attemptDetails(entry, key) {
  const a = entry.attempt;
  const box = make("div");
  if (!a) return box;
  const dl = make("dl", "kv");
  kv(dl, [["url", a.url], ["status", a.status], ["duration_ms", a.duration_ms], ["trigger", a.trigger],
    ["error", a.error], ["faults", (a.faults || []).join(", ") || "none"]]);
  box.appendChild(dl);
  box.appendChild(collapsible("Request headers", key + ":headers", headersTable(a.request_headers)));
  box.appendChild(collapsible("Signature input", key + ":siginput", make("pre", "", a.signature_input || "(unsigned)", { "data-testid": "signature-input" })));
  box.appendChild(collapsible("Request body", key + ":body", make("pre", "", a.request_body)));
  box.appendChild(collapsible("Response body", key + ":response", make("pre", "", a.response_body || "(empty)")));
  return box;
}

function entryNode(entry) {
  const key = "e" + entry.seq;
  const item = make("li", "entry", null, { "data-testid": "timeline-entry", "data-kind": entry.kind, "data-seq": String(entry.seq) });
  const head = make("div", "entry-head");
  head.appendChild(make("span", "entry-time", entry.at));
  head.appendChild(make("span", "badge", entry.kind));
  head.appendChild(make("span", "entry-title", describe(entry), { "data-testid": "entry-title" }));
  item.appendChild(head);
  if (entry.kind === "attempt") {
    item.setAttribute("data-trigger", str(entry.trigger));
    item.appendChild(collapsible("Headers, signature input, bodies", key, attemptDetails(entry, key)));
  } else if (entry.kind === "event") {
    const resend = make("button", "btn btn-small", "Resend", { type: "button", "data-testid": "resend", "data-event-id": str(entry.event_id) });
    resend.addEventListener("click", () => resendEvent(entry.event_id, resend));
    item.appendChild(resend);
    item.appendChild(collapsible("Body", key, make("pre", "", json(entry.body))));
  } else {
    const rest = Object.assign({}, entry);
    ["seq", "kind", "at", "at_ms"].forEach((k) => delete rest[k]);
    if (Object.keys(rest).length) item.appendChild(collapsible("Details", key, make("pre", "", json(rest))));
  }
  return item;
}

function renderDelivery(delivery) {
  const item = make("li", "", null, { "data-testid": "delivery", "data-status": delivery.status });
  item.appendChild(make("span", "", "#" + delivery.id + " " + delivery.event_id + " · " + delivery.trigger + " · "));
  item.appendChild(badge(delivery.status));
  item.appendChild(make("span", "", " · " + delivery.attempts.length + " attempt" + (delivery.attempts.length === 1 ? "" : "s") +
    (delivery.faults && delivery.faults.length ? " · faults " + delivery.faults.join(", ") : "") +
    (delivery.last_error ? " · " + delivery.last_error : "")));
  return item;
}

function renderTimeline(data) {
  const open = new Set(Array.from(document.querySelectorAll("[data-testid='detail'] details[open]")).map((d) => d.getAttribute("data-key")));
  const intent = data.intent;
  $("detail-empty").hidden = true;
  $("detail").hidden = false;
  $("detail-title").textContent = ((meta.providers[intent.provider] || {}).title || intent.provider) + " " + intent.id;
  const status = $("detail-status");
  status.textContent = intent.status;
  if (TONES[intent.status]) status.setAttribute("data-tone", TONES[intent.status]);
  else status.removeAttribute("data-tone");
  kv($("detail-facts"), [["provider", intent.provider], ["external_ref", intent.external_ref], ["scenario", intent.scenario],
    ["created_at", intent.created_at], ["updated_at", intent.updated_at]]);
  const list = $("timeline");
  list.textContent = "";
  data.timeline.forEach((entry) => list.appendChild(entryNode(entry)));
  $("timeline-count").textContent = String(data.timeline.length);
  const deliveries = $("deliveries");
  deliveries.textContent = "";
  data.deliveries.forEach((d) => deliveries.appendChild(renderDelivery(d)));
  document.querySelectorAll("[data-testid='detail'] details").forEach((d) => {
    if (open.has(d.getAttribute("data-key"))) d.open = true;
  });
}

function fillForceMenu(provider, current) {
  const menu = $("force-to");
  const statuses = (meta.providers[provider] || {}).statuses || [];
  const key = provider + ":" + statuses.join(",");
  if (menu.getAttribute("data-key") !== key) {
    menu.textContent = "";
    statuses.forEach((s) => menu.appendChild(make("option", "", s, { value: s })));
    menu.setAttribute("data-key", key);
  }
  if (current && menu.value === current) {
    const next = statuses.find((s) => s !== current);
    if (next && !menu.getAttribute("data-touched")) menu.value = next;
  }
}

async function loadTimeline() {
  if (!selected) return;
  const { provider, id } = selected;
  const result = await api("GET", "/intents/" + encodeURIComponent(provider) + "/" + encodeURIComponent(id) + "/timeline");
  if (!selected || selected.id !== id) return;
  if (!result.ok) {
    $("detail-empty").hidden = false;
    $("detail-empty").textContent = "Could not load " + id + ": " + errorText(result);
    $("detail").hidden = true;
    return;
  }
  fillForceMenu(provider, result.data.intent.status);
  const text = JSON.stringify(result.data);
  if (text !== lastTimeline) {
    lastTimeline = text;
    renderTimeline(result.data);
  }
}

// ---- actions ------------------------------------------------------------------------------

function message(text, ok) {
  const node = $("action-message");
  node.textContent = text;
  node.setAttribute("data-tone", ok ? "ok" : "bad");
  node.hidden = false;
}

async function resendEvent(eventId, button) {
  button.disabled = true;
  const result = await api("POST", "/events/" + encodeURIComponent(eventId) + "/resend");
  button.disabled = false;
  if (result.ok) message("Resend of " + eventId + " queued as delivery " + result.data.delivery_id + " (trigger manual).", true);
  else message("Resend failed: " + errorText(result), false);
  refresh();
}

async function forceTransition(event) {
  event.preventDefault();
  if (!selected) return;
  const to = $("force-to").value;
  const result = await api("POST", "/intents/" + encodeURIComponent(selected.provider) + "/" + encodeURIComponent(selected.id) + "/transition", { to });
  if (result.ok) message("Forced " + selected.id + " to " + to + ".", true);
  else message("Transition refused: " + errorText(result), false);
  refresh();
}

// ---- refresh loop -------------------------------------------------------------------------

function select(provider, id) {
  selected = { provider, id };
  lastTimeline = "";
  $("action-message").hidden = true;
  $("force-to").removeAttribute("data-touched");
  if (location.hash !== "#" + provider + "/" + id) history.replaceState(null, "", "#" + provider + "/" + id);
  refresh();
}

async function refresh() {
  if (timer) clearTimeout(timer);
  timer = null;
  if (loading) return;
  loading = true;
  try {
    await loadIntents();
    await loadTimeline();
    $("load-error").hidden = true;
    $("refreshed-at").textContent = "refreshed " + new Date().toLocaleTimeString();
  } catch (err) {
    $("load-error").textContent = "Refresh failed: " + str(err && err.message);
    $("load-error").hidden = false;
  } finally {
    loading = false;
    $("inspector").setAttribute("data-ready", "true");
    if ($("auto-refresh").checked) timer = setTimeout(refresh, REFRESH_MS);
  }
}

function fromHash() {
  const match = /^#([^/]+)\/(.+)$/.exec(location.hash);
  return match ? { provider: decodeURIComponent(match[1]), id: decodeURIComponent(match[2]) } : null;
}

async function start() {
  const result = await api("GET", "/ui/meta");
  if (result.ok) meta = result.data;
  const filter = $("provider-filter");
  Object.entries(meta.providers).forEach(([name, p]) => filter.appendChild(make("option", "", p.title, { value: name })));
  filter.addEventListener("change", () => { lastIntents = ""; refresh(); });
  $("auto-refresh").addEventListener("change", refresh);
  $("refresh").addEventListener("click", refresh);
  $("force-form").addEventListener("submit", forceTransition);
  $("force-to").addEventListener("change", () => $("force-to").setAttribute("data-touched", "true"));
  window.addEventListener("hashchange", () => {
    const chosen = fromHash();
    if (chosen) select(chosen.provider, chosen.id);
  });
  selected = fromHash();
  refresh();
}

start();
