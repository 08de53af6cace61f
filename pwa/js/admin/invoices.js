// Invoices (/admin/invoices): invoices and credit notes by month, status and kind, with
// failed payments in sight, and the invoice events sent to the billing webhook. One
// document (/admin/invoices/{id}): its lines, PDF, status, balance and credit notes; admins
// mark it paid (bank transfer), write a credit note (pick lines, reason, rebill) and mail it
// again. Staff read.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateOnly, dateTime, kwh, money, t } from "../i18n.js";
import { adminTable } from "./table.js";

const api = "/api/admin/invoices";

export const STATUS_LABELS = {
  open: () => t("Open"),
  paid: () => t("Paid"),
  failed: () => t("Payment failed"),
  credited: () => t("Credited"),
};
const KIND_LABELS = { invoice: () => t("Invoice"), credit_note: () => t("Invoice correction") };
const DELIVERY_LABELS = {
  pending: () => t("Waiting"),
  sent: () => t("Sent"),
  failed: () => t("Given up"),
  dropped: () => t("Dropped"),
};

const isAdmin = (account) => ["operator_admin", "platform_admin"].includes(account.user.role);
const label = (labels, value) => labels[value]?.() || value;

function statusText(invoice) {
  const state = label(STATUS_LABELS, invoice.status);
  return invoice.status === "failed" && invoice.failure_message ? `${state}: ${invoice.failure_message}` : state;
}

function invoiceRow(invoice) {
  return html`<tr class="${invoice.status === "failed" ? "attention" : ""}">
    <td><a href="/admin/invoices/${invoice.id}">${invoice.number}</a></td>
    <td>${label(KIND_LABELS, invoice.kind)}</td>
    <td>${invoice.customer_name}</td>
    <td>${invoice.period}</td>
    <td>${money(invoice.gross_minor, invoice.currency)}</td>
    <td>${money(invoice.balance_minor, invoice.currency)}</td>
    <td>${statusText(invoice)}</td>
  </tr>`;
}

function deliveryRow(delivery) {
  return html`<tr>
    <td>${dateTime(delivery.created_at)}</td>
    <td><code>${delivery.event}</code></td>
    <td><a href="/admin/invoices/${delivery.invoice_id}">${delivery.invoice_id}</a></td>
    <td>${label(DELIVERY_LABELS, delivery.state)}</td>
    <td>${delivery.attempts}</td>
    <td>${delivery.last_error || "–"}</td>
  </tr>`;
}

function deliveriesSection() {
  return html`<h2>${t("Invoice events to the webhook")}</h2>
    <p class="muted">
      ${t("Sent signed to the webhook URL for invoice events (see Faults → Notifications); retried when the receiver fails.")}
    </p>
    ${adminTable({
      label: t("Invoice events to the webhook"),
      bodyId: "delivery-rows",
      columns: [t("Time"), t("Event"), t("Invoice"), t("State"), t("Attempts"), t("Last error")],
    })}`;
}

function listPage(nav, filter) {
  const option = (value, text, chosen) => html`<option value="${value}" ${chosen === value ? "selected" : ""}>${text}</option>`;
  return html`${nav}
    <h1 tabindex="-1">${t("Invoices")}</h1>
    <form class="filters" id="invoice-filter" role="search">
      <label for="f-period">${t("Month")}</label>
      <input id="f-period" name="period" type="month" value="${filter.period}" />
      <label for="f-status">${t("Status")}</label>
      <select id="f-status" name="status">
        ${option("", t("All"), filter.status)} ${Object.keys(STATUS_LABELS).map((key) => option(key, label(STATUS_LABELS, key), filter.status))}
      </select>
      <label for="f-kind">${t("Kind")}</label>
      <select id="f-kind" name="kind">
        ${option("", t("All"), filter.kind)} ${Object.keys(KIND_LABELS).map((key) => option(key, label(KIND_LABELS, key), filter.kind))}
      </select>
      <button class="button secondary">${t("Filter")}</button>
    </form>
    ${adminTable({
      label: t("Invoices"),
      bodyId: "invoice-rows",
      columns: [t("Number"), t("Kind"), t("Customer"), t("Month"), t("Amount"), t("Open balance"), t("Status")],
    })}
    <p role="status" id="invoice-status"></p>
    <p><button class="button secondary" id="invoice-more" hidden>${t("Show more")}</button></p>
    ${deliveriesSection()}`;
}

async function showList(main, nav, isCurrent) {
  const query = new URLSearchParams(location.search);
  const filter = { period: query.get("period") || "", status: query.get("status") || "", kind: query.get("kind") || "" };
  renderScreen(main, listPage(nav, filter));
  const status = main.querySelector("#invoice-status");
  const more = main.querySelector("#invoice-more");
  let shown = [];
  let after = null;
  const load = async (next = false) => {
    const params = new URLSearchParams(Object.entries(filter).filter(([, value]) => value));
    if (next && after !== null) params.set("after", after);
    const page = await userRequest(`${api}?${params}`);
    if (!isCurrent()) return;
    shown = next ? [...shown, ...page.invoices] : page.invoices;
    after = page.next_after;
    render(main.querySelector("#invoice-rows"), html`${shown.map(invoiceRow)}`);
    more.hidden = after === null;
    status.textContent = shown.length ? "" : t("No invoices for this choice.");
  };
  const loadDeliveries = async () => {
    const deliveries = await userRequest(`${api}/webhook-deliveries`);
    if (!isCurrent()) return;
    render(
      main.querySelector("#delivery-rows"),
      deliveries.length ? html`${deliveries.map(deliveryRow)}` : html`<tr><td colspan="6">${t("No invoice events yet.")}</td></tr>`,
    );
  };
  main.querySelector("#invoice-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    Object.assign(filter, { period: form.period.value, status: form.status.value, kind: form.kind.value });
    const params = new URLSearchParams(Object.entries(filter).filter(([, value]) => value));
    history.replaceState(null, "", `?${params}`);
    load().catch((problem) => (status.textContent = problem.message));
  });
  more.addEventListener("click", () => load(true).catch((problem) => (status.textContent = problem.message)));
  try {
    await Promise.all([load(), loadDeliveries()]);
  } catch (problem) {
    status.textContent = problem.message;
  }
}

// --- one invoice -------------------------------------------------------------------------

function lineRow(line, invoice, canCredit) {
  const choose = canCredit && !line.credited;
  const creditThis = t("Credit line {position}", { position: line.position });
  return html`<tr>
    <td>
      ${
        choose
          ? html`<input
              type="checkbox"
              name="position"
              value="${line.position}"
              form="credit-form"
              id="line-${line.position}"
              aria-label="${creditThis}"
            />`
          : ""
      }
      ${line.position}
    </td>
    <td>${dateTime(line.started_at)}</td>
    <td>${line.evse_id}</td>
    <td>${line.token_label}</td>
    <td>${kwh(line.energy_wh, 3)}</td>
    <td>${money(line.gross_minor, invoice.currency)}</td>
    <td>${line.credited ? t("Credited") : ""}</td>
  </tr>`;
}

function facts(invoice) {
  const item = (name, value) => html`<div>
    <dt>${name}</dt>
    <dd>${value}</dd>
  </div>`;
  const corrects = t("Corrects");
  return html`<dl class="facts">
    ${item(t("Customer"), html`<a href="/admin/customers/${invoice.customer_id}">${invoice.customer_name}</a>`)}
    ${invoice.customer_address ? item(t("Address"), invoice.customer_address.replaceAll("\n", ", ")) : ""}
    ${item(t("Month"), invoice.period)} ${item(t("Issued"), dateOnly(invoice.issued_at))} ${item(t("Due"), dateOnly(invoice.due_at))}
    ${item(t("Amount"), money(invoice.gross_minor, invoice.currency))}
    ${invoice.credited_minor ? item(t("Credited"), money(invoice.credited_minor, invoice.currency)) : ""}
    ${item(t("Open balance"), money(invoice.balance_minor, invoice.currency))}
    ${item(t("Status"), html`<span id="invoice-state">${label(STATUS_LABELS, invoice.status)}</span>`)}
    ${
      invoice.paid_at
        ? item(
            t("Settled"),
            [dateOnly(invoice.paid_at), invoice.paid_method === "offset" ? t("set off") : invoice.paid_method, invoice.paid_reference]
              .filter(Boolean)
              .join(" · "),
          )
        : ""
    }
    ${
      invoice.corrects_id
        ? item(corrects, html`<a href="/admin/invoices/${invoice.corrects_id}">${invoice.corrects_number}</a>`)
        : ""
    }
    ${invoice.reason ? item(t("Reason"), invoice.reason) : ""}
    ${item(t("Mailed"), invoice.mailed ? t("Yes") : t("Not yet"))}
  </dl>`;
}

function payForm(invoice) {
  const today = new Date().toISOString().slice(0, 10);
  const question = invoice.kind === "credit_note" ? t("Paid out to the customer") : t("Payment received by bank transfer");
  return html`<form id="pay-form" class="report">
    <h2>${question}</h2>
    <label for="pay-date">${t("Date of payment")}</label>
    <input id="pay-date" name="date" type="date" required max="${today}" value="${today}" />
    <label for="pay-reference">${t("Reference on the bank statement")}</label>
    <input id="pay-reference" name="reference" maxlength="100" />
    <p><button class="button primary">${t("Mark paid")}</button></p>
  </form>`;
}

function creditForm() {
  return html`<form id="credit-form" class="report">
    <h2>${t("New credit note")}</h2>
    <p class="muted">${t("Tick the lines to credit above; with none ticked, every line not credited yet is credited.")}</p>
    <label for="credit-reason">${t("Reason (printed on the credit note)")}</label>
    <textarea id="credit-reason" name="reason" rows="2" required maxlength="500"></textarea>
    <label class="choice"><input type="checkbox" name="rebill" /> ${t("Bill the same energy again next month")}</label>
    <p><button class="button primary">${t("Write credit note")}</button></p>
  </form>`;
}

function invoicePage(nav, invoice, admin) {
  const canCredit = admin && invoice.kind === "invoice" && invoice.status !== "credited";
  const canPay = admin && ["open", "failed"].includes(invoice.status) && invoice.balance_minor !== 0;
  const lines = adminTable({
    label: t("Lines"),
    bodyId: "line-rows",
    columns: [t("Line"), t("Start"), t("Charge point"), t("Card or app"), t("Energy"), t("Amount"), t("Credited")],
  });
  const notes = invoice.credit_notes.map(
    (note) =>
      html`<li>
        <a href="/admin/invoices/${note.id}">${note.number}</a> · ${money(note.gross_minor, invoice.currency)} ·
        ${label(STATUS_LABELS, note.status)}
      </li>`,
  );
  return html`${nav}
    <p><a href="/admin/invoices">${t("All invoices")}</a></p>
    <h1 tabindex="-1">${label(KIND_LABELS, invoice.kind)} ${invoice.number}</h1>
    ${
      invoice.failure_code
        ? html`<p class="notice" role="alert">
            ${t("The last payment failed: {message}", { message: invoice.failure_message || invoice.failure_code })}
          </p>`
        : ""
    }
    ${facts(invoice)}
    <p class="links">
      <a href="${api}/${invoice.id}/pdf" target="_blank" rel="noopener">${t("PDF")}</a>
      ${admin ? html`<button class="button secondary" type="button" id="invoice-mail">${t("Mail it again")}</button>` : ""}
    </p>
    <p role="status" id="invoice-status"></p>
    <h2>${t("Lines")}</h2>
    ${lines}
    ${invoice.kind === "invoice" ? html`<h2>${t("Credit notes")}</h2>
          ${notes.length ? html`<ul id="credit-notes">${notes}</ul>` : html`<p class="muted">${t("None.")}</p>`}` : ""}
    ${canPay ? payForm(invoice) : ""} ${canCredit ? creditForm() : ""}`;
}

function paidAt(date) {
  // Today: now (a payment is never in the future); another day: its noon, local time.
  const today = new Date().toISOString().slice(0, 10);
  return date === today ? new Date().toISOString() : new Date(`${date}T12:00:00`).toISOString();
}

async function showInvoice(main, nav, account, id, isCurrent) {
  const admin = isAdmin(account);
  const draw = (invoice, note = "") => {
    renderScreen(main, invoicePage(nav, invoice, admin));
    const canCredit = admin && invoice.kind === "invoice" && invoice.status !== "credited";
    render(main.querySelector("#line-rows"), html`${invoice.lines.map((line) => lineRow(line, invoice, canCredit))}`);
    main.querySelector("#invoice-status").textContent = note;
    bind();
  };
  const act = async (work) => {
    const status = main.querySelector("#invoice-status");
    try {
      const note = await work();
      if (isCurrent()) draw(await userRequest(`${api}/${id}`), note);
    } catch (problem) {
      status.textContent = problem.message;
    }
  };
  function bind() {
    main.querySelector("#pay-form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.target;
      act(async () => {
        await userRequest(`${api}/${id}/payments`, {
          method: "POST",
          body: { paid_at: paidAt(form.date.value), reference: form.reference.value.trim() },
        });
        return t("Marked as paid.");
      });
    });
    main.querySelector("#credit-form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.target;
      const positions = [...main.querySelectorAll('input[name="position"]:checked')].map((box) => Number(box.value));
      const body = { reason: form.reason.value.trim(), rebill: form.rebill.checked };
      if (positions.length) body.positions = positions;
      act(async () => {
        const note = await userRequest(`${api}/${id}/credit-notes`, { method: "POST", body });
        return t("Credit note {number} is written and mailed.", { number: note.number });
      });
    });
    main.querySelector("#invoice-mail")?.addEventListener("click", () =>
      act(async () => {
        await userRequest(`${api}/${id}/mail`, { method: "POST" });
        return t("Mailed to the customer.");
      }),
    );
  }
  try {
    const invoice = await userRequest(`${api}/${id}`);
    if (isCurrent()) draw(invoice);
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
  if (/^\d+$/.test(rest)) return showInvoice(main, nav, account, rest, isCurrent);
  return showList(main, nav, isCurrent);
}
