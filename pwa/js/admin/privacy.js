// Privacy requests (/admin/privacy, operator admins): customers' requests to be erased and
// their downloads of their data. An open request is completed (the login, name and e-mail
// address are erased; invoices and charge detail records stay) or declined with a reason the
// customer is mailed. Every decision is in the audit log.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateTime, t } from "../i18n.js";

const api = "/api/admin/privacy-requests";
const KIND = { deletion: () => t("Erase the account"), export: () => t("Downloaded their data") };
const STATUS = { open: () => t("Open"), done: () => t("Done"), declined: () => t("Declined") };

function who(request) {
  const name = request.user_name || request.user_email;
  const customer = request.customer_name !== name ? request.customer_name : "";
  return [name, customer].filter(Boolean).join(" · ");
}

function item(request) {
  const decided = request.decided_at
    ? t("{status} on {date} by {who}", {
        status: STATUS[request.status]?.() || request.status,
        date: dateTime(request.decided_at),
        who: request.decided_by,
      })
    : STATUS[request.status]?.() || request.status;
  const open = request.kind === "deletion" && request.status === "open";
  return html`<li class="card" data-request="${request.id}">
    <h2>${who(request)}</h2>
    <p class="muted">${[KIND[request.kind]?.() || request.kind, request.user_email, dateTime(request.created_at)].join(" · ")}</p>
    <p><strong>${decided}</strong></p>
    ${request.reason ? html`<p>${request.reason}</p>` : ""}
    ${
      open
        ? html`<div class="admin-actions">
              <button class="button danger" type="button" data-complete="${request.id}">${t("Erase now")}</button>
            </div>
            <form class="admin-form" data-decline="${request.id}">
              <label for="reason-${request.id}">${t("Or decline, because")}</label>
              <textarea id="reason-${request.id}" name="reason" required maxlength="2000" rows="3"></textarea>
              <button class="button secondary">${t("Decline")}</button>
            </form>`
        : ""
    }
  </li>`;
}

function page(nav, status) {
  return html`${nav}
    <h1 tabindex="-1">${t("Privacy requests")}</h1>
    <p>${t("Erasing removes the customer's login, passkeys, name and e-mail address and blocks their app token. Invoices and charge detail records stay for 10 years (§ 147 AO, § 14b UStG). The customer is told by e-mail either way.")}</p>
    <form class="filters" id="privacy-filter">
      <label for="privacy-status">${t("Show")}</label>
      <select id="privacy-status" name="status">
        <option value="open" ${status === "open" ? "selected" : ""}>${t("Open requests")}</option>
        <option value="" ${status === "" ? "selected" : ""}>${t("All requests")}</option>
      </select>
    </form>
    <p role="status" id="privacy-status-line"></p>
    <ul class="sessions" id="privacy-list"></ul>
    <dialog id="privacy-dialog" aria-labelledby="privacy-question">
      <form method="dialog">
        <h2 id="privacy-question">${t("Erase this account now?")}</h2>
        <p>${t("This cannot be undone. A customer who is charging right now is erased once the session has ended.")}</p>
        <button class="button danger" value="yes">${t("Erase now")}</button>
        <button class="button secondary" value="no" autofocus>${t("Cancel")}</button>
      </form>
    </dialog>`;
}

export async function show({ main, nav, isCurrent }) {
  let status = "open";
  let requests = [];
  renderScreen(main, page(nav, status));
  const line = main.querySelector("#privacy-status-line");
  const dialog = main.querySelector("#privacy-dialog");
  let chosen = null;

  async function fill(message = "") {
    try {
      requests = await userRequest(status ? `${api}?status=${status}` : api);
    } catch (problem) {
      line.textContent = problem.message;
      return;
    }
    if (!isCurrent()) return;
    render(
      main.querySelector("#privacy-list"),
      requests.length ? html`${requests.map(item)}` : html`<li>${t("No requests.")}</li>`,
    );
    line.textContent = message;
    bind();
  }

  async function decide(path, body, message) {
    try {
      await userRequest(path, { method: "POST", body });
      await fill(message);
    } catch (problem) {
      line.textContent = problem.message;
    }
  }

  function bind() {
    for (const button of main.querySelectorAll("[data-complete]")) {
      button.addEventListener("click", () => {
        chosen = button.dataset.complete;
        dialog.showModal();
      });
    }
    for (const form of main.querySelectorAll("[data-decline]")) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const reason = form.reason.value.trim();
        if (reason) decide(`${api}/${form.dataset.decline}/decline`, { reason }, t("Declined; the customer is told."));
      });
    }
  }

  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "yes" && chosen) decide(`${api}/${chosen}/complete`, {}, t("Erased; the customer is told."));
  });
  main.querySelector("#privacy-status").addEventListener("change", (event) => {
    status = event.target.value;
    fill();
  });
  await fill();
}
