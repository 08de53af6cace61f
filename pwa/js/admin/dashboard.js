// The dashboard (/admin/dashboard): every station with its connection and connector status,
// running sessions, open faults and today's figures — pushed by the server (server-sent
// events from GET /api/admin/dashboard/events), never reloaded by hand.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateTime, kw, kwh, money, t } from "../i18n.js";
import {
  connectionBadge,
  connectorList,
  dataTable,
  faultHeaders,
  faultRow,
  handleFaultActions,
  stationTitle,
} from "./network.js";

function figures(board) {
  const online = board.stations.filter((station) => station.connected).length;
  const stationsOnline = t("{online} of {total}", { online, total: board.stations.length });
  const revenue = board.today.revenue.length
    ? board.today.revenue.map((entry) => money(entry.gross_minor, entry.currency)).join(" · ")
    : money(0, "EUR");
  const todayCaption = t("Today ({zone})", { zone: board.today.time_zone });
  return html`<h2>${t("Overview")}</h2>
    <dl class="figures">
      <div>
        <dt>${t("Stations online")}</dt>
        <dd class="figure">${stationsOnline}</dd>
      </div>
      <div>
        <dt>${t("Charging now")}</dt>
        <dd class="figure">${board.active_sessions.length}</dd>
      </div>
      <div>
        <dt>${t("Open faults")}</dt>
        <dd class="figure">${board.open_fault_count}</dd>
      </div>
      <div>
        <dt>${t("Energy")} – ${todayCaption}</dt>
        <dd class="figure">${kwh(board.today.energy_wh, 1)}</dd>
      </div>
      <div>
        <dt>${t("Revenue")} – ${todayCaption}</dt>
        <dd class="figure">${revenue}</dd>
      </div>
    </dl>`;
}

function stationsTable(board) {
  if (!board.stations.length) return html`<p>${t("No stations yet.")}</p>`;
  return dataTable({
    caption: t("Stations"),
    id: "dashboard-stations",
    headers: [t("Station"), t("Connection"), t("EVSEs and status")],
    rows: board.stations.map(
      (station) =>
        html`<tr data-identity="${station.identity}">
          <td><a href="/admin/stations/${station.id}">${stationTitle(station)}</a></td>
          <td>${connectionBadge(station)}</td>
          <td>${connectorList(station)}</td>
        </tr>`,
    ),
  });
}

function sessionsTable(board) {
  if (!board.active_sessions.length) return html`<p>${t("Nobody is charging right now.")}</p>`;
  return dataTable({
    caption: t("Charging now"),
    headers: [t("EVSE"), t("Started"), t("Energy"), t("Power")],
    rows: board.active_sessions.map(
      (session) =>
        html`<tr>
          <td><code>${session.evse_id || session.station_identity}</code></td>
          <td>${session.started_at ? dateTime(session.started_at) : "–"}</td>
          <td>${session.energy_wh === null ? "–" : kwh(session.energy_wh)}</td>
          <td>${session.power_w === null ? "–" : kw(session.power_w)}</td>
        </tr>`,
    ),
  });
}

function faultsTable(board) {
  if (!board.open_faults.length) return html`<p>${t("No open faults.")}</p>`;
  const table = dataTable({
    caption: t("Open faults"),
    headers: faultHeaders(),
    rows: board.open_faults.map((fault) => faultRow(fault)),
  });
  return html`${table}
    <p><a href="/admin/faults">${t("All faults")}</a></p>`;
}

function board(data) {
  return html`${figures(data)}
    <h2>${t("Stations")}</h2>
    ${stationsTable(data)}
    <h2>${t("Charging now")}</h2>
    ${sessionsTable(data)}
    <h2>${t("Open faults")}</h2>
    ${faultsTable(data)}`;
}

export async function show({ main, nav, isCurrent }) {
  renderScreen(
    main,
    html`${nav}
      <h1 tabindex="-1">${t("Dashboard")}</h1>
      <p class="muted" id="dashboard-live">${t("Connecting…")}</p>
      <p role="status" id="dashboard-status"></p>
      <div id="dashboard-board"><p class="loading">${t("Loading…")}</p></div>`,
  );
  const live = main.querySelector("#dashboard-live");
  const target = main.querySelector("#dashboard-board");
  handleFaultActions(target, main.querySelector("#dashboard-status"), async () => {
    render(target, board(await userRequest("/api/admin/dashboard")));
  });
  const source = new EventSource("/api/admin/dashboard/events");
  source.addEventListener("dashboard", (event) => {
    if (!isCurrent()) return;
    const data = JSON.parse(event.data);
    render(target, board(data));
    const at = dateTime(data.at);
    live.textContent = t("Live – updated {at}", { at });
  });
  source.addEventListener("error", () => {
    if (isCurrent()) live.textContent = t("Connection lost – reconnecting…");
  });
  return () => source.close();
}
