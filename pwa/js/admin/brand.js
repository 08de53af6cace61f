// The operator's brand and contacts (/admin/brand): what drivers see in the app and on
// receipts. Admins change it; staff read it.

import { userRequest } from "../account.js";
import { html, renderScreen } from "../html.js";
import { t } from "../i18n.js";

const FIELDS = [
  ["name", () => t("Name shown to drivers"), "text"],
  ["legal_name", () => t("Legal name (receipts)"), "text"],
  ["brand_primary_color", () => t("Main colour"), "color"],
  ["brand_accent_color", () => t("Accent colour"), "color"],
  ["logo_url", () => t("Logo (https address)"), "url"],
  ["support_email", () => t("Support e-mail"), "email"],
  ["support_phone", () => t("Support phone"), "tel"],
  ["website", () => t("Website"), "url"],
  ["street", () => t("Street"), "text"],
  ["postal_code", () => t("Postal code"), "text"],
  ["city", () => t("City"), "text"],
  ["vat_id", () => t("VAT ID"), "text"],
  ["commercial_register", () => t("Commercial register"), "text"],
];

function field(profile, editable) {
  return ([name, label, type]) =>
    html`<label for="brand-${name}">${label()}</label>
      <input
        id="brand-${name}"
        name="${name}"
        type="${type}"
        value="${profile[name] || ""}"
        ${editable ? "" : html`readonly`}
      />`;
}

function page(nav, profile, editable) {
  return html`${nav}
    <h1 tabindex="-1">${t("Brand")}</h1>
    <p class="muted">${profile.slug} · ${profile.country_code}*${profile.party_id} · ${profile.currency}</p>
    <form id="brand-form" class="report">
      ${FIELDS.map(field(profile, editable))}
      ${editable ? html`<p><button class="button primary">${t("Save")}</button></p>` : ""}
      <p role="status" id="brand-status"></p>
    </form>`;
}

export async function show({ main, nav, account, isCurrent }) {
  let profile;
  try {
    profile = await userRequest("/api/admin/operator");
  } catch (problem) {
    if (isCurrent())
      renderScreen(
        main,
        html`${nav}
          <p class="error" role="alert">${problem.message}</p>`,
      );
    return;
  }
  if (!isCurrent()) return;
  const editable = ["operator_admin", "platform_admin"].includes(account.user.role);
  renderScreen(main, page(nav, profile, editable));
  main.querySelector("#brand-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = main.querySelector("#brand-status");
    const form = new FormData(event.target);
    const body = Object.fromEntries(FIELDS.map(([name]) => [name, String(form.get(name) || "").trim()]));
    if (!body.name) delete body.name;
    try {
      await userRequest("/api/admin/operator", { method: "PATCH", body });
      status.textContent = t("Saved. Drivers see the change at their next visit.");
    } catch (problem) {
      status.textContent = problem.message;
    }
  });
}
