/*
 * The one front-end toolkit every page script imports (an ES module served at /static/toolkit.js):
 * JSON requests, the page's embedded state, DOM helpers that write text (never HTML), formatting
 * of amounts, times and ids, copy-to-clipboard, and telling an embedding page about an event.
 */

// ---- values and the DOM -----------------------------------------------------------------------

/** `value` as text; null and undefined become "". */
export function str(value) {
  return value === null || value === undefined ? "" : String(value);
}

/** The element with this data-testid (inside `scope`, default the document). */
export function byTestId(testid, scope) {
  return (scope || document).querySelector('[data-testid="' + testid + '"]');
}

/** Set the text of the element with this data-testid; returns it. */
export function setText(testid, value, scope) {
  const node = byTestId(testid, scope);
  if (node) node.textContent = str(value);
  return node;
}

/** Show or hide the element with this data-testid; returns it. */
export function show(testid, visible, scope) {
  const node = byTestId(testid, scope);
  if (node) node.hidden = !visible;
  return node;
}

/** Set a badge's (or message's) text and tone (ok | bad | warn | grey | progress | ""). */
export function setTone(testid, text, tone, scope) {
  const node = setText(testid, text, scope);
  if (node) {
    if (tone) node.setAttribute("data-tone", tone);
    else node.removeAttribute("data-tone");
  }
  return node;
}

/** Create an element: make("span", {className, text, attrs}). */
export function make(tag, options) {
  const node = document.createElement(tag);
  const o = options || {};
  if (o.className) node.className = o.className;
  if (o.text !== undefined && o.text !== null) node.textContent = str(o.text);
  Object.keys(o.attrs || {}).forEach((name) => node.setAttribute(name, o.attrs[name]));
  return node;
}

/** Fill a <dl> with [label, value, testid?, className?] rows; rows whose value is null/undefined are skipped. */
export function renderKv(dl, rows) {
  dl.textContent = "";
  rows.forEach(([label, value, testid, className]) => {
    if (value === null || value === undefined) return;
    dl.appendChild(make("dt", { text: label }));
    const dd = make("dd", { text: value, className: className || "" });
    if (testid) dd.setAttribute("data-testid", testid);
    dl.appendChild(dd);
  });
}

/** The state the server embedded in the page (`<script id="page-state">`, written with |tojson). */
export function pageState() {
  const node = document.getElementById("page-state");
  if (!node) throw new Error("the page has no embedded state");
  const parsed = JSON.parse(node.textContent || "null");
  if (!parsed || typeof parsed !== "object") throw new Error("the page's embedded state is not an object");
  return parsed;
}

// ---- formatting ---------------------------------------------------------------------------------

/** Pretty JSON for <pre> blocks. */
export function pretty(value) {
  try {
    return JSON.stringify(value, null, 2);
  } catch (err) {
    return str(value);
  }
}

/** "1500000" -> "1,500,000"; works on the string so large amounts keep every digit. */
export function groupThousands(value) {
  const s = str(value).trim();
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
  if (!m) return s;
  return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (m[3] || "");
}

/** An amount and its unit: formatAmount("100000", "KRW") -> "100,000 KRW". */
export function formatAmount(amount, unit) {
  const text = str(amount);
  if (text === "") return "";
  return groupThousands(text) + (unit ? " " + unit : "");
}

/** Milliseconds since the epoch for an ISO 8601 time, or null. */
export function parseTime(value) {
  const t = Date.parse(str(value));
  return isNaN(t) ? null : t;
}

export function pad2(n) {
  return (n < 10 ? "0" : "") + n;
}

/** Local wall-clock time HH:MM:SS of a Date or epoch ms (default now). */
export function clock(date) {
  const d = date === undefined || date === null ? new Date() : new Date(date);
  return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
}

/** A duration as [h:]m:ss, never negative. */
export function formatRemaining(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return (h > 0 ? h + ":" + pad2(m) : String(m)) + ":" + pad2(s);
}

/** A short human span: 4 s, 2 min, 3 h 5 min, 2 d 4 h. */
export function formatSpan(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + " s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + " min" + (s % 60 && m < 10 ? " " + (s % 60) + " s" : "");
  const h = Math.floor(m / 60);
  if (h < 48) return h + " h" + (m % 60 ? " " + (m % 60) + " min" : "");
  const d = Math.floor(h / 24);
  return d + " d" + (h % 24 ? " " + (h % 24) + " h" : "");
}

/** An ISO 8601 UTC time for epoch ms (sandbox times are shown as the API writes them). */
export function isoTime(ms) {
  return ms === null || ms === undefined ? "" : new Date(ms).toISOString();
}

/** An identifier as a span that never wraps mid-token (class "id"), with the full id as its title. */
export function idNode(value, attrs) {
  const node = make("span", { className: "id", text: value, attrs: attrs || {} });
  node.title = str(value);
  return node;
}

// ---- requests -------------------------------------------------------------------------------

/** fetch JSON; resolves {ok, status, body, text, error} and never rejects. */
export async function requestJson(url, init, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs || 30000);
  const options = Object.assign({ cache: "no-store", credentials: "same-origin" }, init || {});
  options.signal = controller.signal;
  options.headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (options.json !== undefined) {
    options.method = options.method || "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
    delete options.json;
  }
  try {
    const response = await fetch(url, options);
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch (err) {
      body = null;
    }
    return { ok: response.ok, status: response.status, body, text, error: null };
  } catch (err) {
    const aborted = err && err.name === "AbortError";
    return { ok: false, status: 0, body: null, text: "", error: aborted ? "request timed out" : str(err && err.message) || "network error" };
  } finally {
    clearTimeout(timer);
  }
}

/** POST a JSON body: postJson(url, body) resolves like requestJson. */
export function postJson(url, body, timeoutMs) {
  return requestJson(url, { method: "POST", json: body }, timeoutMs);
}

/** One line for a failed request, in any provider's error shape ({error: {code, message}}, {message}, …). */
export function describeError(result) {
  const body = result.body;
  const e = body && body.error;
  if (e && typeof e === "object") {
    let text = str(e.message) || str(e.code) || "request failed";
    if (e.code && text.indexOf(str(e.code)) === -1) text += " (" + str(e.code) + ")";
    return text;
  }
  if (body && typeof body === "object" && (body.message || typeof e === "string")) {
    return str(body.message || e) + (body.code ? " (" + str(body.code) + ")" : "");
  }
  if (result.status === 0) return "could not reach the server: " + str(result.error || "network error");
  return "request failed (HTTP " + result.status + ")";
}

// ---- the embedding page and the server's event log ------------------------------------------

/** postMessage `msg` to the window that embeds (parent) or opened (opener) this page. */
export function tellEmbedder(msg) {
  [window.parent, window.opener].forEach((target) => {
    try {
      if (target && target !== window) target.postMessage(msg, "*");
    } catch (err) {
      /* that window is gone */
    }
  });
}

/** Fire-and-forget POST of a browser event to the sandbox, which records it in the timeline. */
export function reportEvent(url, msg) {
  if (!url) return;
  try {
    fetch(url, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(msg),
      keepalive: true, credentials: "same-origin",
    }).catch(() => { /* best effort */ });
  } catch (err) {
    /* best effort */
  }
}

// ---- copy to clipboard ---------------------------------------------------------------------

/** Copy `text`; resolves true when it was copied (falls back to selecting `source`). */
export async function copyText(text, source) {
  try {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      await navigator.clipboard.writeText(str(text));
      return true;
    }
  } catch (err) {
    /* fall back to selection */
  }
  if (!source) return false;
  try {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return Boolean(document.execCommand && document.execCommand("copy"));
  } catch (err) {
    return false;
  }
}

/** Make `button` copy the text of `source` (or `value()` when given); it says "Copied" for a moment. */
export function setupCopy(button, source, value) {
  if (!button) return;
  const label = button.textContent || "Copy";
  button.addEventListener("click", async () => {
    const copied = await copyText(value ? value() : source && source.textContent, source);
    if (!copied) return;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
}
