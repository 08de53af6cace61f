// The fleet manager's view of the company (/account/fleet): its people and cards — each
// card's cost centre, label and holder changed in place —, a month per cost centre (sessions,
// energy, cost; running sessions apart) with a month picker, and the month's sessions as a
// CSV file for Excel. Sessions stay booked to the cost centre they were charged under.

import { userRequest } from "../account.js";
import { html, renderScreen } from "../html.js";
import { dateTime, kwh, t } from "../i18n.js";
import { cardName } from "./cards.js";

const ROLES = { driver: () => t("Driver"), fleet_manager: () => t("Fleet manager") };
const STATUS = { active: () => t("Active"), blocked: () => t("Blocked"), expired: () => t("Expired") };

const thisMonth = () => {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
};

function followingMonth(month) {
  const [year, number] = month.split("-").map(Number);
  return number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, "0")}`;
}

const csvLink = (month) =>
  `/api/me/fleet/sessions.csv?date_from=${month}-01&date_to=${followingMonth(month)}-01`;

const costs = (amounts) => (amounts.length ? amounts.map((amount) => amount.text).join(" + ") : "–");

function person(someone) {
  const login = someone.last_login_at
    ? t("Last login {date}", { date: dateTime(someone.last_login_at) })
    : t("Not logged in yet");
  const tokens = someone.tokens.map(cardName).join(", ");
  return html`<li class="card">
    <h3>${someone.name}</h3>
    <p class="muted">${[ROLES[someone.role]?.() || someone.role, someone.email, login].join(" · ")}</p>
    ${tokens ? html`<p>${t("Cards and app: {tokens}", { tokens })}</p>` : ""}
  </li>`;
}

function holderOptions(card, people) {
  const nobody = t("Nobody (a pool card)");
  return html`<option value="">${nobody}</option>
    ${people.map(
      (someone) =>
        html`<option value="${someone.id}" ${someone.id === card.holder_id ? "selected" : ""}>${someone.name}</option>`,
    )}`;
}

function cardItem(card, people) {
  const id = card.id;
  const holder = card.holder_name || t("Nobody (a pool card)");
  const isApp = card.type === "APP_USER";
  return html`<li class="card" data-card="${card.uid}">
    <h3>${cardName(card)}</h3>
    <p class="muted">
      ${[card.uid, STATUS[card.status]?.() || card.status, t("Held by {name}", { name: holder })].join(" · ")}
    </p>
    <p>${card.cost_centre ? t("Cost centre {name}", { name: card.cost_centre }) : t("No cost centre")}</p>
    <form class="account-form" data-edit="${id}">
      <label for="cost-centre-${id}">${t("Cost centre")}</label>
      <input id="cost-centre-${id}" name="cost_centre" maxlength="64" list="cost-centres" value="${card.cost_centre}" />
      <label for="label-${id}">${t("Label")}</label>
      <input id="label-${id}" name="label" maxlength="200" value="${card.label}" />
      ${
        isApp
          ? ""
          : html`<label for="holder-${id}">${t("Held by")}</label>
              <select id="holder-${id}" name="holder">
                ${holderOptions(card, people)}
              </select>`
      }
      <button class="button secondary">${t("Save")}</button>
      <p role="status" data-saved="${id}"></p>
    </form>
  </li>`;
}

function centreItem(centre) {
  const name = centre.cost_centre || t("No cost centre");
  const drivers = centre.drivers.map(
    (driver) =>
      html`<li>
        ${driver.name || t("Pool cards")}: ${t("Sessions: {count}", { count: driver.sessions })}, ${kwh(driver.energy_wh)},
        ${costs(driver.cost)}
      </li>`,
  );
  return html`<li class="card" data-centre="${centre.cost_centre}">
    <h3>${name}</h3>
    <p class="figure" data-centre-cost>${costs(centre.cost)}</p>
    <p>${t("Sessions: {count}", { count: centre.sessions })} · ${kwh(centre.energy_wh)}</p>
    <ul>
      ${drivers}
    </ul>
  </li>`;
}

function runningItem(session) {
  return html`<li class="card">
    <h3>${session.token_label} · ${session.evse_id}</h3>
    <p class="muted">
      ${[session.holder_name, session.cost_centre || t("No cost centre"), dateTime(session.started_at)].join(" · ")}
    </p>
    <p>${kwh(session.energy_wh)}</p>
  </li>`;
}

function monthPart(month, shown) {
  if (!shown) return html`<p class="loading" role="status">${t("Loading…")}</p>`;
  return html`<p>
      ${t("All cost centres: {count} sessions", { count: shown.sessions })} · ${kwh(shown.energy_wh)} · ${costs(shown.cost)}
    </p>
    ${
      shown.cost_centres.length
        ? html`<ul class="sessions" id="centres">
            ${shown.cost_centres.map(centreItem)}
          </ul>`
        : html`<p>${t("No sessions in this month.")}</p>`
    }
    <p class="links"><a href="${csvLink(month)}" download>${t("Download the month as CSV (Excel)")}</a></p>
    ${
      shown.running.length
        ? html`<h3>${t("Charging now")}</h3>
            <ul class="sessions">
              ${shown.running.map(runningItem)}
            </ul>`
        : ""
    }`;
}

function page(fleet, month, shown) {
  return html`<p class="links"><a href="/account">${t("Back to my account")}</a></p>
    <h1 tabindex="-1">${t("Fleet")}</h1>
    <p class="muted">${fleet.customer_name}</p>
    <datalist id="cost-centres">
      ${fleet.cost_centres.map((name) => html`<option value="${name}"></option>`)}
    </datalist>
    <section aria-labelledby="month-title">
      <h2 id="month-title">${t("Sessions per cost centre")}</h2>
      <form class="account-form" id="month-form">
        <label for="month">${t("Month")}</label>
        <input id="month" name="month" type="month" required value="${month}" />
        <button class="button secondary">${t("Show")}</button>
      </form>
      <div id="month-part">${monthPart(month, shown)}</div>
    </section>
    <section aria-labelledby="cards-title">
      <h2 id="cards-title">${t("Cards and app tokens")}</h2>
      <p>${t("Sessions are booked to the cost centre the card has when it charges; changing it later leaves past sessions where they are.")}</p>
      <ul class="sessions">
        ${fleet.cards.map((card) => cardItem(card, fleet.people))}
      </ul>
    </section>
    <section aria-labelledby="people-title">
      <h2 id="people-title">${t("People")}</h2>
      <ul class="sessions">
        ${fleet.people.map(person)}
      </ul>
    </section>`;
}

const loadMonth = (month) => userRequest(`/api/me/fleet/sessions?period=${month}`);

export async function show({ main, isCurrent }) {
  let month = thisMonth();
  let [fleet, shown] = await Promise.all([userRequest("/api/me/fleet"), loadMonth(month)]);
  if (!isCurrent()) return;

  const draw = () => {
    renderScreen(main, page(fleet, month, shown));
    bind();
  };

  function bind() {
    main.querySelector("#month-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = event.target.month.value;
      if (!chosen) return;
      month = chosen;
      shown = await loadMonth(month);
      if (isCurrent()) draw();
    });
    for (const form of main.querySelectorAll("[data-edit]")) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const id = form.dataset.edit;
        const body = { cost_centre: form.cost_centre.value.trim(), label: form.label.value.trim() };
        if (form.holder) body.holder_id = form.holder.value ? Number(form.holder.value) : null;
        const status = main.querySelector(`[data-saved="${id}"]`);
        try {
          await userRequest(`/api/me/fleet/cards/${id}`, { method: "PATCH", body });
          [fleet, shown] = await Promise.all([userRequest("/api/me/fleet"), loadMonth(month)]);
          if (!isCurrent()) return;
          draw();
          main.querySelector(`[data-saved="${id}"]`).textContent = t("Saved.");
        } catch (problem) {
          status.textContent = problem.message;
        }
      });
    }
  }

  draw();
}
