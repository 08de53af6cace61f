// The audit log (/admin/audit): every change to the operator's data, who made it and when,
// with the state before and after; filtered by kind of action, paged, exported as CSV.

import { userRequest } from "../account.js";
import { html, renderScreen } from "../html.js";
import { dateTime, t } from "../i18n.js";

const PAGE = 50;

function query(filter, before) {
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (filter) params.set("action", filter);
  if (before) params.set("before", String(before));
  return params.toString();
}

function json(value) {
  return value === null || value === undefined ? "–" : JSON.stringify(value, null, 2);
}

function row(entry) {
  const target = `${entry.target_type} ${entry.target_id}`;
  const [before, after] = [t("Before"), t("After")];
  return html`<tr>
    <td>${dateTime(entry.at)}</td>
    <td>${entry.actor}</td>
    <td><code>${entry.action}</code></td>
    <td>${target}</td>
    <td>
      <details>
        <summary>${t("Before and after")}</summary>
        <div class="diff">
          <pre tabindex="0" aria-label="${before}">${json(entry.before)}</pre>
          <pre tabindex="0" aria-label="${after}">${json(entry.after)}</pre>
        </div>
      </details>
    </td>
  </tr>`;
}

function exportUrl(filter) {
  return `/api/admin/audit/export.csv${filter ? `?action=${encodeURIComponent(filter)}` : ""}`;
}

function page(nav, filter) {
  return html`${nav}
    <h1 tabindex="-1">${t("Audit log")}</h1>
    <form class="filters" id="audit-filter" role="search">
      <label for="audit-action">${t("Kind of change")}</label>
      <input id="audit-action" name="action" value="${filter}" placeholder="tariff, token.block …" />
      <button class="button secondary">${t("Filter")}</button>
      <a class="button secondary" id="audit-export" href="${exportUrl(filter)}" download>${t("Export as CSV")}</a>
    </form>
    <div class="table-wrap">
      <table class="admin-table">
        <caption class="visually-hidden">
          ${t("Audit log")}
        </caption>
        <thead>
          <tr>
            <th scope="col">${t("When")}</th>
            <th scope="col">${t("Who")}</th>
            <th scope="col">${t("What")}</th>
            <th scope="col">${t("Changed object")}</th>
            <th scope="col">${t("Details")}</th>
          </tr>
        </thead>
        <tbody id="audit-rows"></tbody>
      </table>
    </div>
    <p role="status" id="audit-status"></p>
    <p><button class="button secondary" type="button" id="audit-more" hidden>${t("Show older entries")}</button></p>`;
}

export async function show({ main, nav, isCurrent }) {
  let filter = new URLSearchParams(location.search).get("action") || "";
  let before = null;
  let count = 0;

  const load = async (fresh) => {
    const status = main.querySelector("#audit-status");
    const more = main.querySelector("#audit-more");
    try {
      const result = await userRequest(`/api/admin/audit?${query(filter, fresh ? null : before)}`);
      if (!isCurrent()) return;
      const rows = main.querySelector("#audit-rows");
      if (fresh) {
        rows.replaceChildren();
        count = 0;
      }
      rows.insertAdjacentHTML("beforeend", html`${result.entries.map(row)}`.toString());
      count += result.entries.length;
      before = result.next_before;
      more.hidden = before === null;
      status.textContent = count ? "" : t("No changes recorded yet.");
    } catch (problem) {
      status.textContent = problem.message;
    }
  };

  renderScreen(main, page(nav, filter));
  main.querySelector("#audit-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    filter = event.target.action.value.trim();
    history.replaceState(null, "", filter ? `?action=${encodeURIComponent(filter)}` : location.pathname);
    main.querySelector("#audit-export").href = exportUrl(filter);
    load(true);
  });
  main.querySelector("#audit-more").addEventListener("click", () => load(false));
  await load(true);
  return undefined;
}
