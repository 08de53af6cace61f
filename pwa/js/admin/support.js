// Drivers' reports in admin mode: the list (/admin/support) and one report
// (/admin/support/{id}) with its photo, the driver's session, the station's open faults,
// the conversation, an answer, the status and "release the cable".

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateTime, kwh, t } from "../i18n.js";
import { go } from "../router.js";
import { problemNotice } from "../screens/offline.js";

const KINDS = {
  wont_start: () => t("Does not start"),
  cable_stuck: () => t("Cable stuck"),
  damaged: () => t("Damaged"),
  price_wrong: () => t("Price wrong"),
  other: () => t("Other"),
};

const STATUSES = {
  open: () => t("Open"),
  in_progress: () => t("In progress"),
  resolved: () => t("Resolved"),
};

const api = "/api/admin/support/tickets";

function statusOptions(current) {
  return Object.entries(STATUSES).map(
    ([value, label]) => html`<option value="${value}" ${value === current ? html`selected` : ""}>${label()}</option>`,
  );
}

function listRow(ticket) {
  return html`<tr>
    <td><a href="/admin/support/${ticket.id}">#${ticket.id}</a></td>
    <td>${dateTime(ticket.created_at)}</td>
    <td>${KINDS[ticket.kind]?.()}</td>
    <td>${ticket.station_name || ticket.station_identity}<br /><span class="muted">${ticket.evse_id || ""}</span></td>
    <td>${STATUSES[ticket.status]?.()}</td>
  </tr>`;
}

async function showList(main, nav, isCurrent) {
  const status = new URLSearchParams(location.search).get("status") || "";
  renderScreen(
    main,
    html`${nav}
      <h1 tabindex="-1">${t("Drivers' reports")}</h1>
      <form class="filters" id="ticket-filter" role="search">
        <label for="ticket-status">${t("Status")}</label>
        <select id="ticket-status" name="status">
          <option value="">${t("All")}</option>
          ${statusOptions(status)}
        </select>
        <button class="button secondary">${t("Filter")}</button>
      </form>
      <div class="table-wrap">
        <table class="admin-table">
          <thead>
            <tr>
              <th scope="col">${t("Report")}</th>
              <th scope="col">${t("When")}</th>
              <th scope="col">${t("Problem")}</th>
              <th scope="col">${t("Charge point")}</th>
              <th scope="col">${t("Status")}</th>
            </tr>
          </thead>
          <tbody id="ticket-rows"></tbody>
        </table>
      </div>
      <p role="status" id="ticket-list-status"></p>`,
  );
  main.querySelector("#ticket-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = event.target.status.value;
    go(`/admin/support${chosen ? `?status=${chosen}` : ""}`, { replace: true });
  });
  try {
    const page = await userRequest(`${api}?limit=200${status ? `&status=${status}` : ""}`);
    if (!isCurrent()) return;
    render(main.querySelector("#ticket-rows"), html`${page.tickets.map(listRow)}`);
    main.querySelector("#ticket-list-status").textContent = page.tickets.length ? "" : t("No reports.");
  } catch (problem) {
    main.querySelector("#ticket-list-status").textContent = problem.message;
  }
}

function message(entry) {
  const mailed = entry.mailed ? t("sent by e-mail") : "";
  return html`<li class="card">
    <p class="muted">${dateTime(entry.at)} · ${entry.author_name} ${mailed ? html`· ${mailed}` : ""}</p>
    <p>${entry.body}</p>
  </li>`;
}

function fault(entry) {
  return html`<li>
    ${entry.error_code} (${t("connector")} ${entry.ocpp_connector_id}) ${entry.info} ${entry.vendor_error_code} ·
    ${dateTime(entry.opened_at)}
  </li>`;
}

function ticketPage(nav, ticket) {
  const heading = t("Report #{id}", { id: ticket.id });
  const contact = [ticket.contact_email, ticket.contact_phone].filter(Boolean).join(" · ") || t("No contact given");
  const session = ticket.session;
  const photoAlt = t("Photo of the report");
  return html`${nav}
    <p><a href="/admin/support">${t("All drivers' reports")}</a></p>
    <h1 tabindex="-1">${heading}</h1>
    <section class="card" aria-labelledby="ticket-details">
      <h2 id="ticket-details">${KINDS[ticket.kind]?.()} · ${ticket.station_name || ticket.station_identity}</h2>
      <p class="evse-id small">${ticket.evse_id || ""}</p>
      <p class="muted">${dateTime(ticket.created_at)} · ${contact}</p>
      ${ticket.description ? html`<p>${ticket.description}</p>` : ""}
      ${ticket.photo_ids.map(
        (id) =>
          html`<p>
            <img class="ticket-photo" src="${api}/${ticket.id}/photos/${id}" alt="${photoAlt}" />
          </p>`,
      )}
      ${
        session
          ? html`<p>
              ${t("Session")} #${session.id}: ${session.state},
              ${session.energy_wh === null ? "–" : kwh(session.energy_wh)}
              ${session.stop_reason ? html`· ${session.stop_reason}` : ""}
            </p>`
          : ""
      }
    </section>
    <section class="card" aria-labelledby="faults-title">
      <h2 id="faults-title">${t("Open faults of the station")}</h2>
      ${
        ticket.open_faults.length
          ? html`<ul>
              ${ticket.open_faults.map(fault)}
            </ul>`
          : html`<p>${t("None.")}</p>`
      }
    </section>
    <section class="card" aria-labelledby="actions-title">
      <h2 id="actions-title">${t("Handle")}</h2>
      <form id="ticket-status-form" class="filters">
        <label for="ticket-status">${t("Status")}</label>
        <select id="ticket-status" name="status">
          ${statusOptions(ticket.status)}
        </select>
        <button class="button secondary">${t("Save status")}</button>
      </form>
      ${
        ticket.evse_id
          ? html`<p><button class="button secondary" type="button" data-unlock>${t("Release the cable")}</button></p>
              <dialog id="unlock-dialog" aria-labelledby="unlock-question">
                <form method="dialog">
                  <h2 id="unlock-question">${t("Release the cable now?")}</h2>
                  <p>${t("The charge point unlocks its connector; a running session there ends.")}</p>
                  <button class="button danger" value="unlock">${t("Release")}</button>
                  <button class="button secondary" value="keep" autofocus>${t("Cancel")}</button>
                </form>
              </dialog>`
          : ""
      }
      <p role="status" id="ticket-action-status"></p>
    </section>
    <section aria-labelledby="messages-title">
      <h2 id="messages-title">${t("Conversation")}</h2>
      ${
        ticket.messages.length
          ? html`<ul class="sessions">
              ${ticket.messages.map(message)}
            </ul>`
          : html`<p>${t("No answer yet.")}</p>`
      }
      <form id="reply-form">
        <label for="reply-text">${t("Answer to the driver")}</label>
        <textarea id="reply-text" name="body" rows="4" maxlength="5000" required></textarea>
        <p class="muted">
          ${ticket.contact_email ? t("The answer is sent by e-mail.") : t("The driver sees the answer on the report's page.")}
        </p>
        <p><button class="button primary">${t("Send answer")}</button></p>
      </form>
    </section>`;
}

async function showTicket(main, nav, id, isCurrent) {
  let ticket;
  try {
    ticket = await userRequest(`${api}/${id}`);
  } catch (problem) {
    if (isCurrent()) renderScreen(main, html`${nav}${problemNotice(problem)}`);
    return;
  }
  if (!isCurrent()) return;
  const redraw = (next, note = "") => {
    ticket = next;
    renderScreen(main, ticketPage(nav, ticket));
    main.querySelector("#ticket-action-status").textContent = note;
    bind();
  };
  // Runs a change; what it returns is said under the actions once the report is reloaded.
  const act = async (work) => {
    const status = main.querySelector("#ticket-action-status");
    status.textContent = "";
    try {
      const note = await work();
      if (isCurrent()) redraw(await userRequest(`${api}/${id}`), note);
    } catch (problem) {
      status.textContent = problem.message;
    }
  };
  function bind() {
    main.querySelector("#ticket-status-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const status = event.target.status.value;
      act(async () => {
        await userRequest(`${api}/${id}`, { method: "PATCH", body: { status } });
        return t("Status saved.");
      });
    });
    main.querySelector("#reply-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const body = event.target.body.value.trim();
      if (!body) return;
      act(async () => {
        await userRequest(`${api}/${id}/replies`, { method: "POST", body: { body } });
        return t("Answer sent.");
      });
    });
    const dialog = main.querySelector("#unlock-dialog");
    main.querySelector("[data-unlock]")?.addEventListener("click", () => dialog.showModal());
    dialog?.addEventListener("close", () => {
      if (dialog.returnValue !== "unlock") return;
      act(async () => {
        const { status } = await userRequest(`${api}/${id}/unlock`, { method: "POST" });
        return t("The charge point answered: {answer}", { answer: status });
      });
    });
  }
  redraw(ticket);
}

export function show({ main, nav, rest, isCurrent }) {
  if (/^\d+$/.test(rest)) return showTicket(main, nav, rest, isCurrent);
  return showList(main, nav, isCurrent);
}
