// RFID cards (/admin/cards): search and page through the operator's cards, export them as
// CSV, find the cards that charged at a station or EVSE. /admin/cards/new creates one,
// /admin/cards/import imports a CSV file, /admin/cards/{id} is a card's own page.

import { userRequest } from "../account.js";
import { html, renderScreen } from "../html.js";
import { dateTime, kwh, t } from "../i18n.js";
import { adminTable } from "./table.js";

const PAGE = 25;
const ADMIN_ROLES = ["operator_admin", "platform_admin"];

export const isAdmin = (account) => ADMIN_ROLES.includes(account?.user?.role);

export function statusLabel(status) {
  if (status === "blocked") return t("Blocked");
  if (status === "expired") return t("Expired");
  return t("Active");
}

export function cardStatus(status) {
  return html`<span class="card-status card-${status}">${statusLabel(status)}</span>`;
}

export const day = (iso) => (iso ? dateTime(iso) : "–");

function row(card) {
  const customer = card.customer_name || "–";
  return html`<tr>
    <td><a href="/admin/cards/${card.id}"><code>${card.uid}</code></a></td>
    <td>${card.label || "–"}</td>
    <td>${customer}</td>
    <td>${cardStatus(card.status)}</td>
    <td>${day(card.expires_at)}</td>
  </tr>`;
}

function useRow(use) {
  return html`<tr>
    <td><a href="/admin/cards/${use.card_id}"><code>${use.uid}</code></a></td>
    <td>${use.label || "–"}</td>
    <td>${cardStatus(use.status)}</td>
    <td>${use.sessions}</td>
    <td>${kwh(use.energy_wh)}</td>
    <td>${day(use.last_started_at)}</td>
  </tr>`;
}

function page(nav, account, state) {
  const cardsTable = adminTable({
    label: t("RFID cards"),
    columns: [t("Card number"), t("Label"), t("Customer"), t("Status"), t("Expires")],
    bodyId: "cards-rows",
  });
  const usedTable = adminTable({
    label: t("Cards that charged here"),
    columns: [t("Card number"), t("Label"), t("Status"), t("Sessions"), t("Energy"), t("Last charged")],
    bodyId: "used-at-rows",
    id: "used-at-result",
    hidden: true,
  });
  const admin = isAdmin(account);
  return html`${nav}
    <h1 tabindex="-1">${t("RFID cards")}</h1>
    <div class="admin-actions">
      ${admin ? html`<a class="button primary" href="/admin/cards/new">${t("New card")}</a>` : ""}
      <a class="button secondary" href="/admin/cards/import">${t("Import from CSV")}</a>
      <a class="button secondary" href="/api/admin/cards/export.csv" download>${t("Export as CSV")}</a>
    </div>
    <form class="filters" id="cards-filter" role="search">
      <label for="cards-q">${t("Search by card number, label, customer or holder")}</label>
      <input id="cards-q" name="q" type="search" value="${state.q}" />
      <label class="visually-hidden" for="cards-status">${t("Status")}</label>
      <select id="cards-status" name="status">
        <option value="">${t("All statuses")}</option>
        <option value="active" ${state.status === "active" ? "selected" : ""}>${t("Active")}</option>
        <option value="blocked" ${state.status === "blocked" ? "selected" : ""}>${t("Blocked")}</option>
        <option value="expired" ${state.status === "expired" ? "selected" : ""}>${t("Expired")}</option>
      </select>
      <label class="visually-hidden" for="cards-sort">${t("Sort by")}</label>
      <select id="cards-sort" name="sort">
        <option value="uid">${t("Sort by card number")}</option>
        <option value="label" ${state.sort === "label" ? "selected" : ""}>${t("Sort by label")}</option>
        <option value="created_at" ${state.sort === "created_at" ? "selected" : ""}>${t("Newest first")}</option>
        <option value="expires_at" ${state.sort === "expires_at" ? "selected" : ""}>${t("Sort by expiry")}</option>
      </select>
      <button class="button secondary">${t("Search")}</button>
    </form>
    ${cardsTable}
    <p role="status" id="cards-status-line"></p>
    <div class="admin-actions">
      <button class="button secondary" type="button" id="cards-previous" hidden>${t("Previous page")}</button>
      <button class="button secondary" type="button" id="cards-next" hidden>${t("Next page")}</button>
    </div>

    <h2>${t("Which cards charged here?")}</h2>
    <form class="filters" id="used-at">
      <label for="used-at-place">${t("Station identity or EVSE ID")}</label>
      <input id="used-at-place" name="place" required placeholder="DEMO-AC-1, DE*DEM*E0001*1" />
      <button class="button secondary">${t("Look up")}</button>
    </form>
    <p role="status" id="used-at-status"></p>
    ${usedTable}`;
}

function listQuery(state) {
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(state.offset) });
  if (state.q) params.set("q", state.q);
  if (state.status) params.set("status", state.status);
  if (state.sort) params.set("sort", state.sort);
  if (state.sort === "created_at") params.set("desc", "true");
  return params.toString();
}

async function showList({ main, nav, account, isCurrent }) {
  const search = new URLSearchParams(location.search);
  const state = {
    q: search.get("q") || "",
    status: search.get("status") || "",
    sort: search.get("sort") || "uid",
    offset: Math.max(0, Number(search.get("offset")) || 0),
  };

  const load = async () => {
    const status = main.querySelector("#cards-status-line");
    try {
      const result = await userRequest(`/api/admin/cards?${listQuery(state)}`);
      if (!isCurrent()) return;
      main.querySelector("#cards-rows").innerHTML = html`${result.cards.map(row)}`.toString();
      const shown = { from: result.total ? result.offset + 1 : 0, to: result.offset + result.cards.length, total: result.total };
      status.textContent = result.total ? t("Cards {from}–{to} of {total}", shown) : t("No cards found.");
      main.querySelector("#cards-previous").hidden = result.offset === 0;
      main.querySelector("#cards-next").hidden = result.offset + result.cards.length >= result.total;
    } catch (problem) {
      status.textContent = problem.message;
    }
  };
  const remember = () => {
    const params = new URLSearchParams();
    for (const key of ["q", "status", "sort"]) if (state[key]) params.set(key, state[key]);
    if (state.offset) params.set("offset", String(state.offset));
    history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
  };

  renderScreen(main, page(nav, account, state));
  main.querySelector("#cards-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    Object.assign(state, { q: form.q.value.trim(), status: form.status.value, sort: form.sort.value, offset: 0 });
    remember();
    load();
  });
  main.querySelector("#cards-previous").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE);
    remember();
    load();
  });
  main.querySelector("#cards-next").addEventListener("click", () => {
    state.offset += PAGE;
    remember();
    load();
  });
  main.querySelector("#used-at").addEventListener("submit", async (event) => {
    event.preventDefault();
    const place = event.target.place.value.trim();
    const key = place.includes("*") ? "evse_id" : "station";
    const status = main.querySelector("#used-at-status");
    const result = main.querySelector("#used-at-result");
    try {
      const uses = await userRequest(`/api/admin/cards/used-at?${key}=${encodeURIComponent(place)}`);
      main.querySelector("#used-at-rows").innerHTML = html`${uses.map(useRow)}`.toString();
      result.hidden = uses.length === 0;
      status.textContent = uses.length ? "" : t("No card has charged there yet.");
    } catch (problem) {
      result.hidden = true;
      status.textContent = problem.message;
    }
  });
  await load();
}

export async function show(context) {
  const [first] = context.rest.split("/");
  if (first === "import") return (await import("./card-import.js")).show(context);
  if (first === "new" || /^\d+$/.test(first)) return (await import("./card.js")).show(context, first);
  return showList(context);
}
