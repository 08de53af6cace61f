// What the network sections (dashboard, stations, faults) share: status words in the
// operator's language, badges, the operator role check and the fault actions.

import { userRequest } from "../account.js";
import { html } from "../html.js";
import { dateTime, duration, t } from "../i18n.js";

const ADMIN_ROLES = ["operator_admin", "platform_admin"];
export const isAdmin = (account) => ADMIN_ROLES.includes(account?.user?.role);

// OCPP connector states, as the operator reads them.
const STATUS_WORDS = {
  Available: () => t("Available"),
  Preparing: () => t("Preparing"),
  Charging: () => t("Charging"),
  SuspendedEVSE: () => t("Suspended by the charger"),
  SuspendedEV: () => t("Suspended by the vehicle"),
  Finishing: () => t("Finishing"),
  Reserved: () => t("Reserved"),
  Unavailable: () => t("Unavailable"),
  Faulted: () => t("Faulted"),
  Unknown: () => t("Unknown"),
};

const STATUS_KIND = {
  Available: "available",
  Preparing: "occupied",
  Charging: "occupied",
  SuspendedEVSE: "occupied",
  SuspendedEV: "occupied",
  Finishing: "occupied",
  Reserved: "occupied",
};

export const statusWord = (status) => (STATUS_WORDS[status] || STATUS_WORDS.Unknown)();

export function statusBadge(status) {
  return html`<span class="badge ${STATUS_KIND[status] || "problem"}">${statusWord(status)}</span>`;
}

export function connectionBadge(station) {
  return station.connected
    ? html`<span class="badge available">${t("Online")}</span>`
    : html`<span class="badge problem">${t("Offline")}</span>`;
}

const REGISTRATION_WORDS = {
  Accepted: () => t("Accepted"),
  Pending: () => t("Waiting for approval"),
  Rejected: () => t("Rejected"),
};

export const registrationWord = (status) => (REGISTRATION_WORDS[status] || (() => status))();

export const stationTitle = (station) => station.name || station.identity;

// Each EVSE with the status of its (first) connector.
export function connectorList(station) {
  if (!station.evses.length) return html`<span class="muted">${t("No EVSEs yet")}</span>`;
  return html`<ul class="connectors">
    ${station.evses.map(
      (evse) =>
        html`<li><code>${evse.evse_id}</code> ${statusBadge(evse.connectors[0]?.status || "Unknown")}</li>`,
    )}
  </ul>`;
}

export function vendorInfo(fault) {
  return [fault.vendor_id, fault.vendor_error_code, fault.info].filter(Boolean).join(" · ") || "–";
}

export function faultActions(fault) {
  if (fault.status !== "open") {
    const by = fault.resolved_by || t("the station");
    const resolved = t("Resolved by {by}", { by });
    return html`<span class="muted">${resolved}</span>`;
  }
  const seen = t("Seen by {by}", { by: fault.acknowledged_by });
  const acknowledged = fault.acknowledged_at
    ? html`<span class="muted">${seen}</span>`
    : html`<button class="button secondary small" type="button" data-fault="${fault.id}" data-action="acknowledge">
        ${t("Acknowledge")}
      </button>`;
  return html`<div class="actions">
    ${acknowledged}
    <button class="button secondary small" type="button" data-fault="${fault.id}" data-action="resolve">
      ${t("Resolve")}
    </button>
  </div>`;
}

export function faultRow(fault, { withStation = true } = {}) {
  const since = dateTime(fault.opened_at);
  const lasted = duration(fault.duration_s);
  const connector = fault.connector_id === 0 ? t("whole station") : String(fault.connector_id);
  return html`<tr>
    ${withStation
      ? html`<td><a href="/admin/stations/${fault.station_id}">${fault.station_name || fault.station_identity}</a></td>`
      : ""}
    <td>${connector}</td>
    <td><code>${fault.error_code}</code></td>
    <td>${vendorInfo(fault)}</td>
    <td>${since}</td>
    <td>${lasted}</td>
    <td>${faultActions(fault)}</td>
  </tr>`;
}

export function faultHeaders({ withStation = true } = {}) {
  return [
    ...(withStation ? [t("Station")] : []),
    t("Connector"),
    t("Error code"),
    t("Vendor information"),
    t("Since"),
    t("Duration"),
    t("Action"),
  ];
}

// A table of the admin sections; its box scrolls sideways on a phone and can be reached by
// keyboard there. `rows` is markup (may be empty: the body is filled later by `bodyId`).
export function dataTable({ caption, headers, rows = "", id = "", bodyId = "" }) {
  return html`<div class="table-wrap" tabindex="0">
    <table class="admin-table" ${id ? html`id="${id}"` : ""}>
      <caption class="visually-hidden">
        ${caption}
      </caption>
      <thead>
        <tr>
          ${headers.map((header) => html`<th scope="col">${header}</th>`)}
        </tr>
      </thead>
      <tbody ${bodyId ? html`id="${bodyId}"` : ""}>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

// Acknowledge / resolve buttons inside `container`; `done()` reloads what shows them.
export function handleFaultActions(container, status, done) {
  container.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-fault]");
    if (!button) return;
    button.disabled = true;
    try {
      await userRequest(`/api/admin/faults/${button.dataset.fault}/${button.dataset.action}`, { method: "POST" });
      status.textContent = button.dataset.action === "resolve" ? t("The fault is resolved.") : t("Acknowledged.");
      await done();
    } catch (problem) {
      status.textContent = problem.message;
      button.disabled = false;
    }
  });
}
