// Without signal: what still works (the sessions and receipts kept on this device) and
// what does not (starting a charge point). Also how other screens show a failed request.

import { html, renderScreen } from "../html.js";
import { t } from "../i18n.js";

export function offlineNotice() {
  return html` <h1 tabindex="-1">${t("You are offline")}</h1>
    <p>${t("Without a connection you can still see your past sessions and receipts on this device.")}</p>
    <p>
      ${t(
        "A charge point cannot be started without a connection. " +
          "A session that is already charging goes on; you can also end it at the charge point or in your car.",
      )}
    </p>
    <p><a class="button primary" href="/history">${t("My sessions")}</a></p>
    <p><button class="button secondary" type="button" data-reload>${t("Try again")}</button></p>`;
}

// A request failed: no connection gets the offline notice, anything else its message.
export function problemNotice(problem) {
  if (problem.code === "network") return offlineNotice();
  return html` <h1 tabindex="-1">${t("Sorry")}</h1>
    <p class="error" role="alert">${problem.message}</p>
    <p><a class="button primary" href="/scan">${t("Enter or scan a charge point")}</a></p>`;
}

export function show({ main }) {
  renderScreen(main, offlineNotice());
}
