/*
 * What every simulator page's run shares (LIQX PAYIN/PAYOUT and the ROZO, Inqud, Mizu pages): the
 * four steps, the request form's reference and lock, and the "no webhook after 30 s" explanation.
 */
import { byTestId, setText, setTone, show } from "/static/toolkit.js";
import { OVERDUE_MS, explainSilence, renderReasons } from "./silence.js";

/** Set a step's state (pending | active | done | failed) and its line. */
export function step(key, state, line) {
  byTestId("step-" + key).setAttribute("data-state", state);
  setText("step-" + key + "-detail", line);
}

/** A fresh demo-<ms> reference in the form's generated field. */
export function newReference(form) {
  const input = form.querySelector('[data-generate="demo-ms"]');
  if (input) input.value = "demo-" + Date.now();
}

/** Lock the form (and `extra` controls outside it) during a run; "Start a new run" shows instead. */
export function lockForm(form, locked, extra) {
  Array.from(form.elements).concat(extra || []).forEach((input) => {
    if (input.getAttribute("data-testid") !== "new-run") input.disabled = locked;
  });
  show("new-run", locked);
}

/**
 * After OVERDUE_MS (real time) without proof, say so in the webhook panel and list why that may be,
 * once per run. `run` carries trackedAt, observed, overdue and rehearsal; `current()` is the page's
 * run now (a new run makes an older explanation moot).
 */
export async function explainIfOverdue(run, provider, current) {
  if (!run || run.observed || run.overdue || !run.trackedAt || Date.now() - run.trackedAt < OVERDUE_MS) return;
  run.overdue = true;
  const seconds = Math.round((Date.now() - run.trackedAt) / 1000);
  setText("webhook-overdue-title", "No webhook has arrived after " + seconds + " s. Why that may be:");
  renderReasons(byTestId("webhook-overdue-reasons"), await explainSilence(provider, run.rehearsal));
  if (current() === run && !run.observed) {
    show("webhook-overdue", true);
    setTone("webhook-badge", "no webhook after " + seconds + " s", "warn");
  }
}
