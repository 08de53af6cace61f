// Reporting a problem at a charge point (/c/{EVSE ID}/problem): what is wrong, a few words,
// a photo if it helps, and how the operator can answer. No account needed.

import { request } from "../api.js";
import { html, renderScreen } from "../html.js";
import { lang, t } from "../i18n.js";
import { go } from "../router.js";
import { activeSession, keepReport } from "../store.js";

const KINDS = [
  ["wont_start", () => t("The charge point does not start")],
  ["cable_stuck", () => t("The cable is stuck")],
  ["damaged", () => t("Something is damaged")],
  ["price_wrong", () => t("The price is wrong")],
  ["other", () => t("Something else")],
];
// Phones take photos of several MB; a picture of 1600 px says all a technician needs.
const PHOTO_EDGE_PX = 1600;

async function shrunk(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, PHOTO_EDGE_PX / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve) => canvas.toBlob((blob) => resolve(blob || file), "image/jpeg", 0.8));
  } catch {
    return file; // the server checks it either way
  }
}

async function sendPhoto(token, file) {
  const response = await fetch(`/api/support/tickets/${encodeURIComponent(token)}/photos?lang=${lang}`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: await shrunk(file),
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    throw new Error(problem?.title || t("The photo could not be sent."));
  }
}

function form(evseId) {
  const kind = ([value, label], index) =>
    html`<label class="choice"
      ><input type="radio" name="kind" value="${value}" ${index === 0 ? html`required` : ""} /> ${label()}</label
    >`;
  return html`<h1 tabindex="-1">${t("Report a problem")}</h1>
    <p class="muted">${t("Charge point")} <span class="evse-id small">${evseId}</span></p>
    <form id="problem" class="report">
      <fieldset>
        <legend>${t("What is wrong?")}</legend>
        ${KINDS.map(kind)}
      </fieldset>
      <label for="problem-text">${t("Describe it in a few words (optional)")}</label>
      <textarea id="problem-text" name="description" rows="4" maxlength="2000"></textarea>
      <label for="problem-photo">${t("Photo (optional)")}</label>
      <input id="problem-photo" name="photo" type="file" accept="image/*" capture="environment" />
      <fieldset>
        <legend>${t("How can the operator answer you? (optional)")}</legend>
        <label for="problem-email">${t("E-mail")}</label>
        <input id="problem-email" name="email" type="email" autocomplete="email" inputmode="email" />
        <label for="problem-phone">${t("Phone")}</label>
        <input id="problem-phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" />
      </fieldset>
      <p><button class="button primary">${t("Send report")}</button></p>
      <p class="error" role="alert" id="problem-error"></p>
    </form>
    <p><a class="button secondary" href="/c/${encodeURIComponent(evseId)}">${t("Back to the charge point")}</a></p>`;
}

export function show({ main, params: [evseId] }) {
  document.title = t("Report a problem");
  renderScreen(main, form(evseId));
  const element = main.querySelector("#problem");
  const error = main.querySelector("#problem-error");
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!element.reportValidity()) return;
    const button = element.querySelector("button");
    button.disabled = true;
    error.textContent = "";
    const session = activeSession();
    const data = new FormData(element);
    let receipt;
    try {
      receipt = await request(`/api/evses/${encodeURIComponent(evseId)}/problems`, {
        method: "POST",
        body: {
          kind: data.get("kind"),
          description: data.get("description").trim(),
          contact_email: data.get("email").trim(),
          contact_phone: data.get("phone").trim(),
          language: lang,
          session_token: session && session.evseId === evseId ? session.token : null,
        },
      });
    } catch (problem) {
      error.textContent = problem.message;
      button.disabled = false;
      return;
    }
    keepReport(receipt.token, evseId);
    const photo = data.get("photo");
    let photoProblem = "";
    if (photo && photo.size) {
      try {
        await sendPhoto(receipt.token, photo);
      } catch (problem) {
        photoProblem = problem.message;
      }
    }
    sessionStorage.setItem("cpo.reported", JSON.stringify({ message: receipt.message, photoProblem }));
    go(`/t/${encodeURIComponent(receipt.token)}`, { replace: true });
  });
}
