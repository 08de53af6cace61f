// Stripe's Payment Element and Express Checkout Element (Apple Pay, Google Pay) for a live
// Stripe account. Stripe.js is loaded here, on the payment step only, so that the price
// never waits for it. Card data goes from these frames to Stripe, never to us.

let loading = null;

// Also what the account's payment section uses to save a card or bank account.
export function loadStripe() {
  loading ||= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "https://js.stripe.com/v3";
    script.onload = () => resolve(window.Stripe);
    script.onerror = () => {
      loading = null;
      reject(new Error("Stripe.js did not load"));
    };
    document.head.append(script);
  });
  return loading;
}

export async function mountStripe({ step, token, lang, onPaid, onError }) {
  const Stripe = await loadStripe();
  const stripe = Stripe(step.publishable_key, { locale: lang });
  const brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim();
  const elements = stripe.elements({
    clientSecret: step.client_secret,
    appearance: { variables: { colorPrimary: brand } },
  });
  // 3-D Secure and wallets that redirect come back here; the session page confirms.
  const returnUrl = `${location.origin}/s/${encodeURIComponent(token)}?paid=1`;

  async function confirm() {
    const { error } = await stripe.confirmPayment({
      elements,
      confirmParams: { return_url: returnUrl },
      redirect: "if_required",
    });
    // A declined card: Stripe's own words; the driver may try another card at once.
    if (error) onError(error.message);
    else onPaid();
  }

  const express = elements.create("expressCheckout");
  express.on("confirm", confirm);
  express.mount("#stripe-express");
  // The wallets are offered above already.
  elements.create("payment", { wallets: { applePay: "never", googlePay: "never" } }).mount("#stripe-payment");
  const form = document.getElementById("stripe-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    onError("");
    await confirm();
    button.disabled = false;
  });
}
