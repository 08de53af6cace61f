// The charger page (/c/{EVSE ID}, what the QR code opens): the charge point, its complete
// price and the hold, all before anything is paid; then card or PayPal.

import { getEstimate, getEvse, startSession, stopSession } from "../api.js";
import { applyBrand, pointManifestAt } from "../brand.js";
import { html, render, renderScreen } from "../html.js";
import { kw, kwh, lang, money, t } from "../i18n.js";
import { go } from "../router.js";
import {
  activeSession,
  attemptFor,
  currentAttempt,
  forgetAttempt,
  keepBrand,
  accountHere,
  keepSession,
  saveAttempt,
  session,
} from "../store.js";
import { problemNotice } from "./offline.js";

const ESTIMATE_KWH = 20;
let prefetched = null;

export function prefetch([evseId]) {
  prefetched = { evseId, evse: getEvse(evseId), lang };
  prefetched.evse.catch(() => {}); // handled when shown
}

function evseFor(evseId) {
  const fresh = prefetched && prefetched.evseId === evseId && prefetched.lang === lang;
  const evse = fresh ? prefetched.evse : getEvse(evseId);
  prefetched = null;
  return evse;
}

const STANDARDS = {
  IEC_62196_T2: () => t("Type 2"),
  IEC_62196_T2_COMBO: () => t("CCS (Combo 2)"),
  IEC_62196_T1: () => t("Type 1"),
  IEC_62196_T1_COMBO: () => t("CCS (Combo 1)"),
  CHADEMO: () => "CHAdeMO",
  DOMESTIC_F: () => t("Household socket"),
};

const FORMATS = {
  SOCKET: () => t("socket – bring your own cable"),
  CABLE: () => t("cable attached"),
};

const AVAILABILITY = {
  available: () => t("Available"),
  occupied: () => t("Occupied"),
  unavailable: () => t("Out of service"),
  offline: () => t("Offline"),
};

function connectorLine({ standard, format, max_power_w: power, current_type: current }) {
  const name = STANDARDS[standard]?.() || standard;
  const shape = FORMATS[format]?.() || "";
  const upTo = t("up to {power}", { power: kw(power) });
  return [shape ? `${name}, ${shape}` : name, `${upTo} ${current}`].join(" · ");
}

function priceCard(price, { estimate = true } = {}) {
  if (!price) return html`<p>${t("This charge point has no public price. Please contact the operator.")}</p>`;
  const item = (entry) =>
    html` <div class="price-item">
      <dt>
        ${entry.label}${entry.conditions.length ? html` <span class="muted">${entry.conditions.join(", ")}</span>` : ""}
      </dt>
      <dd class="price-value">${entry.price}</dd>
      ${entry.notes.map((note) => html`<dd class="muted">${note}</dd>`)}
    </div>`;
  return html` <dl class="price-list">${price.items.map(item)}</dl>
    ${price.limits.map((limit) => html`<p>${limit}</p>`)}
    <p class="muted">${price.vat_note}</p>
    ${estimate ? html`<p class="muted" id="estimate"></p>` : ""}`;
}

function support(operator) {
  const phone = operator.support_phone;
  const email = operator.support_email;
  if (!phone && !email) return "";
  // Babel reads no object literal inside a template's ${…}: texts with values come first.
  const question = t("Questions? Contact {operator}:", { operator: operator.name });
  return html`<p class="support">
    ${question} ${phone ? html`<a href="tel:${phone.replace(/[^+\d]/g, "")}">${phone}</a>` : ""}
    ${email ? html`<a href="mailto:${email}">${email}</a>` : ""}
  </p>`;
}

function payForm(evse) {
  if (evse.availability !== "available" || !evse.price || !evse.hold) {
    return html`<p><a class="button secondary" href="/scan">${t("Choose another charge point")}</a></p>`;
  }
  return html` <form class="pay" id="pay">
    <label for="email">${t("E-mail for the receipt (optional)")}</label>
    <input id="email" name="email" type="email" autocomplete="email" inputmode="email" aria-describedby="email-hint" />
    <p class="muted" id="email-hint">${t("Your receipt also stays in this app on your phone.")}</p>
    <h2 id="method-title">${t("How would you like to pay?")}</h2>
    <div class="methods" role="group" aria-labelledby="method-title">
      <button class="button primary" name="provider" value="stripe">${t("Card, Apple Pay or Google Pay")}</button>
      <button class="button secondary" name="provider" value="paypal">PayPal</button>
    </div>
    <p class="error" id="pay-error" role="alert"></p>
  </form>`;
}

function runningHere(evseId) {
  const active = activeSession();
  if (!active || active.evseId !== evseId) return "";
  return html`<p class="notice">
    <a href="/s/${encodeURIComponent(active.token)}"
      >${t("Your session at this charge point is still open. Show it")}</a
    >
  </p>`;
}

function page(evse) {
  const { place } = evse;
  return html` ${runningHere(evse.evse_id)}
    <h1 tabindex="-1">${evse.station_name}</h1>
    <p class="muted">${[place.name, place.address].filter(Boolean).join(" · ")}</p>
    <p class="status ${evse.availability}">
      <strong>${AVAILABILITY[evse.availability]?.()}</strong>
      ${evse.availability_message ? html`<span>${evse.availability_message}</span>` : ""}
    </p>
    <section class="card evse" aria-labelledby="evse-title">
      <h2 id="evse-title">${t("Charge point ID")}</h2>
      <p class="evse-id">${evse.evse_id}</p>
      <p>
        ${t("Check that this ID is the same as on the charge point's sticker. If it is not, please do not pay here.")}
      </p>
      <p class="muted">${connectorLine(evse.connector)}</p>
    </section>
    ${accountHere() ? html`<div id="contract"></div>` : ""}
    <section class="card" aria-labelledby="price-title">
      <h2 id="price-title">${t("Price")}</h2>
      ${priceCard(evse.price)}
    </section>
    ${
      evse.hold
        ? html`<section class="card" aria-labelledby="hold-title">
            <h2 id="hold-title">${t("Reserved amount")}</h2>
            <p class="figure">${evse.hold.amount}</p>
            <p>${evse.hold.explanation}</p>
          </section>`
        : ""
    }
    ${accountHere() ? "" : contractLogin(evse)} ${payForm(evse)} ${support(evse.operator)}
    <p>
      <a href="/c/${encodeURIComponent(evse.evse_id)}/problem">${t("Report a problem with this charge point")}</a>
    </p>`;
}

// Contract customers: log in to charge under the contract (and not pay here).
function contractLogin(evse) {
  const next = encodeURIComponent(`/c/${evse.evse_id}`);
  return html`<p class="contract-login">
    <a href="/login?next=${next}">${t("Customer with a charging contract? Log in")}</a>
  </p>`;
}

function contractCard(evse, offer) {
  const startable = evse.availability === "available";
  return html` <section class="card contract" aria-labelledby="contract-title">
    <h2 id="contract-title">${t("Charge with your contract")}</h2>
    <p class="muted">${offer.tariff_name}</p>
    ${offer.price ? priceCard(offer.price, { estimate: false }) : ""}
    ${
      startable
        ? html`<p>
              <button class="button primary" type="button" data-contract-start>
                ${t("Start charging with my contract")}
              </button>
            </p>
            <p class="muted">${t("No payment here: the session appears on your invoice.")}</p>`
        : ""
    }
    <p class="error" role="alert" data-contract-error></p>
  </section>`;
}

// Logged in on this device: the contract's price and a start without paying, loaded only
// then (the code for accounts is not part of an anonymous driver's first load).
async function showContract(evse, isCurrent) {
  const target = document.getElementById("contract");
  let account;
  let offer;
  try {
    account = await import("../account.js");
    offer = await account.contractPrice(evse.evse_id);
  } catch (problem) {
    // Logged out meanwhile (401), or a charge point of another operator: pay as anyone.
    if (isCurrent() && problem.status === 401) render(target, contractLogin(evse));
    return;
  }
  if (!isCurrent()) return;
  render(target, contractCard(evse, offer));
  const button = target.querySelector("[data-contract-start]");
  button?.addEventListener("click", async () => {
    const error = target.querySelector("[data-contract-error]");
    button.disabled = true;
    error.textContent = "";
    try {
      await account.startWithContract(evse.evse_id);
      go("/account");
    } catch (problem) {
      error.textContent = problem.message;
      button.disabled = false;
    }
  });
}

async function showEstimate(evseId, isCurrent) {
  try {
    const estimate = await getEstimate(evseId, ESTIMATE_KWH);
    const target = document.getElementById("estimate");
    if (!isCurrent() || !target) return;
    target.textContent = t("About {amount} for {energy}", {
      amount: money(estimate.amount_minor, estimate.currency),
      energy: kwh(estimate.energy_wh, 0),
    });
  } catch {
    // A nice-to-have: the price card above is complete without it.
  }
}

async function pay(evse, provider, email) {
  const evseId = evse.evse_id;
  const previous = currentAttempt(evseId);
  if (previous?.token && previous.provider !== provider && session(previous.token)?.state === "awaiting_payment") {
    // Another method now: release the unpaid hold of the first one at once.
    stopSession(previous.token).catch(() => {});
  }
  let attempt = attemptFor(evseId, provider);
  saveAttempt(attempt); // before asking: a lost answer and a second tap reuse the key
  const body = (key) => ({ provider, language: lang, email, client_key: key });
  let view = await startSession(evseId, body(attempt.clientKey));
  if (view.state === "failed" || view.state === "finished") {
    // The kept key belonged to an attempt that is over: this is a new one.
    forgetAttempt(evseId);
    attempt = attemptFor(evseId, provider);
    saveAttempt(attempt);
    view = await startSession(evseId, body(attempt.clientKey));
  }
  saveAttempt({ ...attempt, token: view.token });
  keepSession(view.token, {
    evseId,
    stationName: evse.station_name,
    place: [evse.place.name, evse.place.address].filter(Boolean).join(", "),
    operator: evse.operator.name,
    state: view.state,
    currency: view.currency,
    provider,
    email,
  });
  const redirect = view.state === "awaiting_payment" && view.payment?.redirect_url;
  if (redirect) location.assign(redirect);
  else go(`/s/${encodeURIComponent(view.token)}`);
}

function bindPayment(evse) {
  const form = document.getElementById("pay");
  if (!form) return;
  const error = document.getElementById("pay-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = form.email.value.trim();
    if (email && !form.email.checkValidity()) {
      error.textContent = t("Please check the e-mail address, or leave it empty.");
      form.email.focus();
      return;
    }
    const buttons = form.querySelectorAll("button");
    buttons.forEach((button) => (button.disabled = true));
    error.textContent = "";
    try {
      await pay(evse, event.submitter?.value || "stripe", email);
    } catch (problem) {
      error.textContent = problem.message;
      buttons.forEach((button) => (button.disabled = false));
    }
  });
}

export async function show({ main, params: [evseId], isCurrent }) {
  render(main, html`<p class="loading" role="status">${t("Loading the charge point…")}</p>`);
  let evse;
  try {
    evse = await evseFor(evseId);
  } catch (problem) {
    if (isCurrent()) renderScreen(main, problemNotice(problem));
    return;
  }
  if (!isCurrent()) return;
  applyBrand(evse.operator);
  keepBrand(evse.evse_id, evse.operator);
  pointManifestAt(evse.evse_id);
  document.title = `${evse.station_name} – ${evse.operator.name}`;
  renderScreen(main, page(evse));
  bindPayment(evse);
  if (evse.price) showEstimate(evse.evse_id, isCurrent);
  if (accountHere()) showContract(evse, isCurrent);
}
