/*
 * LIQX hosted widget (sandbox).
 *
 * Renders the intent embedded in the page's state (<script id="page-state">), lets the user drive
 * the outcome (PAYIN: deposit / reject, PAYOUT: claim / reject), polls the state endpoint so
 * server-side changes show up, and reports status changes to the embedding page as
 *   {source: "liqx-widget", version: 1, type, intent_id, session_id, status, at}
 * via postMessage (to window.parent and window.opener) and to the server's events endpoint.
 *
 * Each event type is emitted at most once per page load. All data is written with textContent.
 * An ES module: requests, formatting and copying come from the shared /static/toolkit.js.
 */
import {
  byTestId as el, describeError, formatAmount, formatRemaining, pageState, parseTime, pad2, reportEvent, requestJson,
  setText, setupCopy, str, tellEmbedder,
} from "/static/toolkit.js";

var POLL_MS = 2000;
var TERMINAL = { COMPLETED: true, REJECTED: true, FAILED: true, EXPIRED: true };
var TONES = {
  CREATED: "neutral", PENDING: "progress", RESERVED: "neutral", PROCESSING: "progress",
  COMPLETED: "success", REJECTED: "failure", FAILED: "failure", EXPIRED: "expired"
};
var EXPIRED_TEXT = "This session has expired";

var root = el("widget-root");

// ---- page state -------------------------------------------------------------------------

var state = null;        // {intent, session, urls, ...} from the page
var intent = null;       // latest intent seen
var widgetType = "";     // "PAYIN" | "PAYOUT"
var busy = false;        // an action request is in flight
var sessionExpired = false;
var stopped = false;     // polling stopped for good
var pollTimer = null;
var tickTimer = null;
var generation = 0;      // bumped by each action so older poll answers are dropped
var clockOffsetMs = 0;   // server clock minus browser clock, when known
var emitted = {};        // event type -> true
var buttons = {};        // action name -> button

function readState() {
  var parsed = pageState();
  if (!parsed.intent || typeof parsed.intent !== "object") {
    throw new Error("widget state has no intent");
  }
  parsed.session = parsed.session && typeof parsed.session === "object" ? parsed.session : {};
  parsed.urls = parsed.urls && typeof parsed.urls === "object" ? parsed.urls : {};
  return parsed;
}

// ---- formatting ---------------------------------------------------------------------------

function serverNow() {
  return Date.now() + clockOffsetMs;
}

// ---- clock --------------------------------------------------------------------------------

/**
 * The sandbox may run on its own clock. Use the server's "now" when it is given; otherwise make
 * sure the local estimate is never earlier than a timestamp the server has already written.
 */
function syncClock(payload) {
  var given = payload && (parseTime(payload.server_time) || parseTime(payload.now));
  if (given) {
    clockOffsetMs = given - Date.now();
    return;
  }
  var floor = null;
  [intent && intent.updated_at, intent && intent.created_at].forEach(function (v) {
    var t = parseTime(v);
    if (t !== null && (floor === null || t > floor)) floor = t;
  });
  if (floor !== null && floor > serverNow()) clockOffsetMs = floor - Date.now();
}

// ---- rendering ----------------------------------------------------------------------------

function isTerminal(status) {
  return TERMINAL[status] === true;
}

/** True while the user can still press the outcome buttons. */
function actionable(status) {
  if (isTerminal(status)) return false;
  if (widgetType === "PAYOUT" && status === "PROCESSING") return false;
  return true;
}

function statusMessage(it) {
  var reason = str(it.failure_reason);
  switch (it.status) {
    case "CREATED":
    case "PENDING":
      return ["Transfer the amount to the account above, then simulate the deposit.", "neutral"];
    case "RESERVED":
      return ["Claim the payout to send it to the account above.", "neutral"];
    case "PROCESSING":
      return ["Payout claimed. Processing the transfer…", "progress"];
    case "COMPLETED":
      return widgetType === "PAYOUT" ? ["Payout completed", "success"] : ["Deposit received", "success"];
    case "REJECTED":
      return [reason ? "Deposit rejected: " + reason : "Deposit rejected", "failure"];
    case "FAILED":
      return [reason ? "Payout rejected: " + reason : "Payout rejected", "failure"];
    case "EXPIRED":
      return [EXPIRED_TEXT, "expired"];
    default:
      return ["Status: " + str(it.status), "neutral"];
  }
}

function setMessage(text, tone) {
  var node = el("widget-message");
  if (!node) return;
  node.textContent = str(text);
  node.setAttribute("data-tone", tone || "neutral");
}

function renderSummary() {
  var it = intent;
  var isPayout = widgetType === "PAYOUT";
  root.setAttribute("data-widget-type", widgetType);
  setText("widget-type", isPayout ? "Payout" : "Payin");
  setText("widget-intent-id", it.intent_id);
  setText("widget-external-ref", it.external_ref);
  setText("widget-amount-krw", formatAmount(it.amount_krw, "KRW"));
  setText("widget-amount-usdt", str(it.amount_usdt) === "" ? "" : str(it.amount_usdt) + " USDT");
  setText("widget-name-label", isPayout ? "Legal name" : "Depositor");
  setText("widget-name", isPayout ? it.legal_name : it.depositor_name);

  var account = isPayout ? it.payout_account : it.deposit_account;
  var section = el("widget-account");
  if (account && typeof account === "object") {
    setText("widget-account-title", isPayout ? "Payout account" : "Deposit to this account");
    setText("widget-account-bank", account.bank_name);
    setText("widget-account-number", account.account_number);
    setText("widget-account-holder", account.account_holder);
    el("widget-copy-account").hidden = isPayout || !str(account.account_number);
    section.hidden = false;
  } else {
    section.hidden = true;
  }
}

function renderStatus() {
  var status = str(intent.status);
  var badge = el("widget-status");
  badge.textContent = status;
  badge.setAttribute("data-tone", TONES[status] || "neutral");
  root.setAttribute("data-status", status);
  updateButtons();
}

function updateButtons() {
  var enabled = !busy && !sessionExpired && actionable(str(intent && intent.status));
  Object.keys(buttons).forEach(function (name) {
    buttons[name].disabled = !enabled;
  });
  root.setAttribute("data-busy", busy ? "true" : "false");
}

function buildButtons() {
  var defs = widgetType === "PAYOUT"
    ? [["claim", "Claim payout", "widget-claim", "btn-primary"],
       ["reject", "Reject payout", "widget-reject", "btn-secondary"]]
    : [["deposit", "Simulate deposit", "widget-deposit", "btn-primary"],
       ["reject", "Reject deposit", "widget-reject", "btn-secondary"]];
  var box = el("widget-actions");
  box.textContent = "";
  defs.forEach(function (d) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = d[3];
    b.textContent = d[1];
    b.setAttribute("data-testid", d[2]);
    b.addEventListener("click", function () { runAction(d[0]); });
    box.appendChild(b);
    buttons[d[0]] = b;
  });
}

function renderExpiry() {
  var node = el("widget-expiry");
  var expires = parseTime(state.session.expires_at);
  if (expires === null) {
    node.textContent = "—";
    return;
  }
  var at = new Date(expires - clockOffsetMs);
  node.title = str(state.session.expires_at);
  node.setAttribute("data-expires-at", str(state.session.expires_at));
  if (sessionExpired || str(intent.status) === "EXPIRED") {
    node.textContent = "expired";
    return;
  }
  var time = pad2(at.getHours()) + ":" + pad2(at.getMinutes()) + ":" + pad2(at.getSeconds());
  // A countdown only matters while the user still has something to do.
  node.textContent = actionable(str(intent.status))
    ? "at " + time + " (in " + formatRemaining(expires - serverNow()) + ")"
    : "at " + time;
}

// ---- events -------------------------------------------------------------------------------

function emit(type) {
  if (emitted[type]) return;
  emitted[type] = true;
  var msg = {
    source: "liqx-widget",
    version: 1,
    type: type,
    intent_id: str(intent.intent_id || state.session.intent_id),
    session_id: str(state.session.session_id),
    status: str(intent.status),
    at: new Date().toISOString()
  };
  tellEmbedder(msg);
  reportEvent(state.urls.events, msg);
  var log = root.getAttribute("data-events");
  root.setAttribute("data-events", log ? log + " " + type : type);
}

/** Emit whatever the current status means for the embedding page (each type once). */
function emitForStatus() {
  var status = str(intent.status);
  if (widgetType === "PAYOUT") {
    if (status === "PROCESSING" || status === "COMPLETED") emit("PAYOUT_CLAIMED");
    else if (status === "FAILED") emit("PAYOUT_REJECTED");
    else if (status === "EXPIRED") emit("WIDGET_EXPIRED");
  } else {
    if (status === "COMPLETED") emit("PAYIN_COMPLETED");
    else if (status === "REJECTED") emit("PAYIN_REJECTED");
    else if (status === "EXPIRED") emit("WIDGET_EXPIRED");
  }
}

// ---- state transitions --------------------------------------------------------------------

/** Accept a newer intent from the server; never move back from a terminal state. */
function applyIntent(next) {
  if (!next || typeof next !== "object") return false;
  if (next.intent_id && intent.intent_id && next.intent_id !== intent.intent_id) return false;
  var cur = str(intent.status);
  if (isTerminal(cur) && str(next.status) !== cur) return false;
  if (cur === "PROCESSING" && (next.status === "RESERVED")) return false;
  var curT = parseTime(intent.updated_at);
  var nextT = parseTime(next.updated_at);
  if (curT !== null && nextT !== null && nextT < curT) return false;
  var changed = str(next.status) !== cur || str(next.failure_reason) !== str(intent.failure_reason);
  intent = next;
  syncClock(null);
  if (changed) {
    var m = statusMessage(intent);
    setMessage(m[0], m[1]);
  }
  renderSummary();
  renderStatus();
  emitForStatus();
  if (isTerminal(str(intent.status))) stop();
  return changed;
}

function checkSessionExpiry() {
  if (sessionExpired) return;
  var expires = parseTime(state.session.expires_at);
  if (expires === null || serverNow() < expires) return;
  // The session only matters while the user still has something to do.
  if (!actionable(str(intent.status))) return;
  sessionExpired = true;
  root.setAttribute("data-session-expired", "true");
  setMessage(EXPIRED_TEXT, "expired");
  updateButtons();
  renderExpiry();
  emit("WIDGET_EXPIRED");
  stop();
}

function stop() {
  stopped = true;
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
  if (tickTimer && (isTerminal(str(intent.status)) || sessionExpired)) {
    clearInterval(tickTimer);
    tickTimer = null;
  }
  renderExpiry();
}

// ---- network ------------------------------------------------------------------------------

var ACTION_VERBS = { deposit: "simulate the deposit", claim: "claim the payout", reject: "reject" };

function runAction(name) {
  if (busy || sessionExpired || !actionable(str(intent.status)) || !state.urls.action) return;
  busy = true;
  generation += 1;
  updateButtons();
  setMessage("Working…", "progress");
  requestJson(state.urls.action, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ action: name })
  }).then(function (result) {
    busy = false;
    generation += 1;
    var body = result.body || {};
    if (result.ok && body.intent) {
      syncClock(body);
      var before = str(intent.status);
      applyIntent(body.intent);
      if (str(intent.status) === before) {
        // Accepted but no visible change (e.g. still pending on the server side).
        var m = statusMessage(intent);
        setMessage(m[0], m[1]);
      }
    } else if (result.ok) {
      setMessage("Unexpected response from the server", "error");
    } else {
      var errText = describeError(result);
      if (body.intent) applyIntent(body.intent);
      var st = str(intent.status);
      if (isTerminal(st) || (widgetType === "PAYOUT" && st === "PROCESSING")) {
        var sm = statusMessage(intent);
        setMessage(sm[0] + " — " + errText, sm[1]);
      } else {
        setMessage("Could not " + (ACTION_VERBS[name] || name) + ": " + errText, "error");
      }
    }
    updateButtons();
    schedulePoll();
  }).catch(function (err) {
    busy = false;
    updateButtons();
    setMessage("Something went wrong: " + str(err && err.message), "error");
    console.error("liqx-widget:", err);
  });
}

var pollFailures = 0;

function poll() {
  pollTimer = null;
  if (stopped || !state.urls.state) return;
  if (busy) { schedulePoll(); return; }
  var gen = generation;
  requestJson(state.urls.state, { method: "GET" }).then(function (result) {
    if (stopped || gen !== generation) return;
    var body = result.body || {};
    if (body.session && typeof body.session === "object") {
      state.session = Object.assign({}, state.session, body.session);
    }
    if (body.intent) {
      syncClock(body);
      applyIntent(body.intent);
    }
    if (result.ok && body.intent) {
      if (pollFailures > 0) {
        pollFailures = 0;
        var m = statusMessage(intent);
        setMessage(m[0], m[1]);
      }
    } else if (!body.intent) {
      pollFailures += 1;
      if (pollFailures >= 2) setMessage("Connection problem, retrying: " + describeError(result), "error");
    }
  }).catch(function (err) {
    console.error("liqx-widget:", err);
  }).then(function () {
    schedulePoll();
  });
}

function schedulePoll() {
  if (stopped || pollTimer) return;
  pollTimer = setTimeout(poll, POLL_MS);
}

// ---- copy account number ------------------------------------------------------------------

function setupAccountCopy() {
  setupCopy(el("widget-copy-account"), el("widget-account-number"));
}

// ---- start --------------------------------------------------------------------------------

function start() {
  try {
    state = readState();
  } catch (err) {
    setMessage("This widget could not load its session (" + str(err && err.message) + ").", "error");
    root.setAttribute("data-ready", "error");
    console.error("liqx-widget:", err);
    return;
  }
  intent = state.intent;
  widgetType = str(state.session.widget_type || intent.type || "PAYIN").toUpperCase() === "PAYOUT" ? "PAYOUT" : "PAYIN";
  syncClock(state);

  buildButtons();
  setupAccountCopy();
  renderSummary();
  renderStatus();
  var m = statusMessage(intent);
  setMessage(m[0], m[1]);
  renderExpiry();
  root.setAttribute("data-ready", "true");

  emit("WIDGET_READY");
  emitForStatus();
  if (isTerminal(str(intent.status))) {
    stop();
  } else {
    checkSessionExpiry();
  }
  if (!stopped) schedulePoll();
  if (!isTerminal(str(intent.status)) && !sessionExpired) {
    tickTimer = setInterval(function () {
      checkSessionExpiry();
      renderExpiry();
    }, 1000);
  }
}

try {
  start();
} catch (err) {
  setMessage("This widget failed to start: " + str(err && err.message), "error");
  console.error("liqx-widget:", err);
}
