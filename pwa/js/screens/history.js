// The driver's past sessions and receipts, kept on this device only (no account).

import { html, render, renderScreen } from "../html.js";
import { dateTime, kwh, lang, money, t } from "../i18n.js";
import { getSession } from "../api.js";
import { keepView, reports, sessions } from "../store.js";

const STATES = {
  awaiting_payment: () => t("Waiting for payment"),
  starting: () => t("Starting"),
  charging: () => t("Charging"),
  stopping: () => t("Stopping"),
  finished: () => t("Finished"),
  failed: () => t("Not charged"),
};

function amount(entry) {
  if (entry.amountPaidMinor !== null && entry.amountPaidMinor !== undefined)
    return money(entry.amountPaidMinor, entry.currency);
  if (entry.costMinor !== null && entry.costMinor !== undefined) return money(entry.costMinor, entry.currency);
  return "";
}

function item(entry) {
  const details = [entry.energyWh ? kwh(entry.energyWh, 3) : "", amount(entry), STATES[entry.state]?.() || ""].filter(
    Boolean,
  );
  const receipt = entry.receiptToken && `/r/${encodeURIComponent(entry.receiptToken)}`;
  return html` <li class="card">
    <h2><a href="/s/${encodeURIComponent(entry.token)}">${entry.stationName || entry.evseId}</a></h2>
    <p class="muted">${dateTime(entry.startedAt || entry.createdAt)} · ${entry.evseId}</p>
    <p>${details.join(" · ")}</p>
    ${
      receipt
        ? html`<p class="links">
            <a href="${receipt}?lang=${lang}" target="_blank" rel="noopener">${t("Receipt")}</a>
            <a href="${receipt}.pdf?lang=${lang}" target="_blank" rel="noopener">${t("Download PDF")}</a>
          </p>`
        : ""
    }
  </li>`;
}

// Sessions last seen running may have ended since: ask, when there is a connection.
async function refresh(kept, isCurrent, draw) {
  const over = (entry) => entry.state === "failed" || (entry.state === "finished" && entry.amountPaidMinor != null);
  const open = kept.filter((entry) => !over(entry));
  const views = await Promise.all(open.slice(0, 5).map((entry) => getSession(entry.token).catch(() => null)));
  views.forEach((view, index) => view && keepView(open[index].token, view));
  if (isCurrent() && views.some(Boolean)) draw();
}

function reported() {
  const kept = reports();
  if (!kept.length) return "";
  const item = (entry) =>
    html`<li><a href="/t/${encodeURIComponent(entry.token)}">${dateTime(entry.createdAt)} · ${entry.evseId}</a></li>`;
  return html`<h2>${t("My reports")}</h2>
    <ul class="links-list">
      ${kept.map(item)}
    </ul>`;
}

function page(kept) {
  return html` <h1 tabindex="-1">${t("My sessions")}</h1>
    <p class="muted">${t("Kept only on this device. Receipts need a connection to open.")}</p>
    ${
      kept.length
        ? html`<ul class="sessions">
            ${kept.map(item)}
          </ul>`
        : html`<p>${t("No sessions on this device yet.")}</p>
            <p><a class="button primary" href="/scan">${t("Start charging")}</a></p>`
    }
    ${reported()}`;
}

export function show({ main, isCurrent }) {
  document.title = t("My sessions");
  renderScreen(main, page(sessions()));
  if (navigator.onLine) refresh(sessions(), isCurrent, () => render(main, page(sessions())));
}
