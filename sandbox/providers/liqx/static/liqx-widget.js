/*!
 * LIQX widget SDK, v1 (sandbox build).
 *
 * Embeds the LIQX hosted widget in an iframe and turns its browser events into callbacks.
 *
 * Load it as a classic script from the LIQX host you integrate with:
 *
 *   <script src="https://<liqx-host>/liqx/sdk/v1/liqx-widget.js"></script>
 *
 * API
 *
 *   var handle = LIQXWidget.mount(element, options);
 *
 *   element   A DOM element, or a CSS selector string for one. The iframe is appended to it.
 *   options   {
 *     sessionToken: string,  // from POST /liqx/v1/intents/{intent_id}/widget-sessions; the widget
 *                            // URL becomes <origin of this script>/liqx/widget/<sessionToken>
 *     widgetUrl:    string,  // or the session's widget_url as returned by the API (wins if both)
 *     height:       number | string,  // iframe height; number = pixels; default "560px"
 *     onReady(event),           // WIDGET_READY     widget rendered
 *     onPayinCompleted(event),  // PAYIN_COMPLETED  deposit seen (status COMPLETED)
 *     onPayinRejected(event),   // PAYIN_REJECTED   deposit rejected (status REJECTED)
 *     onPayoutClaimed(event),   // PAYOUT_CLAIMED   claim accepted (PROCESSING) or payout COMPLETED
 *     onPayoutRejected(event),  // PAYOUT_REJECTED  payout failed or rejected (status FAILED)
 *     onExpired(event),         // WIDGET_EXPIRED   intent or widget session expired
 *     onEvent(event)            // every event above, after the specific callback
 *   }
 *
 *   Each event is {source: "liqx-widget", version: 1, type, intent_id, session_id, status, at}
 *   with `at` an ISO 8601 timestamp. Each type arrives at most once per widget page load.
 *
 *   Returns {iframe, widgetUrl, destroy()}; destroy() removes the iframe and stops listening.
 *   mount() throws an Error when neither sessionToken nor widgetUrl is given, or when the
 *   element cannot be found.
 *
 * Security: a message is accepted only when it comes from the widget URL's origin, from this
 * iframe's window, and carries source "liqx-widget" and version 1. A callback that throws is
 * logged with console.error and does not stop the other callbacks.
 *
 * The browser result is a convenience for the UI, not proof of payment: confirm the outcome with
 * the signed transaction.* webhook (or GET /liqx/v1/intents/{intent_id}) on your server.
 */
(function (global) {
  "use strict";

  var DEFAULT_HEIGHT = "560px";
  var CALLBACKS = {
    WIDGET_READY: "onReady",
    PAYIN_COMPLETED: "onPayinCompleted",
    PAYIN_REJECTED: "onPayinRejected",
    PAYOUT_CLAIMED: "onPayoutClaimed",
    PAYOUT_REJECTED: "onPayoutRejected",
    WIDGET_EXPIRED: "onExpired"
  };
  var CALLBACK_NAMES = ["onReady", "onPayinCompleted", "onPayinRejected", "onPayoutClaimed",
    "onPayoutRejected", "onExpired", "onEvent"];

  // Captured now: document.currentScript is only set while this file is first executed.
  var sdkOrigin = (function () {
    var doc = global.document;
    var script = doc && doc.currentScript;
    var src = script && script.src;
    if (!src && doc) {
      var tags = doc.getElementsByTagName("script");
      for (var i = tags.length - 1; i >= 0; i--) {
        if (/\/liqx-widget\.js(?:[?#]|$)/.test(tags[i].src || "")) { src = tags[i].src; break; }
      }
    }
    try {
      return new URL(src || global.location.href, global.location.href).origin;
    } catch (err) {
      return global.location ? global.location.origin : "";
    }
  })();

  function resolveElement(element) {
    var found = element;
    if (typeof element === "string") {
      try {
        found = global.document.querySelector(element);
      } catch (err) {
        throw new Error("LIQXWidget.mount: invalid selector " + JSON.stringify(element));
      }
      if (!found) throw new Error("LIQXWidget.mount: no element matches " + JSON.stringify(element));
    }
    if (!found || found.nodeType !== 1) {
      throw new Error("LIQXWidget.mount: element must be a DOM element or a CSS selector string");
    }
    return found;
  }

  function resolveWidgetUrl(options) {
    var raw;
    if (typeof options.widgetUrl === "string" && options.widgetUrl.trim()) {
      raw = options.widgetUrl.trim();
    } else if (typeof options.sessionToken === "string" && options.sessionToken.trim()) {
      raw = sdkOrigin + "/liqx/widget/" + encodeURIComponent(options.sessionToken.trim());
    } else {
      throw new Error("LIQXWidget.mount: options.sessionToken or options.widgetUrl is required");
    }
    var url;
    try {
      url = new URL(raw, global.document.baseURI);
    } catch (err) {
      throw new Error("LIQXWidget.mount: invalid widgetUrl " + JSON.stringify(raw));
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error("LIQXWidget.mount: widgetUrl must be an http(s) URL");
    }
    return url;
  }

  function cssHeight(height) {
    if (height === undefined || height === null || height === "") return DEFAULT_HEIGHT;
    if (typeof height === "number" && isFinite(height)) return height + "px";
    return String(height);
  }

  function invoke(fn, name, event) {
    if (typeof fn !== "function") return;
    try {
      fn(event);
    } catch (err) {
      if (global.console) global.console.error("LIQXWidget: " + name + " callback threw", err);
    }
  }

  function mount(element, options) {
    if (!options || typeof options !== "object") {
      throw new Error("LIQXWidget.mount: options.sessionToken or options.widgetUrl is required");
    }
    CALLBACK_NAMES.forEach(function (name) {
      if (options[name] !== undefined && options[name] !== null && typeof options[name] !== "function") {
        throw new TypeError("LIQXWidget.mount: options." + name + " must be a function");
      }
    });
    var url = resolveWidgetUrl(options);
    var container = resolveElement(element);
    var widgetUrl = url.href;
    var widgetOrigin = url.origin;

    var iframe = global.document.createElement("iframe");
    iframe.src = widgetUrl;
    iframe.title = "LIQX widget";
    iframe.setAttribute("data-testid", "liqx-widget-frame");
    iframe.setAttribute("width", "100%");
    iframe.setAttribute("allow", "clipboard-write");
    iframe.style.width = "100%";
    iframe.style.height = cssHeight(options.height);
    iframe.style.border = "0";
    iframe.style.display = "block";

    function onMessage(event) {
      if (event.origin !== widgetOrigin) return;
      if (!iframe.contentWindow || event.source !== iframe.contentWindow) return;
      var data = event.data;
      if (!data || typeof data !== "object" || data.source !== "liqx-widget" || data.version !== 1) return;
      if (typeof data.type !== "string") return;
      var payload = {
        source: data.source,
        version: data.version,
        type: data.type,
        intent_id: data.intent_id,
        session_id: data.session_id,
        status: data.status,
        at: data.at
      };
      var specific = CALLBACKS[data.type];
      if (specific) invoke(options[specific], specific, payload);
      invoke(options.onEvent, "onEvent", payload);
    }

    var destroyed = false;
    global.addEventListener("message", onMessage);
    container.appendChild(iframe);

    return {
      iframe: iframe,
      widgetUrl: widgetUrl,
      destroy: function () {
        if (destroyed) return;
        destroyed = true;
        global.removeEventListener("message", onMessage);
        if (iframe.parentNode) iframe.parentNode.removeChild(iframe);
      }
    };
  }

  global.LIQXWidget = { version: 1, mount: mount };
})(window);
