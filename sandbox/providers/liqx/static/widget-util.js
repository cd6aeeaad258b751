/*
 * LIQX hosted widget helpers: formatting, JSON requests and copy-to-clipboard.
 *
 * Kept apart from widget.js so the widget's own file holds only its state machine and rendering.
 * Loaded first; exposes window.LIQXWidgetUtil.
 */
(function () {
  "use strict";

  var REQUEST_TIMEOUT_MS = 10000;

  function str(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  /** "1500000" -> "1,500,000"; works on the string so large amounts keep every digit. */
  function groupThousands(value) {
    var s = str(value).trim();
    var m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
    if (!m) return s;
    return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (m[3] || "");
  }

  function parseTime(value) {
    var t = Date.parse(str(value));
    return isNaN(t) ? null : t;
  }

  function pad2(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function formatRemaining(ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(total / 3600);
    var m = Math.floor((total % 3600) / 60);
    var s = total % 60;
    return (h > 0 ? h + ":" + pad2(m) : String(m)) + ":" + pad2(s);
  }

  /** fetch JSON; resolves {ok, status, body} and never rejects. */
  function requestJson(url, init) {
    var ctrl = typeof AbortController === "function" ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, REQUEST_TIMEOUT_MS) : null;
    var opts = init || {};
    opts.headers = opts.headers || {};
    opts.headers.Accept = "application/json";
    opts.cache = "no-store";
    opts.credentials = "same-origin";
    if (ctrl) opts.signal = ctrl.signal;
    return fetch(url, opts).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (err) { body = null; }
        return { ok: res.ok, status: res.status, body: body };
      });
    }).catch(function (err) {
      var aborted = err && err.name === "AbortError";
      return { ok: false, status: 0, body: null, networkError: aborted ? "request timed out" : str(err && err.message) || "network error" };
    }).then(function (result) {
      if (timer) clearTimeout(timer);
      return result;
    });
  }

  function describeError(result) {
    var e = result.body && result.body.error;
    if (e && typeof e === "object") {
      var text = str(e.message) || str(e.code) || "Request failed";
      if (e.code && text.indexOf(str(e.code)) === -1) text += " (" + str(e.code) + ")";
      return text;
    }
    if (result.status === 0) return "Could not reach the server: " + str(result.networkError);
    return "Request failed (HTTP " + result.status + ")";
  }

  /** Copy the text of `source` when `btn` is clicked, falling back to selecting it. */
  function setupCopy(btn, source) {
    btn.addEventListener("click", function () {
      var value = str(source.textContent);
      var done = function () {
        btn.textContent = "Copied";
        setTimeout(function () { btn.textContent = "Copy"; }, 1500);
      };
      var fallback = function () {
        try {
          var range = document.createRange();
          range.selectNodeContents(source);
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          if (document.execCommand && document.execCommand("copy")) done();
        } catch (err) { /* selection left in place for manual copy */ }
      };
      try {
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(value).then(done, fallback);
        } else {
          fallback();
        }
      } catch (err) {
        fallback();
      }
    });
  }

  window.LIQXWidgetUtil = {
    str: str, groupThousands: groupThousands, parseTime: parseTime, pad2: pad2,
    formatRemaining: formatRemaining, requestJson: requestJson, describeError: describeError,
    setupCopy: setupCopy
  };
})();
