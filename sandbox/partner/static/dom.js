/*
 * Small DOM helpers shared by the simulator page's modules. Everything user- or server-provided is
 * written with textContent, never innerHTML.
 */

/** The element with this data-testid (inside `scope`, default the document). */
export function byTestId(testid, scope) {
  return (scope || document).querySelector('[data-testid="' + testid + '"]');
}

export function str(value) {
  return value === null || value === undefined ? "" : String(value);
}

export function setText(testid, value) {
  const node = byTestId(testid);
  if (node) node.textContent = str(value);
  return node;
}

/** Set a badge's text and tone (progress | ok | bad | warn | ""). */
export function setBadge(testid, text, tone) {
  const node = setText(testid, text);
  if (node) {
    if (tone) node.setAttribute("data-tone", tone);
    else node.removeAttribute("data-tone");
  }
  return node;
}

export function show(testid, visible) {
  const node = byTestId(testid);
  if (node) node.hidden = !visible;
  return node;
}

/** Create an element with optional class, text and attributes. */
export function make(tag, options) {
  const node = document.createElement(tag);
  const o = options || {};
  if (o.className) node.className = o.className;
  if (o.text !== undefined) node.textContent = str(o.text);
  Object.keys(o.attrs || {}).forEach((name) => node.setAttribute(name, o.attrs[name]));
  return node;
}

/**
 * Fill a <dl> with [label, value, testid?] rows; rows whose value is null/undefined are skipped.
 */
export function renderKv(dl, rows) {
  dl.textContent = "";
  rows.forEach((row) => {
    const [label, value, testid] = row;
    if (value === null || value === undefined) return;
    const dt = make("dt", { text: label });
    const dd = make("dd", { text: value });
    if (testid) dd.setAttribute("data-testid", testid);
    dl.appendChild(dt);
    dl.appendChild(dd);
  });
}

/** Pretty JSON for <pre> blocks. */
export function pretty(value) {
  try {
    return JSON.stringify(value, null, 2);
  } catch (err) {
    return str(value);
  }
}

function pad2(n) {
  return (n < 10 ? "0" : "") + n;
}

/** Local wall-clock time of the browser, HH:MM:SS (when the page saw something). */
export function clock(date) {
  const d = date || new Date();
  return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
}

/** fetch JSON; resolves {ok, status, body, text, error} and never rejects. */
export async function requestJson(url, init, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs || 30000);
  const options = Object.assign({ cache: "no-store", credentials: "same-origin" }, init || {});
  options.signal = controller.signal;
  options.headers = Object.assign({ Accept: "application/json" }, options.headers || {});
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
