// The platform's operators (/admin/operators, platform admins only): the list, and a new
// operator with its first admin, who is invited by e-mail.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateTime, t } from "../i18n.js";

function row(operator) {
  return html`<tr>
    <td>${operator.name}<br /><span class="muted">${operator.slug}</span></td>
    <td>${operator.country_code}*${operator.party_id}</td>
    <td>${operator.stations}</td>
    <td>${dateTime(operator.created_at)}</td>
  </tr>`;
}

function page(nav) {
  return html`${nav}
    <h1 tabindex="-1">${t("Operators")}</h1>
    <div class="table-wrap">
      <table class="admin-table">
        <thead>
          <tr>
            <th scope="col">${t("Operator")}</th>
            <th scope="col">${t("Country and party ID")}</th>
            <th scope="col">${t("Stations")}</th>
            <th scope="col">${t("Created")}</th>
          </tr>
        </thead>
        <tbody id="operator-rows"></tbody>
      </table>
    </div>
    <h2>${t("New operator")}</h2>
    <form id="operator-form" class="report">
      <label for="op-name">${t("Name")}</label>
      <input id="op-name" name="name" required maxlength="200" />
      <label for="op-slug">${t("Short name in addresses (a-z, 0-9, -)")}</label>
      <input id="op-slug" name="slug" required pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?" maxlength="64" />
      <label for="op-country">${t("Country code (e.g. DE)")}</label>
      <input id="op-country" name="country_code" required pattern="[A-Z]{2}" maxlength="2" />
      <label for="op-party">${t("Party ID (three letters or digits)")}</label>
      <input id="op-party" name="party_id" required pattern="[A-Z0-9]{3}" maxlength="3" />
      <label for="op-currency">${t("Currency")}</label>
      <input id="op-currency" name="currency" required pattern="[A-Z]{3}" maxlength="3" value="EUR" />
      <label for="op-admin">${t("E-mail of its first admin (gets an invitation)")}</label>
      <input id="op-admin" name="admin_email" type="email" required />
      <label for="op-admin-name">${t("Name of its first admin")}</label>
      <input id="op-admin-name" name="admin_name" maxlength="200" />
      <p><button class="button primary">${t("Create and invite")}</button></p>
      <p role="status" id="operator-status"></p>
    </form>`;
}

async function fill(main) {
  const operators = await userRequest("/api/platform/operators");
  render(main.querySelector("#operator-rows"), html`${operators.map(row)}`);
}

export async function show({ main, nav, isCurrent }) {
  renderScreen(main, page(nav));
  const status = main.querySelector("#operator-status");
  try {
    await fill(main);
  } catch (problem) {
    if (isCurrent()) status.textContent = problem.message;
  }
  main.querySelector("#operator-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = Object.fromEntries([...form.entries()].map(([key, value]) => [key, String(value).trim()]));
    body.admin_language = document.documentElement.lang === "en" ? "en" : "de";
    try {
      const created = await userRequest("/api/platform/operators", { method: "POST", body });
      event.target.reset();
      status.textContent = t("{operator} is created; its admin has an invitation.", { operator: created.name });
      await fill(main);
    } catch (problem) {
      status.textContent = problem.message;
    }
  });
}
