// Contract customers: logging in (passkey, or a link by e-mail), the account and charging
// under the contract. The login lives in an HttpOnly cookie the app never sees; the device
// only remembers *that* someone is logged in (to offer the contract at a charger without
// asking the server first) and, in memory, the CSRF token every change must carry.

import { ApiError, request } from "./api.js";
import { lang } from "./i18n.js";
import { forgetAccount, keepAccount } from "./store.js";

const NEXT = "cpo.next";
const PENDING_START = "cpo.pendingStart";
// A RemoteStart the charger accepted but has not reported as started: shown as "starting"
// for this long, then as "did not start".
export const START_WAIT_MS = 3 * 60 * 1000;

let csrfToken = "";

function remember(me) {
  csrfToken = me.csrf_token;
  keepAccount({ name: me.user.display_name, operator: me.operator.slug });
  return me;
}

function forget() {
  csrfToken = "";
  forgetAccount();
}

// A 401 means the login is over: the device stops offering the contract.
async function asUser(path, options = {}) {
  try {
    return await request(path, options);
  } catch (problem) {
    if (problem instanceof ApiError && problem.status === 401) forget();
    throw problem;
  }
}

async function change(path, body = {}, method = "POST") {
  if (!csrfToken) await me();
  return asUser(path, { method, body, headers: { "X-CSRF-Token": csrfToken } });
}

// The API as the logged-in user (the account's sections, admin mode): reads as they are,
// changes with the CSRF token.
export function userRequest(path, { method = "GET", body } = {}) {
  return method === "GET" ? asUser(path) : change(path, body, method);
}

const OPERATOR_ROLES = ["operator_staff", "operator_admin", "platform_admin"];

export const isOperatorUser = (account) => OPERATOR_ROLES.includes(account?.user?.role);

export const me = async () => remember(await asUser("/api/me/"));

export async function requestLink(email) {
  await request("/api/auth/email-link", { method: "POST", body: { email, language: lang } });
}

export const redeemLink = async (token) =>
  remember(await request("/api/auth/email-link/redeem", { method: "POST", body: { token } }));

export async function logout() {
  await request("/api/auth/logout", { method: "POST", headers: { "X-CSRF-Token": csrfToken } }).catch(() => {});
  forget();
}

// --- passkeys (WebAuthn): the API speaks the JSON form, base64url for binary fields ---------

export const passkeysWork = () => "PublicKeyCredential" in window && !!navigator.credentials;

function bytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
}

function base64url(buffer) {
  const text = String.fromCharCode(...new Uint8Array(buffer));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const withIds = (list) => (list || []).map((entry) => ({ ...entry, id: bytes(entry.id) }));

function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: bytes(json.challenge),
    user: { ...json.user, id: bytes(json.user.id) },
    excludeCredentials: withIds(json.excludeCredentials),
  };
}

function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: bytes(json.challenge), allowCredentials: withIds(json.allowCredentials) };
}

function credentialJson(credential) {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const { response } = credential;
  const encoded = { clientDataJSON: base64url(response.clientDataJSON) };
  if (response.attestationObject) {
    encoded.attestationObject = base64url(response.attestationObject);
    encoded.transports = response.getTransports?.() || [];
  } else {
    encoded.authenticatorData = base64url(response.authenticatorData);
    encoded.signature = base64url(response.signature);
    if (response.userHandle) encoded.userHandle = base64url(response.userHandle);
  }
  return {
    id: credential.id,
    rawId: base64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || null,
    response: encoded,
    clientExtensionResults: credential.getClientExtensionResults?.() || {},
  };
}

export async function loginWithPasskey() {
  const ceremony = await request("/api/auth/passkeys/login-options", { method: "POST", body: {} });
  const credential = await navigator.credentials.get({ publicKey: requestOptions(ceremony.options) });
  return remember(
    await request("/api/auth/passkeys/login", {
      method: "POST",
      body: { ceremony_id: ceremony.ceremony_id, credential: credentialJson(credential) },
    }),
  );
}

export async function addPasskey() {
  const ceremony = await change("/api/auth/passkeys/register-options");
  const credential = await navigator.credentials.create({ publicKey: creationOptions(ceremony.options) });
  return change("/api/auth/passkeys/register", {
    ceremony_id: ceremony.ceremony_id,
    credential: credentialJson(credential),
  });
}

// --- charging under the contract ---------------------------------------------------------

const evsePath = (evseId) => encodeURIComponent(evseId);

export const contractPrice = (evseId) => asUser(`/api/me/evses/${evsePath(evseId)}/price?lang=${lang}`);

export async function startWithContract(evseId) {
  const started = await change(`/api/evses/${evsePath(evseId)}/contract-sessions?lang=${lang}`);
  sessionStorage.setItem(PENDING_START, JSON.stringify({ evseId: started.evse_id, at: Date.now() }));
  return started;
}

// The start asked for and not yet seen as a session (see START_WAIT_MS).
export function pendingStart() {
  try {
    return JSON.parse(sessionStorage.getItem(PENDING_START));
  } catch {
    return null;
  }
}

export const endPendingStart = () => sessionStorage.removeItem(PENDING_START);

export const mySessions = () => asUser(`/api/me/sessions?limit=20&lang=${lang}`);

export const stopMySession = (id) => change(`/api/me/sessions/${id}/stop?lang=${lang}`);

export const myInvoices = () => asUser(`/api/me/invoices?lang=${lang}`);

// --- where to go after logging in --------------------------------------------------------

// Only the app's own paths: a crafted ?next= must not send anyone elsewhere.
const ownPath = (path) => (/^\/(?![/\\])/.test(path || "") ? path : null);

export function rememberNext(path) {
  const own = ownPath(path);
  // localStorage: the link from the e-mail usually opens in a new tab.
  if (own) localStorage.setItem(NEXT, own);
}

// Where a login leads: where the user was going, else their home (admin mode for staff).
export function takeNext(account) {
  const next = ownPath(localStorage.getItem(NEXT));
  localStorage.removeItem(NEXT);
  return next || (isOperatorUser(account) ? "/admin" : "/account");
}
