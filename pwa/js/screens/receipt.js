// The end of a session: the receipt (summary, PDF, sharing), or why charging did not
// happen and that the reserved amount was released.

import { html, render, renderScreen } from "../html.js";
import { duration, kwh, lang, money, t } from "../i18n.js";

const receiptPath = (receiptToken) => `/r/${encodeURIComponent(receiptToken)}`;

function summary(view, kept) {
  const live = view.live || {};
  const paid = view.amount_paid_minor;
  const row = (label, value) =>
    html`<div>
      <dt>${label}</dt>
      <dd>${value}</dd>
    </div>`;
  const chargePoint = kept?.stationName ? `${kept.stationName} (${view.evse_id})` : view.evse_id;
  return html` <dl class="summary">
    ${row(t("Energy charged"), kwh(live.energy_wh || 0, 3))} ${row(t("Duration"), duration(live.duration_s || 0))}
    ${row(t("Amount paid"), paid === null ? t("Being settled…") : money(paid, view.currency))}
    ${view.payment_method ? row(t("Payment method"), view.payment_method) : ""} ${row(t("Charge point"), chargePoint)}
  </dl>`;
}

function receiptLinks(view) {
  if (!view.receipt_token) return html`<p class="loading" role="status">${t("Your receipt is being prepared…")}</p>`;
  const path = receiptPath(view.receipt_token);
  const share = t("Share receipt");
  return html` <p>
      <a class="button primary" href="${path}.pdf?lang=${lang}" target="_blank" rel="noopener">${t("Download PDF")}</a>
    </p>
    <p>
      <a class="button secondary" href="${path}?lang=${lang}" target="_blank" rel="noopener">${t("Show receipt")}</a>
    </p>
    ${navigator.share ? html`<p><button class="button secondary" type="button" data-share>${share}</button></p>` : ""}`;
}

export function showReceipt(main, view, actions) {
  const page = (current) => {
    const kept = actions.kept();
    const mailed = kept?.email ? t("We also send the receipt to {email}.", { email: kept.email }) : "";
    return html` <h1 tabindex="-1">${t("Charging finished")}</h1>
      ${summary(current, kept)} ${receiptLinks(current)} ${mailed ? html`<p>${mailed}</p>` : ""}
      <p class="muted">
        ${t("Your receipts stay in this app on this device.")} <a href="/history">${t("My sessions")}</a>
      </p>`;
  };
  const bindShare = (current) => {
    main.querySelector("[data-share]")?.addEventListener("click", () => {
      const url = new URL(receiptPath(current.receipt_token), location.origin).href;
      navigator.share({ title: t("Receipt"), url }).catch(() => {});
    });
  };
  renderScreen(main, page(view));
  bindShare(view);
  return {
    // The receipt and the settled amount arrive a moment after the stop.
    update(current) {
      render(main, page(current));
      bindShare(current);
    },
  };
}

const DID_NOT_START = ["charger_offline", "charger_rejected", "did_not_start"];

export function showFailure(main, view) {
  const startFailed = DID_NOT_START.includes(view.failure_reason);
  renderScreen(
    main,
    html` <h1 tabindex="-1">${startFailed ? t("Charging did not start") : t("Payment not completed")}</h1>
      <p class="error" role="alert">${view.message}</p>
      <p><a class="button primary" href="/c/${encodeURIComponent(view.evse_id)}">${t("Try again")}</a></p>
      <p><a class="button secondary" href="/scan">${t("Choose another charge point")}</a></p>`,
  );
  return null;
}
