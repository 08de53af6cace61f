// The contract customer's account (/account): the session running now (live, with Stop),
// a start that is on its way, all sessions of the contract (app and card alike), passkeys,
// and logging out. Without a login it sends the driver to /login and back.
// The account's sections (/account/{section}) live in ../contract/: their modules and texts
// load when one is opened, so they never weigh on a driver's first visit.

import {
  START_WAIT_MS,
  addPasskey,
  endPendingStart,
  isOperatorUser,
  logout,
  me,
  myInvoices,
  mySessions,
  passkeysWork,
  pendingStart,
  stopMySession,
} from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateOnly, dateTime, duration, kw, kwh, lang, money, t } from "../i18n.js";
import { openPart } from "../part.js";
import { go } from "../router.js";
import { bindStop, liveFigures, stopControls } from "./charging.js";
import { problemNotice } from "./offline.js";

// While a session runs: a fresh look this often (the list is one small query).
const LIVE_POLL_MS = 2000;

// Who answers for the customer's money: a person, a company's fleet manager (a company's
// drivers only charge). The API decides; this only spares the others a link.
const paysForCustomer = (account) =>
  account.user.role === "fleet_manager" || account.customer?.kind === "person";

// The account's sections, in the order of the overview's list; `module` is the file in
// ../contract/, `roles` (when given) the only roles that see the section, `when` (when
// given) what else must hold for the account; `listed: false` for a section the overview
// links to from elsewhere.
export const SECTIONS = [
  { path: "cards", module: "cards", label: () => t("My cards") },
  { path: "fleet", module: "fleet", label: () => t("Fleet"), roles: ["fleet_manager"] },
  {
    path: "payment",
    module: "payment",
    label: () => t("Payment method"),
    roles: ["driver", "fleet_manager"],
    when: paysForCustomer,
  },
  { path: "privacy", module: "privacy", label: () => t("My data") },
  { path: "passkeys", module: "passkeys", label: () => t("Passkeys"), listed: false },
];

const visibleTo = (account) => (section) =>
  (!section.roles || section.roles.includes(account.user.role)) && (!section.when || section.when(account));

function sectionLinks(account) {
  const sections = SECTIONS.filter((section) => section.listed !== false && visibleTo(account)(section));
  if (!sections.length) return "";
  return html`<nav aria-label="${t("My account")}">
    <ul class="account-sections">
      ${sections.map((section) => html`<li><a href="/account/${section.path}">${section.label()}</a></li>`)}
    </ul>
  </nav>`;
}

async function showSection({ main, params: [path], isCurrent }) {
  const section = SECTIONS.find((candidate) => candidate.path === path);
  if (!section) {
    go("/account", { replace: true });
    return undefined;
  }
  const opened = await openPart({
    main,
    isCurrent,
    part: "contract",
    load: () => import(`../contract/${section.module}.js`),
  });
  if (!opened) return undefined;
  const { account, module } = opened;
  if (isOperatorUser(account)) {
    go("/admin", { replace: true });
    return undefined;
  }
  if (!visibleTo(account)(section)) {
    go("/account", { replace: true });
    return undefined;
  }
  document.title = section.label();
  return module.show({ main, account, isCurrent });
}

const STATES = {
  active: () => t("Charging"),
  completed: () => t("Finished"),
};

const VIA = {
  app: () => t("Started in the app"),
  card: () => t("Started with card {label}"),
};

function cost(session) {
  if (session.cost_minor === null || !session.currency) return "–";
  return money(session.cost_minor, session.currency);
}

function item(session) {
  const via = VIA[session.via]?.().replace("{label}", session.token_label) || "";
  const details = [kwh(session.energy_wh, 3), cost(session), STATES[session.state]?.() || ""];
  const receipt = session.receipt_token && `/r/${encodeURIComponent(session.receipt_token)}`;
  return html` <li class="card">
    <h3>${session.station_name || session.evse_id}</h3>
    <p class="muted">${session.started_at ? dateTime(session.started_at) : ""} · ${session.evse_id}</p>
    <p>${details.join(" · ")}</p>
    <p class="muted">${[via, session.tariff_name].filter(Boolean).join(" · ")}</p>
    ${receipt ? html`<p class="links"><a href="${receipt}" target="_blank" rel="noopener">${t("Receipt")}</a></p>` : ""}
  </li>`;
}

// What an invoice or credit note means for the customer now, in plain words.
function invoiceState(invoice) {
  const amount = money(Math.abs(invoice.balance_minor), invoice.currency);
  const due = dateOnly(invoice.due_at);
  if (invoice.kind === "credit_note") {
    if (invoice.paid_method === "offset") return t("Set off against invoice {number}.", { number: invoice.corrects_number });
    if (invoice.status === "paid") return t("Paid back to you.");
    return t("We pay {amount} back to you by {date}.", { amount, date: due });
  }
  if (invoice.status === "credited") return t("Cancelled by a credit note: nothing to pay.");
  if (invoice.status === "paid" && invoice.balance_minor < 0) return t("Paid. We pay {amount} back to you.", { amount });
  if (invoice.status === "paid") return t("Paid. Thank you!");
  if (invoice.status === "failed")
    return t("The payment did not go through. Please pay {amount} by bank transfer or contact us.", { amount });
  return t("Open: {amount} to pay by {date}.", { amount, date: due });
}

function invoiceItem(invoice) {
  const pdf = `/api/me/invoices/${invoice.id}/pdf?lang=${lang}`;
  const title = invoice.kind === "credit_note" ? t("Credit note {number}", { number: invoice.number }) : invoice.number;
  return html`<li class="card">
    <h3>${title} · ${invoice.period}</h3>
    <p>${money(invoice.gross_minor, invoice.currency)}</p>
    <p class="muted" data-invoice-state>${invoiceState(invoice)}</p>
    <p class="links">
      <a href="${pdf}" target="_blank" rel="noopener"
        >${invoice.kind === "credit_note" ? t("Credit note as PDF") : t("Invoice as PDF")}</a
      >
    </p>
  </li>`;
}

// Invoices are shown to whom they belong (a person, a company's fleet manager); a 403
// leaves the section hidden.
async function showInvoices(main, isCurrent, asked) {
  const invoices = await asked;
  if (!invoices) return;
  const section = main.querySelector("#invoices");
  if (!isCurrent() || !section) return;
  render(
    main.querySelector("#invoice-list"),
    invoices.length ? html`${invoices.map(invoiceItem)}` : html`<li>${t("No invoices yet.")}</li>`,
  );
  section.hidden = false;
}

function live(session) {
  const stop = stopControls({
    label: t("Stop charging"),
    question: t("Stop charging now?"),
    explanation: t("The session ends and appears on your next invoice."),
    yes: t("Yes, stop charging"),
    no: t("Keep charging"),
  });
  return html` <section class="card" aria-labelledby="live-title">
    <h2 id="live-title">${t("Charging in progress")}</h2>
    <p class="muted">${session.station_name} · ${session.evse_id}</p>
    ${liveFigures()}
    <p class="muted" data-connection hidden>
      ${t("Updates are paused until the connection is back. Charging goes on.")}
    </p>
    ${stop}
  </section>`;
}

function figures(session, elapsedS) {
  return {
    energy: kwh(session.energy_wh),
    power: session.power_w ? kw(Math.round(session.power_w)) : "–",
    duration: duration(session.duration_s + elapsedS),
    cost: cost(session),
  };
}

function starting(pending) {
  if (!pending) return "";
  if (Date.now() - pending.at > START_WAIT_MS) {
    const notStarted = t("The charge point {evse} did not start. Please check the cable and try again.", {
      evse: pending.evseId,
    });
    return html`<p class="notice" role="alert">
      ${notStarted} <a href="/c/${encodeURIComponent(pending.evseId)}">${t("Back to the charge point")}</a>
    </p>`;
  }
  const startingAt = t("Starting the charge point {evse}…", { evse: pending.evseId });
  return html`<section class="card" aria-labelledby="start-title">
    <h2 id="start-title">${startingAt}</h2>
    <p class="figure">${t("Please plug the cable into your car.")}</p>
    <p role="status">${t("Charging starts as soon as the charge point reports it.")}</p>
  </section>`;
}

function page(account, sessions, pending, passkeyMessage = "") {
  const running = sessions.find((session) => session.state === "active");
  // The running one is shown live above; a copy in the list would show old figures.
  const listed = sessions.filter((session) => session !== running);
  const greeting = t("Hello {name}", { name: account.user.display_name || account.user.email });
  const customer = account.customer ? account.customer.name : "";
  const passkeyCount = account.passkeys
    ? t("Passkeys of this account: {count}", { count: account.passkeys })
    : t("Log in faster next time: add a passkey of this device.");
  return html` <h1 tabindex="-1">${greeting}</h1>
    <p class="muted">${[customer, account.operator.name].filter(Boolean).join(" · ")}</p>
    ${running ? live(running) : starting(pending)}
    <p><a class="button ${running || pending ? "secondary" : "primary"}" href="/scan">${t("Start charging")}</a></p>
    ${sectionLinks(account)}
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">${t("Sessions of my contract")}</h2>
      ${
        listed.length
          ? html`<ul class="sessions">
              ${listed.map(item)}
            </ul>`
          : html`<p>${t("No sessions yet.")}</p>`
      }
    </section>
    <section aria-labelledby="invoices-title" id="invoices" hidden>
      <h2 id="invoices-title">${t("My invoices")}</h2>
      <ul class="sessions" id="invoice-list"></ul>
    </section>
    <section class="card" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">${t("Passkeys")}</h2>
      <p>${passkeyCount}</p>
      ${account.passkeys ? html`<p class="links"><a href="/account/passkeys">${t("Manage passkeys")}</a></p>` : ""}
      ${passkeysWork() ? html`<p><button class="button secondary" type="button" data-add-passkey>${t("Add a passkey")}</button></p>` : ""}
      <p role="status" data-passkey-status>${passkeyMessage}</p>
    </section>
    <p><button class="button secondary" type="button" data-logout>${t("Log out")}</button></p>`;
}

export async function show({ main, params = [], isCurrent }) {
  if (params[0]) return showSection({ main, params, isCurrent });
  document.title = t("My account");
  render(main, html`<p class="loading" role="status">${t("Loading…")}</p>`);
  let account;
  let sessions;
  try {
    // Both at once; operator staff have no sessions of their own and go to admin mode.
    const asked = mySessions().catch((problem) => problem);
    account = await me();
    if (isOperatorUser(account)) {
      if (isCurrent()) go("/admin", { replace: true });
      return undefined;
    }
    sessions = await asked;
    if (sessions instanceof Error) throw sessions;
  } catch (problem) {
    if (!isCurrent()) return undefined;
    if (problem.status === 401) {
      go("/login?next=/account", { replace: true });
      return undefined;
    }
    renderScreen(main, problemNotice(problem));
    return undefined;
  }
  if (!isCurrent()) return undefined;

  let timer = 0;
  let clock = 0;
  let shown = "";
  let receivedAt = Date.now();
  let current = sessions;

  const pendingNow = () => {
    const pending = pendingStart();
    if (pending && current.some((session) => session.evse_id === pending.evseId && session.state === "active")) {
      endPendingStart();
      return null;
    }
    return pending;
  };

  const fill = () => {
    const running = current.find((session) => session.state === "active");
    if (!running) return;
    const elapsedS = (Date.now() - receivedAt) / 1000;
    for (const [name, text] of Object.entries(figures(running, elapsedS))) {
      const target = main.querySelector(`[data-live="${name}"]`);
      if (target && target.textContent !== text) target.textContent = text;
    }
  };

  // What the page shows apart from live figures: a change of it redraws the page.
  const outline = () =>
    [current.map((session) => `${session.id}:${session.state}:${session.final}`).join(), !!pendingNow()].join("|");

  // Asked once per visit; redrawing the page fills them in again.
  const invoicesAsked = myInvoices().catch(() => null);
  const draw = (passkeyMessage = "") => {
    const running = current.find((session) => session.state === "active");
    renderScreen(main, page(account, current, pendingNow(), passkeyMessage));
    showInvoices(main, isCurrent, invoicesAsked);
    shown = outline();
    if (running) bindStop(main, { stop: () => stopMySession(running.id).then(refresh) });
    bind();
    fill();
  };

  const schedule = () => {
    clearTimeout(timer);
    const watching = current.some((session) => session.state === "active") || pendingNow();
    if (watching && isCurrent()) timer = setTimeout(refresh, LIVE_POLL_MS);
  };

  async function refresh() {
    try {
      current = await mySessions();
      receivedAt = Date.now();
      main.querySelector("[data-connection]")?.setAttribute("hidden", "");
    } catch {
      main.querySelector("[data-connection]")?.removeAttribute("hidden");
      schedule();
      return;
    }
    if (!isCurrent()) return;
    // Only a change of what is shown redraws; new figures just update in place.
    if (outline() !== shown && !main.querySelector("dialog[open]")) draw();
    else fill();
    schedule();
  }

  function bind() {
    main.querySelector("[data-logout]").addEventListener("click", async () => {
      await logout();
      go("/login", { replace: true });
    });
    const add = main.querySelector("[data-add-passkey]");
    add?.addEventListener("click", async () => {
      add.disabled = true;
      try {
        await addPasskey();
        account = await me();
        draw(t("Your passkey is added. Next time, log in with it."));
      } catch (problem) {
        const status = main.querySelector("[data-passkey-status]");
        status.textContent =
          problem.name === "NotAllowedError" || problem.name === "AbortError"
            ? t("No passkey was added.")
            : problem.message || t("No passkey was added.");
        add.disabled = false;
      }
    });
  }

  draw();
  clock = setInterval(fill, 1000);
  schedule();
  return () => {
    clearTimeout(timer);
    clearInterval(clock);
  };
}
