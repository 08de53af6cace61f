// Stripe's Payment Element in setup mode, for a live Stripe account: the customer enters a
// card or a bank account (SEPA Direct Debit, with Stripe's own mandate wording) in Stripe's
// frames; Stripe.js confirms the SetupIntent and comes back to `return_url` when a bank asks
// for a redirect (3-D Secure), else it answers here. Card and bank data never reach us.

import { loadStripe } from "../screens/stripe.js";

export async function mountSetup({ step, lang, form, target, onSaved, onError }) {
  const Stripe = await loadStripe();
  const stripe = Stripe(step.publishable_key, { locale: lang });
  const brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim();
  const elements = stripe.elements({
    clientSecret: step.client_secret,
    appearance: { variables: { colorPrimary: brand } },
  });
  elements.create("payment").mount(target);
  // One handler: a form mounted again (the other kind) confirms only the newest setup.
  form.onsubmit = async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    onError("");
    const { error } = await stripe.confirmSetup({
      elements,
      confirmParams: { return_url: step.return_url },
      redirect: "if_required",
    });
    button.disabled = false;
    // A declined card: Stripe's own words; the customer may try another at once.
    if (error) onError(error.message);
    else onSaved();
  };
}
