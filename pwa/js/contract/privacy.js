// My data (/account/privacy): download everything the platform holds about the user (a JSON
// file), and ask the operator to erase the account — saying plainly, before anything is
// sent, what goes and what the law makes the operator keep.

import { userRequest } from "../account.js";
import { html, renderScreen } from "../html.js";
import { dateTime, lang, t } from "../i18n.js";

const KIND = { export: () => t("Download of my data"), deletion: () => t("Request to erase my account") };
const STATUS = { open: () => t("Waiting for the operator"), done: () => t("Done"), declined: () => t("Declined") };

function requestItem(request) {
  const when = dateTime(request.created_at);
  const status = STATUS[request.status]?.() || request.status;
  return html`<li>
    ${KIND[request.kind]?.() || request.kind} · ${when} · ${status}
    ${request.reason ? html`<br /><span class="muted">${request.reason}</span>` : ""}
  </li>`;
}

function page(account, requests, message) {
  const open = requests.find((request) => request.kind === "deletion" && request.status === "open");
  const operator = account.operator.name;
  return html`<p class="links"><a href="/account">${t("Back to my account")}</a></p>
    <h1 tabindex="-1">${t("My data")}</h1>
    <section class="card" aria-labelledby="download-title">
      <h2 id="download-title">${t("Download my data")}</h2>
      <p>${t("One file with everything we hold about you: your profile, cards, sessions and their amounts, invoices, passkeys, logins and reports.")}</p>
      <p><a class="button secondary" href="/api/me/data?lang=${lang}" download data-download>${t("Download my data")}</a></p>
    </section>
    <section class="card" aria-labelledby="erase-title">
      <h2 id="erase-title">${t("Erase my account")}</h2>
      <p>${t("{operator} erases your login, passkeys and app token, and removes your name and e-mail address.", { operator })}</p>
      <p>${t("What must be kept: your invoices and the records of your charging sessions stay for 10 years, as German tax law requires (§ 147 AO, § 14b UStG). They are used for nothing else.")}</p>
      ${
        open
          ? html`<p class="notice" data-open>${t("You asked on {date}. We will tell you by e-mail when it is done.", { date: dateTime(open.created_at) })}</p>`
          : html`<p><button class="button danger" type="button" data-erase>${t("Ask to erase my account")}</button></p>`
      }
    </section>
    <p role="status" data-status>${message}</p>
    ${
      requests.length
        ? html`<h2>${t("My requests")}</h2>
            <ul>
              ${requests.map(requestItem)}
            </ul>`
        : ""
    }
    <dialog id="erase-dialog" aria-labelledby="erase-question">
      <form method="dialog">
        <h2 id="erase-question">${t("Ask to erase your account?")}</h2>
        <p>${t("Once it is done you can no longer log in, and charging under your contract ends. Invoices and charging records stay for 10 years.")}</p>
        <button class="button danger" value="erase">${t("Yes, ask to erase it")}</button>
        <button class="button secondary" value="keep" autofocus>${t("Cancel")}</button>
      </form>
    </dialog>`;
}

export async function show({ main, account, isCurrent }) {
  let requests = await userRequest("/api/me/privacy-requests");
  if (!isCurrent()) return;

  const draw = (message = "") => {
    renderScreen(main, page(account, requests, message));
    bind();
  };

  function bind() {
    const dialog = main.querySelector("#erase-dialog");
    main.querySelector("[data-erase]")?.addEventListener("click", () => dialog.showModal());
    dialog.addEventListener("close", async () => {
      if (dialog.returnValue !== "erase") return;
      try {
        await userRequest("/api/me/deletion-request", { method: "POST" });
        requests = await userRequest("/api/me/privacy-requests");
        if (isCurrent()) draw(t("Your request has reached the operator. A confirmation is on its way by e-mail."));
      } catch (problem) {
        main.querySelector("[data-status]").textContent = problem.message;
      }
    });
  }

  draw();
}
