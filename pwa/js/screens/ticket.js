// A reported problem (/t/{token}): its state and the operator's answers. The token in the
// path is the only key (from the report, or the link in the operator's e-mail).

import { request } from "../api.js";
import { html, renderScreen } from "../html.js";
import { dateTime, t } from "../i18n.js";
import { problemNotice } from "./offline.js";

const STATUS = {
  open: () => t("Received"),
  in_progress: () => t("Being handled"),
  resolved: () => t("Resolved"),
};

function reply(message) {
  return html`<li class="card">
    <p class="muted">${dateTime(message.at)}</p>
    <p>${message.body}</p>
  </li>`;
}

function page(ticket, just) {
  return html`<h1 tabindex="-1">${t("Your report")}</h1>
    ${just ? html`<p class="notice" role="status">${just.message}</p>` : ""}
    ${just?.photoProblem ? html`<p class="error" role="alert">${just.photoProblem}</p>` : ""}
    <section class="card" aria-labelledby="report-title">
      <h2 id="report-title">${ticket.station_name}</h2>
      <p class="evse-id small">${ticket.evse_id || ""}</p>
      <p><strong>${STATUS[ticket.status]?.()}</strong> · ${dateTime(ticket.created_at)}</p>
      ${ticket.description ? html`<p>${ticket.description}</p>` : ""}
    </section>
    <h2>${t("Answers")}</h2>
    ${
      ticket.replies.length
        ? html`<ul class="sessions">
            ${ticket.replies.map(reply)}
          </ul>`
        : html`<p>${t("No answer yet.")}</p>`
    }`;
}

export async function show({ main, params: [token], isCurrent }) {
  document.title = t("Your report");
  let just = null;
  try {
    just = JSON.parse(sessionStorage.getItem("cpo.reported"));
  } catch {
    just = null;
  }
  sessionStorage.removeItem("cpo.reported");
  try {
    const ticket = await request(`/api/support/tickets/${encodeURIComponent(token)}`);
    if (isCurrent()) renderScreen(main, page(ticket, just));
  } catch (problem) {
    if (isCurrent()) renderScreen(main, problemNotice(problem));
  }
}
