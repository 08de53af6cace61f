// Contract customers (/admin/customers): the list and a new customer; one customer
// (/admin/customers/{id}) with its details, tariff group, people (invite a driver or fleet
// manager), cards and app tokens, invoices, and the payment method on file (which the
// customer chooses in the app; admin mode only shows it). Admins change; staff read.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateOnly, money, t } from "../i18n.js";
import { STATUS_LABELS } from "./invoices.js";
import { adminTable } from "./table.js";

const api = "/api/admin/customers";
const KINDS = { person: () => t("Person"), company: () => t("Company") };
const ROLES = { driver: () => t("Driver"), fleet_manager: () => t("Fleet manager") };

const isAdmin = (account) => ["operator_admin", "platform_admin"].includes(account.user.role);

// The billing address printed on invoices, the payment terms and the contract's term, for
// the new-customer form (`prefix` "c") and a customer's page ("e").
function billingFields(prefix, customer = {}, readonly = false) {
  const locked = readonly ? html`readonly` : "";
  return html`<label for="${prefix}-street">${t("Street and number")}</label>
    <input id="${prefix}-street" name="street" maxlength="200" autocomplete="off" value="${customer.street || ""}" ${locked} />
    <label for="${prefix}-postal">${t("Postal code")}</label>
    <input id="${prefix}-postal" name="postal_code" maxlength="16" value="${customer.postal_code || ""}" ${locked} />
    <label for="${prefix}-city">${t("City")}</label>
    <input id="${prefix}-city" name="city" maxlength="100" value="${customer.city || ""}" ${locked} />
    <label for="${prefix}-country">${t("Country (two letters, e.g. DE)")}</label>
    <input
      id="${prefix}-country"
      name="country_code"
      required
      pattern="[A-Za-z]{2}"
      maxlength="2"
      value="${customer.country_code || "DE"}"
      ${locked}
    />
    <label for="${prefix}-terms">${t("Payment terms (days)")}</label>
    <input
      id="${prefix}-terms"
      name="payment_terms_days"
      type="number"
      min="0"
      max="90"
      required
      value="${customer.payment_terms_days ?? 14}"
      ${locked}
    />
    <label for="${prefix}-starts">${t("Contract starts on")}</label>
    <input id="${prefix}-starts" name="contract_starts_on" type="date" value="${customer.contract_starts_on || ""}" ${locked} />
    <label for="${prefix}-ends">${t("Contract ends on (cards and app tokens stop working after this day)")}</label>
    <input id="${prefix}-ends" name="contract_ends_on" type="date" value="${customer.contract_ends_on || ""}" ${locked} />`;
}

// A form's fields as the API wants them: trimmed text, the country in capitals, the
// payment terms as a number, an empty contract date as none.
function customerBody(form) {
  const body = Object.fromEntries([...new FormData(form).entries()].map(([key, value]) => [key, String(value).trim()]));
  if ("country_code" in body) body.country_code = body.country_code.toUpperCase();
  if ("payment_terms_days" in body) body.payment_terms_days = Number(body.payment_terms_days);
  for (const key of ["contract_starts_on", "contract_ends_on"]) {
    if (key in body) body[key] = body[key] || null;
  }
  return body;
}

function customerRow(customer) {
  return html`<tr>
    <td><a href="/admin/customers/${customer.id}">${customer.name}</a></td>
    <td>${KINDS[customer.kind]?.()}</td>
    <td>${customer.email}</td>
    <td>${customer.customer_group || "–"}</td>
  </tr>`;
}

function listPage(nav, admin) {
  const table = adminTable({
    label: t("Customers"),
    bodyId: "customer-rows",
    columns: [t("Name"), t("Kind"), t("Invoices to"), t("Tariff group")],
  });
  return html`${nav}
    <h1 tabindex="-1">${t("Customers")}</h1>
    ${table}
    <p role="status" id="customer-status"></p>
    ${
      admin
        ? html`<h2>${t("New customer")}</h2>
            <form id="customer-form" class="report">
              <label for="c-kind">${t("Kind")}</label>
              <select id="c-kind" name="kind">
                <option value="person">${t("Person")}</option>
                <option value="company">${t("Company")}</option>
              </select>
              <label for="c-name">${t("Name")}</label>
              <input id="c-name" name="name" required maxlength="200" />
              <label for="c-email">${t("E-mail for invoices")}</label>
              <input id="c-email" name="email" type="email" maxlength="254" />
              <label for="c-vat">${t("VAT ID")}</label>
              <input id="c-vat" name="vat_id" maxlength="20" />
              <label for="c-group">${t("Tariff group (e.g. employees)")}</label>
              <input id="c-group" name="customer_group" maxlength="64" />
              ${billingFields("c")}
              <p><button class="button primary">${t("Create customer")}</button></p>
            </form>`
        : ""
    }`;
}

async function showList(main, nav, account, isCurrent) {
  const admin = isAdmin(account);
  renderScreen(main, listPage(nav, admin));
  const status = main.querySelector("#customer-status");
  const fill = async () => {
    const customers = await userRequest(api);
    if (!isCurrent()) return;
    render(main.querySelector("#customer-rows"), html`${customers.map(customerRow)}`);
    status.textContent = customers.length ? "" : t("No customers yet.");
  };
  try {
    await fill();
  } catch (problem) {
    status.textContent = problem.message;
  }
  main.querySelector("#customer-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = customerBody(event.target);
    if (!body.customer_group) delete body.customer_group;
    try {
      const created = await userRequest(api, { method: "POST", body });
      event.target.reset();
      await fill();
      status.textContent = t("{name} is created.", { name: created.name });
    } catch (problem) {
      status.textContent = problem.message;
    }
  });
}

function personRow(user) {
  return html`<tr>
    <td>${user.display_name || "–"}</td>
    <td>${user.email}</td>
    <td>${ROLES[user.role]?.() || user.role}</td>
  </tr>`;
}

function cardRow(card) {
  return html`<tr>
    <td><code>${card.uid}</code></td>
    <td>${card.type === "APP_USER" ? t("App") : t("Card")}</td>
    <td>${card.label}</td>
    <td>${card.status}</td>
  </tr>`;
}

function invoiceRow(invoice) {
  return html`<tr>
    <td><a href="/admin/invoices/${invoice.id}">${invoice.number}</a></td>
    <td>${invoice.period}</td>
    <td>${money(invoice.gross_minor, invoice.currency)}</td>
    <td>${STATUS_LABELS[invoice.status]?.() || invoice.status}</td>
  </tr>`;
}

// Kind, brand or bank, last digits, since when: never more.
function paymentMethod(method) {
  if (!method) return html`<p>${t("None: invoices are paid by bank transfer.")}</p>`;
  const since = t("on file since {date}", { date: dateOnly(method.since) });
  if (method.kind === "card") {
    const brand = method.brand ? method.brand[0].toUpperCase() + method.brand.slice(1) : t("Card");
    return html`<p>${t("Card")} · ${brand} · …${method.last4} · ${since}</p>`;
  }
  const bank = t("bank code {code}", { code: method.bank_code });
  return html`<p>${t("SEPA Direct Debit")} · ${bank} · …${method.last4} · ${since}</p>`;
}

function customerPage(nav, detail, admin) {
  const { customer } = detail;
  const people = adminTable({
    label: t("People"),
    bodyId: "people-rows",
    columns: [t("Name"), t("E-mail"), t("Role")],
  });
  const cards = adminTable({
    label: t("Cards and app tokens"),
    bodyId: "card-rows",
    columns: [t("Number"), t("Kind"), t("Label"), t("Status")],
  });
  const invoices = adminTable({
    label: t("Invoices"),
    bodyId: "invoice-rows",
    columns: [t("Invoice number"), t("Month"), t("Amount"), t("Status")],
  });
  return html`${nav}
    <p><a href="/admin/customers">${t("All customers")}</a></p>
    <h1 tabindex="-1">${customer.name}</h1>
    <p class="muted">${KINDS[customer.kind]?.()} · ${customer.email || "–"} · ${customer.vat_id || "–"}</p>
    <form id="customer-edit" class="report">
      <label for="e-email">${t("E-mail for invoices")}</label>
      <input id="e-email" name="email" type="email" value="${customer.email}" ${admin ? "" : html`readonly`} />
      <label for="e-vat">${t("VAT ID")}</label>
      <input id="e-vat" name="vat_id" value="${customer.vat_id}" ${admin ? "" : html`readonly`} />
      <label for="e-group">${t("Tariff group (e.g. employees)")}</label>
      <input
        id="e-group"
        name="customer_group"
        value="${customer.customer_group || ""}"
        ${admin ? "" : html`readonly`}
      />
      ${billingFields("e", customer, !admin)}
      ${admin ? html`<p><button class="button secondary">${t("Save")}</button></p>` : ""}
    </form>
    <h2>${t("People")}</h2>
    ${people}
    ${
      admin
        ? html`<form id="invite-form" class="report">
            <label for="i-email">${t("E-mail of the person to invite")}</label>
            <input id="i-email" name="email" type="email" required />
            <label for="i-name">${t("Name")}</label>
            <input id="i-name" name="display_name" maxlength="200" />
            <label for="i-role">${t("Role")}</label>
            <select id="i-role" name="role">
              <option value="driver">${t("Driver")}</option>
              ${customer.kind === "company" ? html`<option value="fleet_manager">${t("Fleet manager")}</option>` : ""}
            </select>
            <p><button class="button primary">${t("Invite")}</button></p>
          </form>`
        : ""
    }
    <h2>${t("Cards and app tokens")}</h2>
    ${cards}
    <h2>${t("Invoices")}</h2>
    ${invoices}
    <h2>${t("Payment method")}</h2>
    ${paymentMethod(detail.payment_method)}
    <p role="status" id="customer-status"></p>`;
}

async function showCustomer(main, nav, account, id, isCurrent) {
  const admin = isAdmin(account);
  const draw = (detail, note = "") => {
    renderScreen(main, customerPage(nav, detail, admin));
    render(main.querySelector("#people-rows"), html`${detail.users.map(personRow)}`);
    render(main.querySelector("#card-rows"), html`${detail.cards.map(cardRow)}`);
    render(main.querySelector("#invoice-rows"), html`${detail.invoices.map(invoiceRow)}`);
    main.querySelector("#customer-status").textContent = note;
    bind();
  };
  const act = async (work) => {
    const status = main.querySelector("#customer-status");
    try {
      const note = await work();
      if (isCurrent()) draw(await userRequest(`${api}/${id}`), note);
    } catch (problem) {
      status.textContent = problem.message;
    }
  };
  function bind() {
    main.querySelector("#customer-edit").addEventListener("submit", (event) => {
      event.preventDefault();
      const body = customerBody(event.target);
      act(async () => {
        await userRequest(`${api}/${id}`, { method: "PATCH", body });
        return t("Saved.");
      });
    });
    main.querySelector("#invite-form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const body = Object.fromEntries([...form.entries()].map(([key, value]) => [key, String(value).trim()]));
      body.language = document.documentElement.lang === "en" ? "en" : "de";
      act(async () => {
        const user = await userRequest(`${api}/${id}/users`, { method: "POST", body });
        return t("{email} is invited.", { email: user.email });
      });
    });
  }
  try {
    const detail = await userRequest(`${api}/${id}`);
    if (isCurrent()) draw(detail);
  } catch (problem) {
    if (isCurrent())
      renderScreen(
        main,
        html`${nav}
          <p class="error" role="alert">${problem.message}</p>`,
      );
  }
}

export function show({ main, nav, account, rest, isCurrent }) {
  if (/^\d+$/.test(rest)) return showCustomer(main, nav, account, rest, isCurrent);
  return showList(main, nav, account, isCurrent);
}
