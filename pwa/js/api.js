// The one way to the platform's JSON API: answers in the driver's language, and failures
// as ApiError with a sentence the driver can act on (RFC 9457 problem details → title).

import { lang, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(message, { status = 0, code = "network" } = {}) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Problems whose title is meant for developers, not drivers: say it in plain words.
const PLAIN_WORDS = {
  evse_not_found: () =>
    t("We could not find this charge point. Please check the ID on the sticker or scan the QR code again."),
  session_not_found: () => t("We could not find this charging session. Please open the link from your receipt again."),
  payment_method_not_offered: () =>
    t("This payment method is not offered at this charge point. Please choose another one."),
  invalid_request: () => t("Something in your entry is not right. Please check it and try again."),
};

function problemMessage(status, problem) {
  const plain = PLAIN_WORDS[problem?.code];
  if (plain) return plain();
  if (problem?.title && status < 500 && status !== 404) return problem.title;
  if (status === 404) return t("We could not find what you were looking for.");
  return problem?.title || t("Something went wrong on our side. Please try again in a moment.");
}

export async function request(path, { method = "GET", body, signal, headers = {} } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      cache: "no-store",
      headers: body
        ? { "Content-Type": "application/json", Accept: "application/json", ...headers }
        : { Accept: "application/json", ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(t("No connection. Please check your mobile signal and try again."));
  }
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  throw new ApiError(problemMessage(response.status, data), {
    status: response.status,
    code: data?.code || `http_${response.status}`,
  });
}

const evsePath = (evseId) => `/api/evses/${encodeURIComponent(evseId)}`;
const sessionPath = (token) => `/api/sessions/${encodeURIComponent(token)}`;

export const getEvse = (evseId, signal) => request(`${evsePath(evseId)}?lang=${lang}`, { signal });

export const getEstimate = (evseId, energyKwh, signal) =>
  request(`${evsePath(evseId)}/estimate?energy_kwh=${energyKwh}&lang=${lang}`, { signal });

export const startSession = (evseId, body) => request(`${evsePath(evseId)}/sessions`, { method: "POST", body });

export const getSession = (token, signal) => request(`${sessionPath(token)}?lang=${lang}`, { signal });

export const confirmPayment = (token) => request(`${sessionPath(token)}/payment-confirmed`, { method: "POST" });

export const stopSession = (token) => request(`${sessionPath(token)}/stop`, { method: "POST" });

// Follows a session: server-sent events while they work (the first event is the current
// state; EventSource reconnects by itself), polling every 3 s when they do not.
// onView(view) gets every state, onConnection(ok) tells whether updates are arriving.
export function watchSession(token, { onView, onConnection }) {
  let source = null;
  let timer = 0;
  let stopped = false;

  const poll = async () => {
    try {
      onView(await getSession(token));
      onConnection(true);
    } catch {
      onConnection(false);
    }
    if (!stopped) timer = setTimeout(poll, 3000);
  };

  const listen = () => {
    source = new EventSource(`${sessionPath(token)}/events?lang=${lang}`);
    source.addEventListener("update", (event) => {
      onConnection(true);
      onView(JSON.parse(event.data));
    });
    source.addEventListener("error", () => {
      onConnection(false);
      if (source.readyState === EventSource.CLOSED && !stopped) {
        source = null;
        poll();
      }
    });
  };

  if ("EventSource" in window) listen();
  else poll();
  return () => {
    stopped = true;
    source?.close();
    clearTimeout(timer);
  };
}
