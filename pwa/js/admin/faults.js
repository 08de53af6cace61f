// Faults (/admin/faults): what the stations reported, how long it lasted, who is on it;
// acknowledge and resolve. Below, who is told when a station faults or goes offline
// (e-mail recipients, the signed webhook) and where invoice events go (the billing webhook,
// signed alike) — changed by operator admins.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { t } from "../i18n.js";
import { dataTable, faultHeaders, faultRow, handleFaultActions, isAdmin } from "./network.js";

function notificationsForm(settings, admin) {
  const disabled = admin ? "" : "disabled";
  const secretState = settings.has_webhook_secret ? t("A webhook secret is set.") : t("No webhook secret yet.");
  return html`<section aria-labelledby="notify-heading" class="card">
    <h2 id="notify-heading">${t("Notifications")}</h2>
    <p class="muted">${t("Who is told when a station goes offline or reports a fault.")}</p>
    <form id="notify-form" class="form-grid">
      <fieldset ${disabled}>
        <legend>${t("Events")}</legend>
        <label class="check"
          ><input type="checkbox" name="offline" ${settings.notify_offline ? "checked" : ""} />
          ${t("A station goes offline")}</label
        >
        <label class="check"
          ><input type="checkbox" name="fault" ${settings.notify_fault ? "checked" : ""} />
          ${t("A station reports a fault")}</label
        >
        <label for="notify-grace">${t("Tell about an outage after (seconds)")}</label>
        <input id="notify-grace" name="grace" type="number" min="0" max="86400" value="${settings.offline_grace_s}" />
        <label for="notify-recipients">${t("E-mail recipients (one per line)")}</label>
        <textarea id="notify-recipients" name="recipients" rows="3">${settings.email_recipients.join("\n")}</textarea>
        <label for="notify-language">${t("Language of the e-mails")}</label>
        <select id="notify-language" name="language">
          <option value="de" ${settings.language === "de" ? "selected" : ""}>Deutsch</option>
          <option value="en" ${settings.language === "en" ? "selected" : ""}>English</option>
        </select>
        <label for="notify-webhook">${t("Webhook URL")}</label>
        <input id="notify-webhook" name="webhook" type="url" maxlength="500" value="${settings.webhook_url}" />
        <label for="notify-billing-webhook">${t("Webhook URL for invoice events")}</label>
        <input
          id="notify-billing-webhook"
          name="billingWebhook"
          type="url"
          maxlength="500"
          value="${settings.billing_webhook_url}"
        />
        <p class="muted" id="notify-secret-state">${secretState}</p>
        <button class="button primary">${t("Save notifications")}</button>
        <button class="button secondary" type="button" id="notify-secret">${t("Make a new webhook secret")}</button>
      </fieldset>
    </form>
    <div id="notify-status" role="status"></div>
  </section>`;
}

export async function show({ main, nav, account, isCurrent }) {
  const admin = isAdmin(account);
  let filter = new URLSearchParams(location.search).get("status") || "open";
  const settings = await userRequest("/api/admin/notifications");
  if (!isCurrent()) return undefined;
  const table = dataTable({ caption: t("Faults"), headers: faultHeaders(), id: "faults-table", bodyId: "fault-rows" });
  renderScreen(
    main,
    html`${nav}
      <h1 tabindex="-1">${t("Faults")}</h1>
      <form class="filters" id="faults-filter" role="search">
        <label for="faults-state">${t("Show")}</label>
        <select id="faults-state" name="status">
          <option value="open" ${filter === "open" ? "selected" : ""}>${t("Open faults")}</option>
          <option value="resolved" ${filter === "resolved" ? "selected" : ""}>${t("Resolved faults")}</option>
          <option value="" ${filter === "" ? "selected" : ""}>${t("All faults")}</option>
        </select>
        <button class="button secondary">${t("Filter")}</button>
      </form>
      <p role="status" id="faults-status"></p>
      ${table}
      ${notificationsForm(settings, admin)}`,
  );
  const rows = main.querySelector("#fault-rows");
  const status = main.querySelector("#faults-status");
  const load = async () => {
    const faults = await userRequest(`/api/admin/faults${filter ? `?status=${filter}` : ""}`);
    if (!isCurrent()) return;
    render(rows, faults.length ? faults.map((fault) => faultRow(fault)) : html`<tr><td colspan="7">${t("No faults.")}</td></tr>`);
  };
  handleFaultActions(rows, status, load);
  main.querySelector("#faults-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    filter = event.target.status.value;
    history.replaceState(null, "", filter ? `?status=${filter}` : "?status=");
    load();
  });

  const notifyStatus = main.querySelector("#notify-status");
  main.querySelector("#notify-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      await userRequest("/api/admin/notifications", {
        method: "PUT",
        body: {
          notify_offline: form.offline.checked,
          notify_fault: form.fault.checked,
          offline_grace_s: Number(form.grace.value || 0),
          email_recipients: form.recipients.value
            .split(/[\n,;]+/)
            .map((line) => line.trim())
            .filter(Boolean),
          language: form.language.value,
          webhook_url: form.webhook.value.trim(),
          billing_webhook_url: form.billingWebhook.value.trim(),
        },
      });
      render(notifyStatus, html`<p>${t("Saved.")}</p>`);
    } catch (problem) {
      render(notifyStatus, html`<p class="error">${problem.message}</p>`);
    }
  });
  main.querySelector("#notify-secret").addEventListener("click", async () => {
    try {
      const made = await userRequest("/api/admin/notifications/webhook-secret", { method: "POST" });
      const intro = t("Verify the X-CPO-Signature header with this secret. It is shown only once:");
      render(
        notifyStatus,
        html`<div class="notice">
          <p>${intro}</p>
          <p><code class="secret">${made.webhook_secret}</code></p>
        </div>`,
      );
      main.querySelector("#notify-secret-state").textContent = t("A webhook secret is set.");
    } catch (problem) {
      render(notifyStatus, html`<p class="error">${problem.message}</p>`);
    }
  });
  await load();
  return undefined;
}
