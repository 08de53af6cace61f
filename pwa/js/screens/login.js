// Logging in as a contract customer (/login): with a passkey, or with a link by e-mail.
// /login/{token} is where that link leads: the token is redeemed once, then dropped from
// the address bar and the history.

import { loginWithPasskey, passkeysWork, redeemLink, rememberNext, requestLink, takeNext } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { t } from "../i18n.js";
import { go } from "../router.js";
import { problemNotice } from "./offline.js";

function page() {
  return html` <h1 tabindex="-1">${t("Log in")}</h1>
    <p>${t("For customers with a charging contract: charge without paying each time, and see your sessions.")}</p>
    ${
      passkeysWork()
        ? html`<section class="card" aria-labelledby="passkey-title">
            <h2 id="passkey-title">${t("With a passkey")}</h2>
            <p>${t("Use the fingerprint, face or screen lock of this device.")}</p>
            <p><button class="button primary" type="button" data-passkey>${t("Log in with a passkey")}</button></p>
            <p class="error" role="alert" data-passkey-error></p>
          </section>`
        : ""
    }
    <section class="card" aria-labelledby="link-title">
      <h2 id="link-title">${t("With a link by e-mail")}</h2>
      <form id="link-form" novalidate>
        <label for="login-email">${t("Your e-mail address")}</label>
        <input id="login-email" name="email" type="email" autocomplete="email" inputmode="email" required />
        <p><button class="button secondary">${t("Send me a login link")}</button></p>
        <p class="error" role="alert" data-link-error></p>
      </form>
    </section>
    <p class="muted">${t("No contract? You can pay by card or PayPal at every charge point without an account.")}</p>`;
}

function sent(email) {
  // Babel reads no object literal inside a template's ${…}: texts with values come first.
  const onItsWay = t("If {email} has an account, a login link is on its way. It works once, for 15 minutes.", {
    email,
  });
  return html` <h1 tabindex="-1">${t("Check your e-mail")}</h1>
    <p role="status">${onItsWay}</p>
    <p>${t("Open the link on this device. Nothing arrived? Check the spam folder, or try again in a minute.")}</p>
    <p><a class="button secondary" href="/login">${t("Back")}</a></p>`;
}

function bind(main) {
  const passkey = main.querySelector("[data-passkey]");
  passkey?.addEventListener("click", async () => {
    const error = main.querySelector("[data-passkey-error]");
    passkey.disabled = true;
    error.textContent = "";
    try {
      go(takeNext(await loginWithPasskey()), { replace: true });
    } catch (problem) {
      // The driver closed the device's dialog, or it found no passkey for this site.
      error.textContent =
        problem.name === "NotAllowedError" || problem.name === "AbortError"
          ? t("No passkey was used. Try again, or log in with a link by e-mail.")
          : problem.message;
      passkey.disabled = false;
    }
  });
  const form = main.querySelector("#link-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = main.querySelector("[data-link-error]");
    const email = form.email.value.trim();
    if (!email || !form.email.checkValidity()) {
      error.textContent = t("Please enter a valid e-mail address.");
      form.email.focus();
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    error.textContent = "";
    try {
      await requestLink(email);
      renderScreen(main, sent(email));
    } catch (problem) {
      error.textContent = problem.message;
      button.disabled = false;
    }
  });
}

async function redeem(main, token) {
  // Out of the address bar and the history at once: the link works only once anyway.
  history.replaceState(null, "", "/login");
  document.title = t("Log in");
  render(main, html`<p class="loading" role="status">${t("Logging you in…")}</p>`);
  let account;
  try {
    account = await redeemLink(token);
  } catch (problem) {
    renderScreen(
      main,
      problem.code === "network"
        ? problemNotice(problem)
        : html`<h1 tabindex="-1">${t("Log in")}</h1>
            <p class="error" role="alert">${problem.message}</p>
            <p><a class="button primary" href="/login">${t("Request a new link")}</a></p>`,
    );
    return;
  }
  go(takeNext(account), { replace: true });
}

export function show({ main, params: [token] }) {
  if (token) return redeem(main, token);
  rememberNext(new URLSearchParams(location.search).get("next"));
  document.title = t("Log in");
  renderScreen(main, page());
  bind(main);
  return undefined;
}
