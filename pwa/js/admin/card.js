// One card (/admin/cards/{id}): its details, editing and assigning (admins), blocking and
// unblocking with a confirmation (staff too), how each station took the change, and where
// the card charged. /admin/cards/new is the form for a new card.

import { userRequest } from "../account.js";
import { html, renderScreen } from "../html.js";
import { dateTime, kwh, t } from "../i18n.js";
import { go } from "../router.js";
import { cardStatus, day, isAdmin } from "./cards.js";
import { adminTable } from "./table.js";

const REFRESH_MS = 1500;

function pushState(state) {
  if (state === "accepted") return t("Accepted by the station");
  if (state === "failed") return t("Failed");
  if (state === "not_supported") return t("Not supported");
  return t("Pending");
}

function pushMethod(method) {
  if (method === "send_local_list") return t("Local list update");
  if (method === "clear_cache") return t("Cache cleared");
  return "–";
}

// Answers the platform gives itself (the charger's own answers are shown as they came).
const OFFLINE = "station offline";
const NOTHING_TO_TELL = "no local list or cache";

function answer(push) {
  if (push.answer === OFFLINE) return t("Station offline: sent when it reconnects");
  if (push.answer === NOTHING_TO_TELL) return t("The station keeps no local list or cache");
  return push.answer || "–";
}

function pushRow(push) {
  const version = push.list_version ? t("version {version}", { version: push.list_version }) : "";
  return html`<tr>
    <td>${push.station_name || push.station}<br /><code>${push.station}</code></td>
    <td><span class="push-state push-${push.state}">${pushState(push.state)}</span></td>
    <td>${pushMethod(push.method)} ${version}</td>
    <td>${answer(push)}</td>
    <td>${dateTime(push.updated_at)}</td>
  </tr>`;
}

function sessionRow(session) {
  return html`<tr>
    <td>${day(session.started_at)}</td>
    <td><code>${session.station}</code></td>
    <td>${session.evse_id || "–"}</td>
    <td>${session.energy_wh === null ? "–" : kwh(session.energy_wh)}</td>
    <td>${session.authorization_status || "–"}</td>
  </tr>`;
}

const dateInput = (iso) => (iso ? iso.slice(0, 10) : "");

function customerOptions(customers, selected) {
  const none = t("No customer");
  return html`<option value="">${none}</option>
    ${customers.map(
      (customer) =>
        html`<option value="${customer.id}" ${customer.id === selected ? "selected" : ""}>${customer.name}</option>`,
    )}`;
}

function fields(card, customers) {
  return html`<label for="card-label">${t("Label")}</label>
    <input id="card-label" name="label" maxlength="200" value="${card.label}" />
    <label for="card-expires">${t("Expires on")}</label>
    <input id="card-expires" name="expires" type="date" value="${dateInput(card.expires_at)}" />
    <label for="card-customer">${t("Customer")}</label>
    <select id="card-customer" name="customer">
      ${customerOptions(customers, card.customer_id)}
    </select>
    <label for="card-customer-group">${t("Tariff group")}</label>
    <input id="card-customer-group" name="customer_group" maxlength="64" value="${card.customer_group || ""}" />
    <label for="card-group">${t("Group card (parent)")}</label>
    <input id="card-group" name="group_id" maxlength="36" value="${card.group_id || ""}" />
    <label for="card-cost-centre">${t("Cost centre")}</label>
    <input id="card-cost-centre" name="cost_centre" maxlength="64" value="${card.cost_centre || ""}" />`;
}

function values(form) {
  const text = (name) => form[name].value.trim() || null;
  return {
    label: form.label.value.trim(),
    expires_at: form.expires.value ? `${form.expires.value}T00:00:00Z` : null,
    customer_id: form.customer.value ? Number(form.customer.value) : null,
    customer_group: text("customer_group"),
    group_id: text("group_id"),
    cost_centre: form.cost_centre.value.trim(),
  };
}

async function customersOf() {
  try {
    return await userRequest("/api/operator/customers/");
  } catch {
    return []; // the form still works without the choice of customers
  }
}

async function showNew({ main, nav }) {
  const customers = await customersOf();
  renderScreen(
    main,
    html`${nav}
      <p><a href="/admin/cards">${t("All cards")}</a></p>
      <h1 tabindex="-1">${t("New card")}</h1>
      <form class="admin-form" id="card-new">
        <label for="card-uid">${t("Card number (UID)")}</label>
        <input id="card-uid" name="uid" required maxlength="36" autocomplete="off" />
        ${fields({ label: "", customer_group: "", group_id: "", cost_centre: "" }, customers)}
        <button class="button primary">${t("Create card")}</button>
        <p class="error" role="alert" id="card-error"></p>
      </form>`,
  );
  main.querySelector("#card-new").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { uid: form.uid.value.trim(), ...values(form) };
    if (body.customer_group === null) delete body.customer_group;
    try {
      const card = await userRequest("/api/admin/cards", { method: "POST", body });
      go(`/admin/cards/${card.id}`);
    } catch (problem) {
      main.querySelector("#card-error").textContent = problem.message;
    }
  });
}

// Who blocked it: a customer may lift their own block in the app, never the operator's.
function blockedBy(card) {
  if (card.blocked_by === "customer") return t("The customer, in the app");
  if (card.blocked_by === "operator") return t("The operator");
  return "–";
}

function details(card) {
  const item = (term, value) => html`<div><dt>${term}</dt><dd>${value}</dd></div>`;
  return html`<dl class="summary">
    ${item(t("Status"), cardStatus(card.status))} ${item(t("Label"), card.label || "–")}
    ${item(t("Customer"), card.customer_name || "–")} ${item(t("Holder"), card.holder_name || "–")}
    ${item(t("Tariff group"), card.customer_group || "–")} ${item(t("Group card (parent)"), card.group_id || "–")}
    ${item(t("Expires"), day(card.expires_at))} ${item(t("Blocked since"), day(card.blocked_at))}
    ${item(t("Blocked by"), blockedBy(card))} ${item(t("Cost centre"), card.cost_centre || "–")}
    ${item(t("Kind"), card.type)}
  </dl>`;
}

function cardPage(nav, account, card, customers) {
  const pushTable = adminTable({
    label: t("At the stations"),
    columns: [t("Station"), t("Result"), t("How"), t("Charger's answer"), t("Updated")],
    bodyId: "push-rows",
  });
  const sessionTable = adminTable({
    label: t("Where this card charged"),
    columns: [t("Started"), t("Station"), t("EVSE"), t("Energy"), t("Authorization")],
    bodyId: "card-sessions",
  });
  const admin = isAdmin(account);
  const title = t("Card {uid}", { uid: card.uid });
  const blocked = card.status === "blocked";
  const [blockLabel, question, explanation] = blocked
    ? [t("Unblock card"), t("Unblock this card?"), t("The card can charge again; every station is told.")]
    : [
        t("Block card"),
        t("Block this card?"),
        t("The card is refused at its next authorization, and every station is told at once."),
      ];
  return html`${nav}
    <p><a href="/admin/cards">${t("All cards")}</a></p>
    <h1 tabindex="-1">${title}</h1>
    ${details(card)}
    <div class="admin-actions">
      ${card.status === "expired"
        ? ""
        : html`<button class="button ${blocked ? "secondary" : "danger"}" type="button" id="card-block">${blockLabel}</button>`}
      ${admin && card.status !== "expired"
        ? html`<button class="button secondary" type="button" id="card-expire">${t("Let it expire now")}</button>`
        : ""}
    </div>
    <p class="error" role="alert" id="card-error"></p>
    <dialog id="card-dialog" aria-labelledby="card-question">
      <form method="dialog">
        <h2 id="card-question">${question}</h2>
        <p id="card-explanation">${explanation}</p>
        <button class="button danger" value="yes" id="card-yes">${blockLabel}</button>
        <button class="button secondary" value="no" autofocus>${t("Cancel")}</button>
      </form>
    </dialog>

    <h2>${t("At the stations")}</h2>
    <p>${t("How each station took the last block or unblock of this card.")}</p>
    ${pushTable}
    <p role="status" id="push-status"></p>
    <p><button class="button secondary" type="button" id="push-again">${t("Send to all stations again")}</button></p>

    ${admin
      ? html`<h2>${t("Edit card")}</h2>
          <form class="admin-form" id="card-edit">
            ${fields(card, customers)}
            <button class="button primary">${t("Save")}</button>
            <p role="status" id="card-saved"></p>
          </form>`
      : ""}

    <h2>${t("Where this card charged")}</h2>
    ${sessionTable}
    <p role="status" id="sessions-status"></p>`;
}

async function showCard({ main, nav, account, isCurrent }, id) {
  let card;
  let customers = [];
  try {
    [card, customers] = await Promise.all([
      userRequest(`/api/admin/cards/${id}`),
      isAdmin(account) ? customersOf() : [],
    ]);
  } catch (problem) {
    renderScreen(
      main,
      html`${nav}
        <h1 tabindex="-1">${t("RFID cards")}</h1>
        <p class="error" role="alert">${problem.message}</p>
        <p><a href="/admin/cards">${t("All cards")}</a></p>`,
    );
    return;
  }
  if (!isCurrent()) return;
  renderScreen(main, cardPage(nav, account, card, customers));
  const error = main.querySelector("#card-error");
  let timer = null;

  const loadPushes = async () => {
    clearTimeout(timer);
    if (!isCurrent()) return;
    try {
      const pushes = await userRequest(`/api/admin/cards/${id}/pushes`);
      if (!isCurrent()) return;
      main.querySelector("#push-rows").innerHTML = html`${pushes.map(pushRow)}`.toString();
      const waiting = pushes.filter((push) => push.state === "pending");
      const status = main.querySelector("#push-status");
      if (!pushes.length) status.textContent = t("Not sent to any station yet.");
      else status.textContent = waiting.length ? t("Waiting for {count} stations…", { count: waiting.length }) : "";
      // Offline stations may take days to come back: no need to keep asking for them.
      if (waiting.some((push) => push.answer !== OFFLINE)) timer = setTimeout(loadPushes, REFRESH_MS);
    } catch (problem) {
      main.querySelector("#push-status").textContent = problem.message;
    }
  };
  const loadSessions = async () => {
    try {
      const sessions = await userRequest(`/api/admin/cards/${id}/sessions`);
      if (!isCurrent()) return;
      main.querySelector("#card-sessions").innerHTML = html`${sessions.map(sessionRow)}`.toString();
      main.querySelector("#sessions-status").textContent = sessions.length ? "" : t("This card has not charged yet.");
    } catch (problem) {
      main.querySelector("#sessions-status").textContent = problem.message;
    }
  };
  const act = async (path) => {
    try {
      await userRequest(`/api/admin/cards/${id}/${path}`, { method: "POST" });
      await showCard({ main, nav, account, isCurrent }, id);
    } catch (problem) {
      error.textContent = problem.message;
    }
  };

  const dialog = main.querySelector("#card-dialog");
  const ask = (action, yes, question, explanation) => {
    main.querySelector("#card-yes").textContent = yes;
    main.querySelector("#card-question").textContent = question;
    main.querySelector("#card-explanation").textContent = explanation;
    dialog.onclose = () => {
      if (dialog.returnValue === "yes") act(action);
    };
    dialog.returnValue = "";
    dialog.showModal();
  };
  main.querySelector("#card-block")?.addEventListener("click", () => {
    const blocked = card.status === "blocked";
    const yes = main.querySelector("#card-block").textContent;
    ask(
      blocked ? "unblock" : "block",
      yes,
      main.querySelector("#card-question").textContent,
      main.querySelector("#card-explanation").textContent,
    );
  });
  main.querySelector("#card-expire")?.addEventListener("click", () => {
    ask(
      "expire",
      t("Let it expire now"),
      t("Let this card expire now?"),
      t("The card is refused from now on; this cannot be undone here (set a new expiry date to renew it)."),
    );
  });
  main.querySelector("#push-again").addEventListener("click", () => act("pushes"));
  main.querySelector("#card-edit")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const saved = main.querySelector("#card-saved");
    try {
      card = await userRequest(`/api/admin/cards/${id}`, { method: "PATCH", body: values(event.target) });
      main.querySelector(".summary").outerHTML = details(card).toString();
      saved.textContent = t("Saved.");
    } catch (problem) {
      saved.textContent = problem.message;
    }
  });
  await Promise.all([loadPushes(), loadSessions()]);
}

export async function show(context, first) {
  if (first === "new") return showNew(context);
  return showCard(context, first);
}
