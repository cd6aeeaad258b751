/*
 * Why no webhook has arrived yet: the reasons a partner would check, for the proof panels of every
 * simulator page. Read once the page has waited OVERDUE_MS (real time) without a durable receipt.
 * The endpoint comes from GET /_sandbox/config, so a webhook URL pointed elsewhere is named.
 */
import { requestJson, str } from "/static/toolkit.js";

/** How long a page waits (real time) before it explains the silence. */
export const OVERDUE_MS = 30000;

const SCENARIO_REASONS = {
  "webhook-missed": "The webhook-missed rehearsal drops every webhook of this intent: nothing is sent, as " +
    "intended (the inspector shows the delivery as dropped). This is the rehearsal working.",
  "webhook-delayed": "The webhook-delayed rehearsal holds each webhook 30 s on the sandbox clock before its " +
    "first attempt; with a slow or frozen clock that takes longer in real time.",
};

/**
 * The reasons, most likely first, as plain sentences. `provider` is the provider's name,
 * `scenario` the rehearsal chosen for this run ("" for none).
 */
export async function explainSilence(provider, scenario) {
  const reasons = [];
  if (SCENARIO_REASONS[scenario]) reasons.push(SCENARIO_REASONS[scenario]);
  const receiver = location.origin + "/api/webhooks/" + provider;
  const config = await requestJson("/_sandbox/config", { method: "GET" }, 10000);
  const described = config.ok && config.body && config.body.providers ? config.body.providers[provider] : null;
  if (described) {
    const url = str(described.webhook_url);
    if (url && url !== receiver) {
      reasons.push("The " + provider + " webhook endpoint points elsewhere: " + url + " (GET /_sandbox/config). " +
        "This page reads the built-in receiver at " + receiver + ", which never sees those deliveries. " +
        "PUT /_sandbox/endpoints/" + provider + " sets it back.");
    } else {
      reasons.push("The " + provider + " webhook endpoint is this sandbox's built-in receiver (" + receiver +
        ", per GET /_sandbox/config), so deliveries land where this page reads.");
    }
    if (config.body.time_scale === 0) {
      reasons.push("The sandbox clock is frozen (time_scale 0): scheduled deliveries and retries wait until " +
        "the clock is advanced (POST /_sandbox/clock/advance).");
    }
  } else {
    reasons.push("The configuration could not be read (" + str(config.error || "HTTP " + config.status) +
      "); GET /_sandbox/config shows where " + provider + " webhooks go.");
  }
  reasons.push("A scenario or fault rule may drop or delay it, or the receiver may be failing on purpose " +
    "(PUT /_sandbox/receiver/" + provider + "): the inspector's timeline shows every delivery and attempt.");
  return reasons;
}

/** Render the reasons into a list element. */
export function renderReasons(list, reasons) {
  list.textContent = "";
  reasons.forEach((text) => {
    const item = document.createElement("li");
    item.textContent = text;
    list.appendChild(item);
  });
}
