// The account's payment method (/account/payment): the card or bank account (SEPA Direct
// Debit) the monthly invoices are charged to, or that they are paid by bank transfer; adding
// or replacing it (the SEPA mandate, with the operator as creditor, is shown and accepted
// first), then entering it at the payment provider — Stripe's Payment Element here, or the
// provider's page (the local fake in the demo) — and, back from there, what became of it in
// plain words; removing it. Only for who pays for the customer: a person, a company's fleet
// manager (the API answers anyone else 403 with a sentence saying who does).

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateOnly, lang, t } from "../i18n.js";
import { problemNotice } from "../screens/offline.js";
import { newKey } from "../store.js";

const API = "/api/me/payment-method";
// Back from the provider while the bank still confirms: asked again this often, this long.
const PENDING_POLL_MS = 2000;
const PENDING_POLL_TIMES = 15;

const paymentMethod = () => userRequest(`${API}?lang=${lang}`);
const startSetup = (body) => userRequest(`${API}/setups?lang=${lang}`, { method: "POST", body });
const confirmSetup = (id) => userRequest(`${API}/setups/${id}/confirm?lang=${lang}`, { method: "POST" });
const removeMethod = (id) => userRequest(`${API}/${id}?lang=${lang}`, { method: "DELETE" });

const BRANDS = { visa: "Visa", mastercard: "Mastercard", amex: "American Express" };
const brandName = (brand) => BRANDS[brand] || (brand ? brand[0].toUpperCase() + brand.slice(1) : t("Card"));

const KINDS = { card: () => t("Card"), sepa_debit: () => t("SEPA Direct Debit") };

// The method in one line, as the customer recognises it.
function described(method) {
  if (method.kind === "card") {
    return t("{brand} ending in {last4}", { brand: brandName(method.brand), last4: method.last4 });
  }
  return t("Bank account ending in {last4}", { last4: method.last4 });
}

function details(method) {
  const facts = [t("On file since {date}", { date: dateOnly(method.since) })];
  if (method.kind === "card" && method.exp_month) {
    const month = String(method.exp_month).padStart(2, "0");
    facts.unshift(t("Valid until {month}/{year}", { month, year: method.exp_year }));
  }
  if (method.kind === "sepa_debit") {
    facts.unshift(t("Mandate reference {reference}", { reference: method.mandate_reference }));
  }
  return facts;
}

function current(view) {
  if (!view.method) {
    return html`<section class="card" aria-labelledby="method-title">
      <h2 id="method-title">${t("No payment method on file")}</h2>
      <p>${t("Your invoices are paid by bank transfer.")}</p>
    </section>`;
  }
  const { method } = view;
  return html`<section class="card" aria-labelledby="method-title">
    <h2 id="method-title">${KINDS[method.kind]?.() || method.kind}</h2>
    <p class="figure">${described(method)}</p>
    ${details(method).map((fact) => html`<p class="muted">${fact}</p>`)}
    <p>${t("Your invoices are charged to it.")}</p>
    <p><button class="button secondary" type="button" data-remove>${t("Remove")}</button></p>
  </section>`;
}

// The mandate the customer accepts before entering the IBAN (the scheme's wording).
function mandate(creditor) {
  return html`<section class="card" id="mandate" aria-labelledby="mandate-title" hidden>
    <h2 id="mandate-title">${t("SEPA Direct Debit mandate")}</h2>
    <p>
      ${t(
        "I authorise {creditor} to collect payments from my account by SEPA Direct Debit, and I instruct my bank to pay the direct debits {creditor} draws on my account.",
        { creditor },
      )}
    </p>
    <p>
      ${t(
        "Note: I can ask for a refund of a debited amount within eight weeks of the date it was debited, under the conditions agreed with my bank.",
      )}
    </p>
    <p class="muted">${t("You enter your IBAN on the next page. The mandate reference follows once it is saved.")}</p>
    <p><button class="button primary" type="button" data-accept>${t("Accept the mandate and continue")}</button></p>
    <p><button class="button secondary" type="button" data-cancel>${t("Cancel")}</button></p>
  </section>`;
}

function choose(view) {
  if (!view.offered) return html`<p class="notice">${view.message}</p>`;
  const title = view.method ? t("Replace the payment method") : t("Add a payment method");
  return html`<section aria-labelledby="add-title">
      <h2 id="add-title">${title}</h2>
      <p>${t("Your invoices will be charged to it each month. You can remove it at any time.")}</p>
      <div class="methods" role="group" aria-labelledby="add-title">
        <button class="button primary" type="button" data-kind="card">${t("Card")}</button>
        <button class="button secondary" type="button" data-kind="sepa_debit">${t("SEPA Direct Debit")}</button>
      </div>
    </section>
    ${mandate(view.creditor)}
    <form id="stripe-form" class="pay" aria-labelledby="stripe-title" hidden>
      <h2 id="stripe-title"></h2>
      <div id="stripe-setup"></div>
      <button class="button primary" type="submit">${t("Save")}</button>
      <p class="error" id="stripe-error" role="alert"></p>
    </form>`;
}

function setupNote(view) {
  const { setup } = view;
  if (!setup) return "";
  if (setup.state === "failed") return html`<p class="error" role="alert">${setup.message}</p>`;
  return html`<p class="loading">${t("Your payment method is being confirmed. This page updates by itself.")}</p>`;
}

function page(view, message) {
  return html`<p class="links"><a href="/account">${t("Back to my account")}</a></p>
    <h1 tabindex="-1">${t("Payment method")}</h1>
    <p>${t("Your monthly invoices are charged to the card or bank account you keep here.")}</p>
    <p role="status" data-status>${message}</p>
    ${setupNote(view)} ${current(view)} ${choose(view)}
    <dialog id="remove-dialog" aria-labelledby="remove-question">
      <form method="dialog">
        <h2 id="remove-question">${t("Remove this payment method?")}</h2>
        <p>${view.method ? described(view.method) : ""}</p>
        <p>${t("Your invoices are then paid by bank transfer again.")}</p>
        <button class="button danger" value="remove">${t("Yes, remove it")}</button>
        <button class="button secondary" value="keep" autofocus>${t("Keep it")}</button>
      </form>
    </dialog>`;
}

function forbidden(main, problem) {
  renderScreen(
    main,
    html`<p class="links"><a href="/account">${t("Back to my account")}</a></p>
      <h1 tabindex="-1">${t("Payment method")}</h1>
      <p class="notice" role="alert">${problem.message}</p>`,
  );
}

// What the return from the provider's page came to, in a sentence.
function outcome(view, setupId, params) {
  if (view.method && String(view.method.id) === setupId) {
    return t("Saved: {method}. Your invoices will be charged to it.", { method: described(view.method) });
  }
  if (view.setup && String(view.setup.id) === setupId && view.setup.state === "pending") {
    return params.get("redirect_status") === "failed" ? t("Nothing was saved.") : "";
  }
  return "";
}

export async function show({ main, isCurrent }) {
  const params = new URLSearchParams(location.search);
  const returnedFrom = params.get("setup");
  let view;
  try {
    // Back from the provider: ask the platform what became of it (never the address bar).
    view = returnedFrom ? await confirmSetup(returnedFrom) : await paymentMethod();
  } catch (problem) {
    if (!isCurrent()) return undefined;
    if (problem.status === 403 || problem.status === 404) forbidden(main, problem);
    else renderScreen(main, problemNotice(problem));
    return undefined;
  }
  if (!isCurrent()) return undefined;
  // The return is handled once; a reload shows the page as it is.
  if (returnedFrom) history.replaceState(null, "", "/account/payment");
  let timer = 0;
  let polls = 0;
  // One key per kind while the page is open: a second tap or a retry after a lost answer
  // resumes the same setup.
  const keys = {};

  const draw = (message = "") => {
    renderScreen(main, page(view, message));
    bind();
    clearTimeout(timer);
    if (view.setup?.state === "pending" && returnedFrom && polls < PENDING_POLL_TIMES) {
      timer = setTimeout(poll, PENDING_POLL_MS);
    }
  };

  const say = (message) => {
    main.querySelector("[data-status]").textContent = message;
  };

  async function poll() {
    polls += 1;
    try {
      view = await confirmSetup(returnedFrom);
    } catch {
      return;
    }
    if (isCurrent()) draw(outcome(view, returnedFrom, params));
  }

  async function begin(kind, button) {
    button.disabled = true;
    say("");
    try {
      const step = await startSetup({
        kind,
        client_key: (keys[kind] ||= newKey()),
        mandate_accepted: kind === "sepa_debit",
      });
      if (!isCurrent()) return;
      if (step.redirect_url) {
        location.assign(step.redirect_url);
        return;
      }
      await mountElements(step);
    } catch (problem) {
      say(problem.message);
      button.disabled = false;
    }
  }

  async function mountElements(step) {
    const form = main.querySelector("#stripe-form");
    const error = main.querySelector("#stripe-error");
    // One form at a time: choosing the other kind replaces it.
    main.querySelector("#stripe-title").textContent = KINDS[step.kind]();
    render(main.querySelector("#stripe-setup"), "");
    for (const button of main.querySelectorAll("[data-kind]")) button.disabled = button.dataset.kind === step.kind;
    form.hidden = false;
    try {
      const { mountSetup } = await import("./stripe-setup.js");
      await mountSetup({
        step,
        lang,
        form,
        target: "#stripe-setup",
        onError: (text) => (error.textContent = text),
        onSaved: async () => {
          delete keys[step.kind]; // done: another one is a new setup
          view = await confirmSetup(step.setup_id);
          if (isCurrent()) draw(outcome(view, String(step.setup_id), new URLSearchParams()));
        },
      });
    } catch {
      error.textContent = t("The form could not be loaded. Please check your connection and try again.");
    }
  }

  function bind() {
    const panel = main.querySelector("#mandate");
    for (const button of main.querySelectorAll("[data-kind]")) {
      button.addEventListener("click", () => {
        if (button.dataset.kind === "sepa_debit") {
          panel.hidden = false;
          panel.querySelector("h2").scrollIntoView?.();
          panel.querySelector("[data-accept]").focus();
        } else {
          begin("card", button);
        }
      });
    }
    panel?.querySelector("[data-accept]").addEventListener("click", (event) => begin("sepa_debit", event.target));
    panel?.querySelector("[data-cancel]").addEventListener("click", () => {
      panel.hidden = true;
    });
    const dialog = main.querySelector("#remove-dialog");
    main.querySelector("[data-remove]")?.addEventListener("click", () => dialog.showModal());
    dialog.addEventListener("close", async () => {
      if (dialog.returnValue !== "remove" || !view.method) return;
      try {
        view = await removeMethod(view.method.id);
        if (isCurrent()) draw(t("The payment method is removed. Your invoices are paid by bank transfer."));
      } catch (problem) {
        say(problem.message);
      }
    });
  }

  draw(returnedFrom ? outcome(view, returnedFrom, params) : "");
  return () => clearTimeout(timer);
}
