// The payment step of a session: pay (a provider's page, or Stripe's elements right
// here), waiting for the confirmation, a declined card, a cancelled payment.

import { html, renderScreen } from "../html.js";
import { lang, t } from "../i18n.js";

const TITLES = {
  pay: () => t("Pay to start charging"),
  confirming: () => t("Confirming your payment"),
  declined: () => t("Payment declined"),
  cancelled: () => t("Payment cancelled"),
};

// A live Stripe account sends no page to go to: its elements are shown here instead.
const usesStripeElements = (step) =>
  step?.provider === "stripe" && !step.redirect_url && step.client_secret && step.publishable_key;

function continueLabel(phase, step) {
  if (phase === "declined" && step.provider === "stripe") return t("Try another card");
  if (phase === "confirming") return t("Back to the payment page");
  return t("Continue to payment");
}

function payWith(phase, step) {
  if (!step) return "";
  if (usesStripeElements(step)) {
    return html` <div id="stripe-express"></div>
      <form id="stripe-form" class="pay">
        <div id="stripe-payment"></div>
        <button class="button primary">${t("Pay and start charging")}</button>
        <p class="error" id="stripe-error" role="alert"></p>
      </form>`;
  }
  const primary = phase === "confirming" ? "secondary" : "primary";
  return html`<p><a class="button ${primary}" href="${step.redirect_url}">${continueLabel(phase, step)}</a></p>`;
}

// What happened, in a sentence, above the ways to pay.
function note(phase, view) {
  if (phase === "declined") return html`<p class="error" role="alert">${view.message}</p>`;
  if (phase === "cancelled") return html`<p role="status">${t("You cancelled the payment. Nothing was charged.")}</p>`;
  if (phase !== "confirming") return "";
  return html`<p class="loading" role="status">${t("This takes a few seconds. Please keep this page open.")}</p>`;
}

export function showPayment(main, view, actions, phase) {
  renderScreen(
    main,
    html` <h1 tabindex="-1">${TITLES[phase]()}</h1>
      ${note(phase, view)}
      <p>${t("Reserved amount")}: <strong>${view.hold}</strong></p>
      ${payWith(phase, view.payment)}
      <p><button class="button secondary" type="button" data-another>${t("Choose another payment method")}</button></p>
      <p class="muted" data-connection hidden>${t("Waiting for a connection…")}</p>`,
  );
  main.querySelector("[data-another]").addEventListener("click", () => actions.chooseAnother(view.evse_id));
  if (usesStripeElements(view.payment)) mountStripe(view, actions);
  return null;
}

async function mountStripe(view, actions) {
  const error = document.getElementById("stripe-error");
  try {
    const { mountStripe: mount } = await import("./stripe.js");
    await mount({
      step: view.payment,
      token: actions.token,
      lang,
      onPaid: () => actions.paid(),
      onError: (text) => (error.textContent = text),
    });
  } catch {
    error.textContent = t("The card form could not be loaded. Please check your connection, or pay with PayPal.");
  }
}
