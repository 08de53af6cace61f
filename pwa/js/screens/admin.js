// Admin mode (/admin/{section}/…): the operator's staff run their network in the same app.
// This screen checks the login (operator roles only), draws the sections' navigation and
// hands the rest of the path to the section's module in ../admin/.

import { isOperatorUser } from "../account.js";
import { html, renderScreen } from "../html.js";
import { t } from "../i18n.js";
import { openPart } from "../part.js";
import { go } from "../router.js";

// The sections, in the order of the navigation; `module` is the file in ../admin/, `roles`
// (when given) the only roles that see the section. The first opens at /admin.
export const SECTIONS = [
  { path: "dashboard", module: "dashboard", label: () => t("Dashboard") },
  { path: "stations", module: "stations", label: () => t("Stations") },
  { path: "faults", module: "faults", label: () => t("Faults") },
  { path: "support", module: "support", label: () => t("Drivers' reports") },
  { path: "customers", module: "customers", label: () => t("Customers") },
  { path: "invoices", module: "invoices", label: () => t("Invoices") },
  { path: "tariffs", module: "tariffs", label: () => t("Tariffs") },
  { path: "qr", module: "qr", label: () => t("QR codes") },
  { path: "reports", module: "reports", label: () => t("Reports") },
  { path: "audit", module: "audit", label: () => t("Audit log") },
  { path: "cards", module: "cards", label: () => t("RFID cards") },
  { path: "brand", module: "brand", label: () => t("Brand") },
  {
    path: "privacy",
    module: "privacy",
    label: () => t("Privacy requests"),
    roles: ["operator_admin", "platform_admin"],
  },
  { path: "operators", module: "operators", label: () => t("Operators"), roles: ["platform_admin"] },
];

const visibleTo = (account) => (section) => !section.roles || section.roles.includes(account.user.role);

function nav(current, account) {
  const link = (section) =>
    html`<a href="/admin/${section.path}" ${section === current ? html`aria-current="page"` : ""}
      >${section.label()}</a
    >`;
  return html`<nav class="admin-nav" aria-label="${t("Admin")}">${SECTIONS.filter(visibleTo(account)).map(link)}</nav>`;
}

export async function show({ main, params: [sectionPath, rest], isCurrent }) {
  const section = SECTIONS.find((candidate) => candidate.path === sectionPath);
  if (!section) {
    go(`/admin/${SECTIONS[0].path}`, { replace: true });
    return undefined;
  }
  const opened = await openPart({ main, isCurrent, part: "admin", load: () => import(`../admin/${section.module}.js`) });
  if (!opened) return undefined;
  const { account, module } = opened;
  if (!isOperatorUser(account) || !visibleTo(account)(section)) {
    renderScreen(
      main,
      html`<h1 tabindex="-1">${t("Admin")}</h1>
        <p class="error" role="alert">${t("You are not allowed to do this.")}</p>
        <p><a class="button primary" href="/account">${t("My account")}</a></p>`,
    );
    return undefined;
  }
  document.title = `${section.label()} – ${account.operator.name}`;
  return module.show({ main, nav: nav(section, account), account, rest: rest || "", isCurrent });
}
