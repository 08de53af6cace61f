// What the device remembers, in localStorage: the payment attempt per charge point, the
// driver's sessions with their receipts, operators' brands, and whether a contract customer
// is logged in (the login itself is an HttpOnly cookie).

const ATTEMPTS = "cpo.attempts";
const SESSIONS = "cpo.sessions";
const BRANDS = "cpo.brands";
const ACCOUNT = "cpo.account";
const REPORTS = "cpo.reports";
const MAX_REPORTS = 20;
const MAX_SESSIONS = 50;
// The platform gives up on an unpaid hold after 30 minutes; a key that old starts afresh.
const ATTEMPT_LIFETIME_MS = 30 * 60 * 1000;

function read(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled (private mode): the app works on, it only forgets.
  }
}

// One attempt to pay at a charge point keeps its client key, so that a second tap or a
// reload returns the same session and hold instead of reserving twice.
export function attemptFor(evseId, provider) {
  const kept = read(ATTEMPTS, {})[evseId];
  if (kept && kept.provider === provider && Date.now() - kept.createdAt < ATTEMPT_LIFETIME_MS) return kept;
  return { evseId, provider, clientKey: newKey(), createdAt: Date.now(), token: null };
}

// A key for an attempt the server must see once however often it is sent.
export function newKey() {
  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export const currentAttempt = (evseId) => read(ATTEMPTS, {})[evseId] || null;

export function saveAttempt(attempt) {
  write(ATTEMPTS, { ...read(ATTEMPTS, {}), [attempt.evseId]: attempt });
}

export function forgetAttempt(evseId) {
  const attempts = read(ATTEMPTS, {});
  delete attempts[evseId];
  write(ATTEMPTS, attempts);
}

export const sessions = () => read(SESSIONS, []);

export const session = (token) => sessions().find((entry) => entry.token === token) || null;

// Adds or updates a session (newest first), from the charger page or from a session view.
export function keepSession(token, details) {
  const all = sessions();
  const index = all.findIndex((entry) => entry.token === token);
  const entry = { ...(index >= 0 ? all[index] : { token, createdAt: new Date().toISOString() }), ...details };
  if (index >= 0) all.splice(index, 1);
  all.unshift(entry);
  write(SESSIONS, all.slice(0, MAX_SESSIONS));
  return entry;
}

// What a session view of the API (AdHocView) tells the list of sessions.
export function keepView(token, view) {
  const live = view.live;
  return keepSession(token, {
    evseId: view.evse_id,
    state: view.state,
    currency: view.currency,
    paymentMethod: view.payment_method,
    receiptToken: view.receipt_token,
    amountPaidMinor: view.amount_paid_minor,
    ...(live && {
      startedAt: live.started_at,
      energyWh: live.energy_wh,
      durationS: live.duration_s,
      costMinor: live.cost?.gross_minor ?? null,
    }),
  });
}

// Nothing will change any more: failed, or finished and paid for.
export const settled = (view) =>
  view.state === "failed" || (view.state === "finished" && view.amount_paid_minor !== null);

const ACTIVE = ["awaiting_payment", "starting", "charging", "stopping"];

// A session that still needs the driver: charging or starting (within a day), or being
// paid for (within the attempt's lifetime).
export function activeSession() {
  const age = (entry) => Date.now() - Date.parse(entry.createdAt);
  return (
    sessions().find((entry) =>
      entry.state === "awaiting_payment"
        ? age(entry) < ATTEMPT_LIFETIME_MS
        : ACTIVE.includes(entry.state) && age(entry) < 864e5,
    ) || null
  );
}

export const brandOf = (evseId) => read(BRANDS, {})[evseId] || null;

export function keepBrand(evseId, brand) {
  write(BRANDS, { ...read(BRANDS, {}), [evseId]: brand });
}

// Someone logged in on this device, as far as it knows (the server may have ended it).
export const accountHere = () => read(ACCOUNT, null);

export const keepAccount = (summary) => write(ACCOUNT, summary);

export const forgetAccount = () => localStorage.removeItem(ACCOUNT);

// Problems the driver reported from this device, newest first (the token opens each).
export const reports = () => read(REPORTS, []);

export function keepReport(token, evseId) {
  const kept = reports().filter((entry) => entry.token !== token);
  write(REPORTS, [{ token, evseId, createdAt: new Date().toISOString() }, ...kept].slice(0, MAX_REPORTS));
}
