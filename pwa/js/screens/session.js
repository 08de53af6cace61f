// A session (/s/{token}): from the payment step through charging to the receipt, following
// the platform live. The token in the path is the only key; the device keeps it.

import { confirmPayment, getEvse, getSession, stopSession, watchSession } from "../api.js";
import { applyBrand } from "../brand.js";
import { html, renderScreen } from "../html.js";
import { t } from "../i18n.js";
import { go } from "../router.js";
import {
  brandOf,
  currentAttempt,
  forgetAttempt,
  keepBrand,
  keepSession,
  keepView,
  session as keptSession,
  settled,
} from "../store.js";
import { showCharging, showStarting } from "./charging.js";
import { problemNotice } from "./offline.js";
import { showPayment } from "./payment.js";
import { showFailure, showReceipt } from "./receipt.js";

const PHASES = {
  pay: showPayment,
  confirming: showPayment,
  declined: showPayment,
  cancelled: showPayment,
  starting: showStarting,
  charging: showCharging,
  receipt: showReceipt,
  failed: showFailure,
};

function phaseOf(view, arrival) {
  switch (view.state) {
    case "awaiting_payment":
      if (view.message) return "declined";
      if (arrival.cancelled) return "cancelled";
      return arrival.returned ? "confirming" : "pay";
    case "starting":
      return "starting";
    case "charging":
    case "stopping":
      return "charging";
    case "finished":
      return "receipt";
    default:
      return "failed";
  }
}

function remember(token, view) {
  keepView(token, view);
  if (view.state !== "awaiting_payment" && currentAttempt(view.evse_id)?.token === token) {
    // Paid or over: the next tap on "pay" at this charge point is a new attempt.
    forgetAttempt(view.evse_id);
  }
}

async function showBrand(token, evseId) {
  const kept = brandOf(evseId);
  if (kept) return applyBrand(kept);
  try {
    // A link opened on another device: the brand and place come from the charge point.
    const evse = await getEvse(evseId);
    applyBrand(evse.operator);
    keepBrand(evseId, evse.operator);
    keepSession(token, { stationName: evse.station_name, operator: evse.operator.name });
  } catch {
    // The session works without its colours.
  }
}

// How the driver came back from a payment page: ?paid=1 (Stripe adds redirect_status)
// or ?cancelled=1. Read once, then dropped, so that a reload does not count again.
function arrivalFrom(search) {
  const query = new URLSearchParams(search);
  const failed = query.get("redirect_status") === "failed";
  return {
    returned: query.has("paid") && !failed,
    cancelled: query.has("cancelled") || failed,
    asked: query.has("paid"),
  };
}

export async function show({ main, params: [token], isCurrent }) {
  const arrival = arrivalFrom(location.search);
  if (location.search) history.replaceState(null, "", location.pathname);
  document.title = t("Your charging session");
  renderScreen(
    main,
    html`<h1 tabindex="-1">${t("Your charging session")}</h1>
      <p class="loading" role="status">${t("Loading…")}</p>`,
  );
  let view;
  try {
    // Back from paying: the platform asks the provider (it never trusts the browser).
    view = arrival.asked ? await confirmPayment(token) : await getSession(token);
  } catch (problem) {
    if (isCurrent()) renderScreen(main, problemNotice(problem));
    return undefined;
  }
  if (!isCurrent()) return undefined;
  showBrand(token, view.evse_id);

  let phase = null;
  let shown = null; // what the phase's renderer returned: { update(view), leave() }, both optional
  let unwatch = null;
  const actions = {
    token,
    kept: () => keptSession(token),
    async stop() {
      onView(await stopSession(token));
    },
    async chooseAnother(evseId) {
      // Leaving this attempt: release its hold now rather than after 30 minutes.
      await stopSession(token).catch(() => {});
      forgetAttempt(evseId);
      go(`/c/${encodeURIComponent(evseId)}`);
    },
    async paid() {
      onView(await confirmPayment(token));
    },
  };
  function onView(next) {
    if (!isCurrent()) return;
    view = next;
    remember(token, view);
    const nextPhase = phaseOf(view, arrival);
    if (nextPhase !== phase) {
      shown?.leave?.();
      phase = nextPhase;
      shown = PHASES[phase](main, view, actions, phase) || null;
    } else {
      shown?.update?.(view);
    }
    if (settled(view)) unwatch?.();
  }
  onView(view);
  if (!settled(view)) {
    unwatch = watchSession(token, {
      onView,
      onConnection: (ok) => main.querySelector("[data-connection]")?.toggleAttribute("hidden", ok),
    });
  }
  return () => {
    unwatch?.();
    shown?.leave?.();
  };
}
