// The account's passkeys (/account/passkeys): which devices may log in, when each was added
// and last used, adding one of this device, and removing one of a lost or sold device (the
// e-mail link still logs in without any).

import { addPasskey, passkeysWork, userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateOnly, dateTime, t } from "../i18n.js";

const listPasskeys = () => userRequest("/api/me/passkeys");
const removePasskey = (id) => userRequest(`/api/me/passkeys/${id}`, { method: "DELETE" });

function name(passkey) {
  return passkey.name || t("Passkey added on {date}", { date: dateOnly(passkey.created_at) });
}

function item(passkey) {
  const used = passkey.last_used_at
    ? t("Last used {date}", { date: dateTime(passkey.last_used_at) })
    : t("Not used yet");
  const facts = [t("Added {date}", { date: dateTime(passkey.created_at) }), used];
  if (passkey.backed_up) facts.push(t("Synced between your devices"));
  return html`<li class="card">
    <h2>${name(passkey)}</h2>
    <p class="muted">${facts.join(" · ")}</p>
    <p><button class="button secondary" type="button" data-remove="${passkey.id}">${t("Remove")}</button></p>
  </li>`;
}

function page(passkeys, message) {
  return html`<p class="links"><a href="/account">${t("Back to my account")}</a></p>
    <h1 tabindex="-1">${t("Passkeys")}</h1>
    <p>${t("A passkey logs you in on one device, or on all devices that share it. Remove the passkey of a device you no longer have.")}</p>
    ${
      passkeys.length
        ? html`<ul class="sessions">
            ${passkeys.map(item)}
          </ul>`
        : html`<p>${t("This account has no passkey. You log in with a link by e-mail.")}</p>`
    }
    ${passkeysWork() ? html`<p><button class="button primary" type="button" data-add>${t("Add a passkey of this device")}</button></p>` : ""}
    <p role="status" data-status>${message}</p>
    <dialog id="remove-dialog" aria-labelledby="remove-question">
      <form method="dialog">
        <h2 id="remove-question">${t("Remove this passkey?")}</h2>
        <p data-remove-name></p>
        <p>${t("The device it is on can no longer log you in with it.")}</p>
        <button class="button danger" value="remove">${t("Yes, remove it")}</button>
        <button class="button secondary" value="keep" autofocus>${t("Keep it")}</button>
      </form>
    </dialog>`;
}

export async function show({ main, isCurrent }) {
  let passkeys = await listPasskeys();
  if (!isCurrent()) return;

  const draw = (message = "") => {
    renderScreen(main, page(passkeys, message));
    bind();
  };

  const say = (message) => {
    main.querySelector("[data-status]").textContent = message;
  };

  function bind() {
    const dialog = main.querySelector("#remove-dialog");
    let chosen = null;
    for (const button of main.querySelectorAll("[data-remove]")) {
      button.addEventListener("click", () => {
        chosen = passkeys.find((passkey) => String(passkey.id) === button.dataset.remove);
        render(dialog.querySelector("[data-remove-name]"), name(chosen));
        dialog.showModal();
      });
    }
    dialog.addEventListener("close", async () => {
      if (dialog.returnValue !== "remove" || !chosen) return;
      try {
        await removePasskey(chosen.id);
        passkeys = await listPasskeys();
        if (isCurrent()) draw(t("The passkey is removed."));
      } catch (problem) {
        say(problem.message);
      }
    });
    const add = main.querySelector("[data-add]");
    add?.addEventListener("click", async () => {
      add.disabled = true;
      try {
        await addPasskey();
        passkeys = await listPasskeys();
        if (isCurrent()) draw(t("Your passkey is added. Next time, log in with it."));
      } catch (problem) {
        add.disabled = false;
        say(
          problem.name === "NotAllowedError" || problem.name === "AbortError"
            ? t("No passkey was added.")
            : problem.message || t("No passkey was added."),
        );
      }
    });
  }

  draw();
}
