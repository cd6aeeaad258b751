/*
 * The inspector (SPEC §9), a client of the control API only:
 *   GET /_sandbox/intents, GET /_sandbox/intents/{p}/{id}/timeline, GET /_sandbox/clock,
 *   GET /_sandbox/deliveries?event_id= (search by event id),
 *   POST /_sandbox/events/{id}/resend, POST /_sandbox/intents/{p}/{id}/transition.
 * It refreshes itself every 2 s, keeps the chosen intent in the URL hash (#provider/intent_id) and
 * keeps expanded details open across refreshes. Attempts are coloured by outcome (2xx green,
 * anything else red; dropped and held deliveries grey) and a retrying delivery says when its next
 * attempt is due on the sandbox clock. All server data is written with textContent.
 * A world picker (GET /_sandbox/worlds, the default world first) sends X-Sandbox-World on every
 * call; the chosen world is kept in the page's `?world=` so a link opens the same world.
 */
import { byTestId as $, formatSpan, isoTime, make as element, pretty as json, requestJson, str } from "/static/toolkit.js";

const REFRESH_MS = 2000;
const params = new URLSearchParams(location.search);
const adminToken = params.get("admin_token") || "";
let world = params.get("world") || "default";

let meta = { providers: {} };
let selected = null;          // {provider, id}
let lastIntents = "";
let lastTimeline = "";
let timer = null;
let loading = false;
let sandboxNow = null;        // the sandbox clock's now (ms), read with each refresh
let allIntents = [];          // the last intents list, before the search filter

/** make(tag, className, text, attrs), the inspector's short form of the toolkit's make(). */
function make(tag, className, text, attrs) {
  return element(tag, { className, text, attrs });
}

/** A control API call, with the admin token the page was opened with (needed beyond loopback). */
function api(method, path, body) {
  const headers = {};
  if (adminToken) headers.Authorization = "Bearer " + adminToken;
  headers["X-Sandbox-World"] = world;
  const init = { method, headers };
  if (body !== undefined) init.json = body;
  return requestJson("/_sandbox" + path, init, 15000);
}

function errorText(result) {
  const e = result.body && result.body.error;
  if (e) return str(e.code) + ": " + str(e.message);
  return result.error ? "network error: " + result.error : "HTTP " + result.status;
}

const TONES = {
  COMPLETED: "ok", SUCCESS: "ok", delivered: "ok",
  FAILED: "bad", REJECTED: "bad", CONFLICT: "bad", CANCELLED: "bad", failed: "bad", contract_violation: "bad",
  EXPIRED: "warn", unknown: "warn", dropped: "grey", held: "grey",
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

function query() {
  return str($("search").value).trim().toLowerCase();
}

/** An intent matches the search when its id or external ref contains the text. */
function matches(row, q) {
  return !q || str(row.id).toLowerCase().includes(q) || str(row.external_ref).toLowerCase().includes(q);
}

function renderIntents(all) {
  const q = query();
  const rows = all.filter((row) => matches(row, q));
  const list = $("intents");
  list.textContent = "";
  $("intent-count").textContent = q ? rows.length + " of " + all.length : String(all.length);
  $("intents-empty").hidden = all.length > 0;
  $("search-empty").hidden = !(q && all.length && !rows.length);
  rows.forEach((row) => {
    const item = make("li");
    const button = make("button", "intent", null, {
      type: "button", "data-testid": "intent-row", "data-provider": row.provider, "data-intent-id": row.id,
      "aria-current": selected && selected.id === row.id && selected.provider === row.provider ? "true" : "false",
    });
    const top = make("div", "intent-top");
    top.appendChild(make("span", "intent-id id", row.id));
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
  allIntents = result.body.data;
  const text = JSON.stringify(allIntents) + "|" + JSON.stringify(selected) + "|" + query();
  if (text !== lastIntents) {
    lastIntents = text;
    renderIntents(allIntents);
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

/** ok for a 2xx answer, bad for anything else (an error status, a timeout, a refused connection). */
function attemptTone(entry) {
  const status = entry.attempt ? entry.attempt.status : entry.status;
  return status >= 200 && status < 300 ? "ok" : "bad";
}

/** When a delivery's next attempt is due, on the sandbox clock: "2026-… (in 30 s)". */
function dueText(delivery) {
  if (delivery.next_ms === null || delivery.next_ms === undefined) return "";
  const when = isoTime(delivery.next_ms);
  if (sandboxNow === null) return when;
  const left = delivery.next_ms - sandboxNow;
  return when + (left > 0 ? " (in " + formatSpan(left) + ")" : " (due now)");
}

/** True when this attempt is its delivery's latest and the delivery will be tried again. */
function retryFollows(entry, delivery) {
  return Boolean(delivery) && delivery.status === "pending" && delivery.next_ms !== null &&
    delivery.attempts.length === entry.n;
}

function entryNode(entry, deliveries) {
  const key = "e" + entry.seq;
  const item = make("li", "entry", null, { "data-testid": "timeline-entry", "data-kind": entry.kind, "data-seq": String(entry.seq) });
  const head = make("div", "entry-head");
  head.appendChild(make("span", "entry-time", entry.at));
  head.appendChild(make("span", "badge", entry.kind));
  head.appendChild(make("span", "entry-title", describe(entry), { "data-testid": "entry-title" }));
  item.appendChild(head);
  if (entry.kind === "attempt") {
    const tone = attemptTone(entry);
    item.setAttribute("data-trigger", str(entry.trigger));
    item.setAttribute("data-outcome", tone);
    head.appendChild(make("span", "badge", tone === "ok" ? "delivered" : "failed", {
      "data-tone": tone, "data-testid": "attempt-outcome" }));
    const delivery = deliveries[entry.delivery_id];
    if (retryFollows(entry, delivery)) {
      item.appendChild(make("p", "next-retry", "Next attempt #" + (entry.n + 1) + " due " + dueText(delivery) +
        " on the sandbox clock", { "data-testid": "next-retry" }));
    } else if (tone === "bad" && delivery && delivery.status === "failed") {
      item.appendChild(make("p", "next-retry", "No more attempts: the retry schedule is used up.",
        { "data-testid": "no-retry" }));
    }
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
  if ((delivery.status === "pending" || delivery.status === "held") && delivery.next_ms !== null) {
    item.appendChild(make("span", "delivery-next", " · next attempt " + dueText(delivery),
      { "data-testid": "delivery-next" }));
  }
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
  const byId = {};
  data.deliveries.forEach((d) => { byId[d.id] = d; });
  data.timeline.forEach((entry) => list.appendChild(entryNode(entry, byId)));
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
  fillForceMenu(provider, result.body.intent.status);
  // A waiting delivery's "due in" moves with the sandbox clock, so it is part of what changed.
  const waiting = result.body.deliveries.some((d) => d.next_ms !== null && (d.status === "pending" || d.status === "held"));
  const text = JSON.stringify(result.body) + (waiting ? "|" + sandboxNow : "");
  if (text !== lastTimeline) {
    lastTimeline = text;
    renderTimeline(result.body);
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
  if (result.ok) message("Resend of " + eventId + " queued as delivery " + result.body.delivery_id + " (trigger manual).", true);
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

// ---- search -------------------------------------------------------------------------------

/**
 * Enter in the search box: open the one intent whose id or external ref matches; otherwise ask
 * the control API which intent an event id belongs to.
 */
async function search(event) {
  event.preventDefault();
  const q = query();
  const note = $("search-result");
  note.hidden = true;
  if (!q) return;
  const hits = allIntents.filter((row) => matches(row, q));
  const exact = hits.find((row) => row.id.toLowerCase() === q || str(row.external_ref).toLowerCase() === q);
  if (exact || hits.length === 1) {
    const row = exact || hits[0];
    select(row.provider, row.id);
    return;
  }
  if (hits.length) return;
  const raw = str($("search").value).trim();
  const result = await api("GET", "/deliveries?limit=1&event_id=" + encodeURIComponent(raw));
  const found = result.ok && result.body.data.length ? result.body.data[0] : null;
  if (found && found.intent_id) {
    note.textContent = "Event " + raw + " belongs to " + found.provider + " intent " + found.intent_id + ".";
    note.hidden = false;
    $("search").value = "";
    select(found.provider, found.intent_id);
  } else {
    note.textContent = "No intent id, external ref or event id matches " + raw + ".";
    note.hidden = false;
  }
}

// ---- refresh loop -------------------------------------------------------------------------

async function loadClock() {
  const result = await api("GET", "/clock");
  const now = result.ok && result.body ? Date.parse(result.body.now) : NaN;
  sandboxNow = isNaN(now) ? null : now;
}

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
    await loadClock();
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

async function loadWorlds() {
  const picker = $("world-picker");
  const result = await api("GET", "/worlds");
  const worlds = result.ok && result.body ? result.body.data : [{ id: "default", name: null }];
  if (!worlds.some((w) => w.id === world)) world = "default";
  picker.textContent = "";
  worlds.forEach((w) => picker.appendChild(make("option", "", w.name ? w.name + " (" + w.id + ")" : w.id, { value: w.id })));
  picker.value = world;
}

function chooseWorld() {
  world = $("world-picker").value;
  const url = new URL(location.href);
  if (world === "default") url.searchParams.delete("world"); else url.searchParams.set("world", world);
  url.hash = "";
  history.replaceState(null, "", url);
  selected = null;
  lastIntents = "";
  lastTimeline = "";
  $("detail").hidden = true;
  $("detail-empty").hidden = false;
  refresh();
}

async function start() {
  await loadWorlds();
  $("world-picker").addEventListener("change", chooseWorld);
  $("world-picker").addEventListener("focus", loadWorlds);
  const result = await api("GET", "/ui/meta");
  if (result.ok) meta = result.body;
  const filter = $("provider-filter");
  Object.entries(meta.providers).forEach(([name, p]) => filter.appendChild(make("option", "", p.title, { value: name })));
  filter.addEventListener("change", () => { lastIntents = ""; refresh(); });
  $("auto-refresh").addEventListener("change", refresh);
  $("refresh").addEventListener("click", refresh);
  $("force-form").addEventListener("submit", forceTransition);
  $("search-form").addEventListener("submit", search);
  $("search").addEventListener("input", () => {
    $("search-result").hidden = true;
    renderIntents(allIntents);
  });
  $("force-to").addEventListener("change", () => $("force-to").setAttribute("data-touched", "true"));
  window.addEventListener("hashchange", () => {
    const chosen = fromHash();
    if (chosen) select(chosen.provider, chosen.id);
  });
  selected = fromHash();
  refresh();
}

start();
