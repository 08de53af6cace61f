// My cards (/account/cards): the RFID cards and app tokens of the contract the user may see,
// with status, holder, cost centre and last use. A lost card is blocked at once (after a
// confirmation): refused at the next charger, as when the operator blocks it. The user
// unblocks only what was blocked in the app; a card the operator blocked says whom to call.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateOnly, dateTime, t } from "../i18n.js";

const listCards = () => userRequest("/api/me/cards");
const setBlocked = (id, blocked) =>
  userRequest(`/api/me/cards/${id}/${blocked ? "block" : "unblock"}`, { method: "POST" });

const STATUS = {
  active: () => t("Active"),
  blocked: () => t("Blocked"),
  expired: () => t("Expired"),
};

export const cardName = (card) => card.label || card.uid;

function facts(card) {
  const shown = [t("Card number {uid}", { uid: card.uid })];
  if (card.holder_name) shown.push(t("Held by {name}", { name: card.holder_name }));
  if (card.cost_centre) shown.push(t("Cost centre {name}", { name: card.cost_centre }));
  shown.push(
    card.last_used_at ? t("Last used {date}", { date: dateTime(card.last_used_at) }) : t("Not used yet"),
  );
  if (card.expires_at) shown.push(t("Valid until {date}", { date: dateOnly(card.expires_at) }));
  return shown.join(" · ");
}

function status(card) {
  if (card.blocked_by === "customer") {
    return t("Blocked in the app on {date}", { date: dateTime(card.blocked_at) });
  }
  return STATUS[card.status]?.() || card.status;
}

function item(card) {
  return html`<li class="card" data-card="${card.uid}">
    <h2>${cardName(card)}</h2>
    <p><strong class="card-status card-${card.status}">${status(card)}</strong></p>
    <p class="muted">${facts(card)}</p>
    ${card.note ? html`<p class="notice">${card.note}</p>` : ""}
    ${
      card.may_block
        ? html`<p><button class="button danger" type="button" data-block="${card.id}">${t("Block this card")}</button></p>`
        : ""
    }
    ${
      card.may_unblock
        ? html`<p><button class="button secondary" type="button" data-unblock="${card.id}">${t("Unblock this card")}</button></p>`
        : ""
    }
  </li>`;
}

function page(cards, message) {
  return html`<p class="links"><a href="/account">${t("Back to my account")}</a></p>
    <h1 tabindex="-1">${t("My cards")}</h1>
    <p>${t("Lost a card? Block it here: it is refused at every charge point at once, and nobody can charge on your contract with it.")}</p>
    ${
      cards.length
        ? html`<ul class="sessions">
            ${cards.map(item)}
          </ul>`
        : html`<p>${t("No cards or app tokens on this account.")}</p>`
    }
    <p role="status" data-status>${message}</p>
    <dialog id="block-dialog" aria-labelledby="block-question">
      <form method="dialog">
        <h2 id="block-question">${t("Block this card now?")}</h2>
        <p data-block-name></p>
        <p>${t("Every charge point refuses it from now on. If you find it again, you can unblock it here.")}</p>
        <button class="button danger" value="block">${t("Yes, block it")}</button>
        <button class="button secondary" value="keep" autofocus>${t("Cancel")}</button>
      </form>
    </dialog>`;
}

export async function show({ main, isCurrent }) {
  let cards = await listCards();
  if (!isCurrent()) return;

  const draw = (message = "") => {
    renderScreen(main, page(cards, message));
    bind();
  };

  async function change(id, blocked, done) {
    try {
      await setBlocked(id, blocked);
      cards = await listCards();
      if (isCurrent()) draw(done);
    } catch (problem) {
      main.querySelector("[data-status]").textContent = problem.message;
    }
  }

  function bind() {
    const dialog = main.querySelector("#block-dialog");
    let chosen = null;
    for (const button of main.querySelectorAll("[data-block]")) {
      button.addEventListener("click", () => {
        chosen = cards.find((card) => String(card.id) === button.dataset.block);
        render(dialog.querySelector("[data-block-name]"), cardName(chosen));
        dialog.showModal();
      });
    }
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "block" && chosen) change(chosen.id, true, t("The card is blocked."));
    });
    for (const button of main.querySelectorAll("[data-unblock]")) {
      button.addEventListener("click", () => change(Number(button.dataset.unblock), false, t("The card works again.")));
    }
  }

  draw();
}
