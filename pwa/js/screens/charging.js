// Starting and charging: live kWh, power, duration and cost, and a big Stop button that
// asks before it stops.

import { html, render, renderScreen } from "../html.js";
import { duration, kw, kwh, money, t } from "../i18n.js";

export function showStarting(main, view, actions) {
  const paidWith = view.payment_method ? t("Paid with {method}", { method: view.payment_method }) : "";
  const cancel = stopControls({
    label: t("Cancel"),
    question: t("Cancel charging?"),
    explanation: t("Nothing is charged and the reserved amount is released."),
    yes: t("Yes, cancel"),
    no: t("Wait"),
  });
  renderScreen(
    main,
    html` <h1 tabindex="-1">${t("Starting the charge point")}</h1>
      <p class="figure">${t("Please plug the cable into your car.")}</p>
      <p role="status">${t("Your payment is confirmed. Charging starts as soon as the charge point reports it.")}</p>
      ${paidWith ? html`<p class="muted">${paidWith}</p>` : ""}
      <p class="muted" data-connection hidden>${t("Waiting for a connection…")}</p>
      ${cancel}`,
  );
  bindStop(main, actions);
  return null;
}

export function stopControls({ label, question, explanation, yes, no }) {
  return html` <p><button class="button danger stop" type="button" data-stop>${label}</button></p>
    <dialog id="stop-dialog" aria-labelledby="stop-question">
      <form method="dialog">
        <h2 id="stop-question">${question}</h2>
        <p>${explanation}</p>
        <button class="button danger" value="stop">${yes}</button>
        <button class="button secondary" value="keep" autofocus>${no}</button>
      </form>
    </dialog>
    <p class="error" role="alert" data-stop-error></p>`;
}

export function bindStop(main, actions) {
  const dialog = main.querySelector("#stop-dialog");
  const button = main.querySelector("[data-stop]");
  const error = main.querySelector("[data-stop-error]");
  button.addEventListener("click", () => dialog.showModal());
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "stop") return;
    button.disabled = true;
    error.textContent = "";
    try {
      await actions.stop();
    } catch (problem) {
      error.textContent = problem.message;
      button.disabled = false;
    }
  });
}

function figures(view, elapsedS) {
  const live = view.live || {};
  const cost = live.cost;
  return {
    energy: kwh(live.energy_wh || 0),
    power: live.power_w ? kw(Math.round(live.power_w)) : "–",
    duration: duration((live.duration_s || 0) + elapsedS),
    cost: cost ? money(cost.gross_minor, cost.currency) : "–",
  };
}

// The figures of a running session, filled in (and kept current) through data-live.
export function liveFigures() {
  return html`<dl class="live">
    <div class="wide">
      <dt>${t("Energy")}</dt>
      <dd data-live="energy" aria-live="polite"></dd>
    </div>
    <div>
      <dt>${t("Power")}</dt>
      <dd data-live="power"></dd>
    </div>
    <div>
      <dt>${t("Duration")}</dt>
      <dd data-live="duration"></dd>
    </div>
    <div class="wide">
      <dt>${t("Cost so far")}</dt>
      <dd data-live="cost" aria-live="polite"></dd>
    </div>
  </dl>`;
}

export function showCharging(main, view, actions) {
  const stop = stopControls({
    label: t("Stop charging"),
    question: t("Stop charging now?"),
    explanation: t("You pay for the energy charged so far; the rest of the reserved amount is released."),
    yes: t("Yes, stop charging"),
    no: t("Keep charging"),
  });
  renderScreen(
    main,
    html` <h1 tabindex="-1">${t("Charging in progress")}</h1>
      ${liveFigures()}
      <p class="muted">
        ${t("Reserved amount")}: ${view.hold}${view.payment_method ? ` · ${view.payment_method}` : ""}
      </p>
      <p role="status" data-state></p>
      <p class="muted" data-connection hidden>
        ${t("Updates are paused until the connection is back. Charging goes on.")}
      </p>
      ${stop}`,
  );
  bindStop(main, actions);
  let current = view;
  let receivedAt = Date.now();
  const fill = () => {
    // Between meter values the clock runs on here; a new value sets it right again.
    const elapsedS = current.state === "charging" ? (Date.now() - receivedAt) / 1000 : 0;
    for (const [name, text] of Object.entries(figures(current, elapsedS))) {
      const target = main.querySelector(`[data-live="${name}"]`);
      if (target && target.textContent !== text) target.textContent = text;
    }
    const stopping = current.state === "stopping";
    main.querySelector("[data-stop]").disabled ||= stopping;
    render(
      main.querySelector("[data-state]"),
      current.message || (stopping ? t("Stopping… The charge point is ending the session.") : ""),
    );
  };
  fill();
  const clock = setInterval(fill, 1000);
  return {
    update(next) {
      current = next;
      receivedAt = Date.now();
      fill();
    },
    leave() {
      clearInterval(clock);
    },
  };
}
