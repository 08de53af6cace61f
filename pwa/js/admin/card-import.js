// Importing cards from CSV (/admin/cards/import): choose a file, see what would change
// (new, changed with before and after, unchanged, invalid with the reasons), then apply it.
// A file with invalid rows is never applied: fix it and check again.

import { userRequest } from "../account.js";
import { html, renderScreen } from "../html.js";
import { t } from "../i18n.js";
import { isAdmin } from "./cards.js";
import { adminTable } from "./table.js";

// Larger files are split before importing (the API takes up to 4 million characters).
const MAX_CHARS = 4_000_000;

const REASONS = {
  uid_missing: () => t("The card number is missing."),
  uid_too_long: () => t("The card number is longer than 36 characters."),
  label_too_long: () => t("The label is longer than 200 characters."),
  expires_at_invalid: () => t("The expiry is not a date like 2027-12-31."),
  group_id_too_long: () => t("The group card is longer than 36 characters."),
  customer_group_too_long: () => t("The tariff group is longer than 64 characters."),
  customer_id_invalid: () => t("The customer number is not a number."),
  customer_unknown: () => t("There is no such customer."),
  duplicate_uid: () => t("The card appears twice in the file."),
  not_a_card: () => t("This is a roaming or one-time token, not one of your cards."),
};

const PROBLEMS = {
  empty_file: () => t("The file is empty."),
  not_csv: () => t("The file is not CSV."),
  uid_column_missing: () => t("The file has no uid column."),
  too_many_rows: () => t("The file has more than 5000 rows; split it."),
};

const FIELDS = {
  label: () => t("Label"),
  expires_at: () => t("Expires"),
  group_id: () => t("Group card (parent)"),
  customer_group: () => t("Tariff group"),
  customer_id: () => t("Customer number"),
};

function outcome(row) {
  if (row.outcome === "new") return t("New");
  if (row.outcome === "changed") return t("Changed");
  if (row.outcome === "invalid") return t("Invalid");
  return t("Unchanged");
}

const shown = (value) => (value === null || value === "" ? "–" : String(value));

function details(row) {
  if (row.outcome === "invalid") {
    return html`<ul>
      ${row.reasons.map((reason) => html`<li>${(REASONS[reason] || (() => reason))()}</li>`)}
    </ul>`;
  }
  const changes = Object.entries(row.changes);
  if (!changes.length) return "–";
  return html`<ul>
    ${changes.map(([field, change]) => {
      const name = (FIELDS[field] || (() => field))();
      return html`<li>${name}: ${shown(change.before)} → ${shown(change.after)}</li>`;
    })}
  </ul>`;
}

function reportRow(row) {
  return html`<tr class="import-${row.outcome}">
    <td>${row.line}</td>
    <td><code>${row.uid || "–"}</code></td>
    <td>${outcome(row)}</td>
    <td>${details(row)}</td>
  </tr>`;
}

function summary(report) {
  const counts = { new: report.new, changed: report.changed, unchanged: report.unchanged, invalid: report.invalid };
  const line = t("{new} new, {changed} changed, {unchanged} unchanged, {invalid} invalid", counts);
  const problems = report.problems.map((problem) => (PROBLEMS[problem] || (() => problem))());
  return html`<p><strong>${line}</strong></p>
    ${problems.length ? html`<ul class="error" role="alert">${problems.map((text) => html`<li>${text}</li>`)}</ul>` : ""}`;
}

function page(nav, admin) {
  const reportTable = adminTable({
    label: t("What would change"),
    columns: [t("Line"), t("Card number"), t("Result"), t("Details")],
    bodyId: "import-rows",
  });
  const help = t(
    "Columns: uid (required), label, expires_at, group_id, customer_group, customer_id. A column you leave out stays as it is; an empty cell clears the field. An export of your cards imports again unchanged.",
  );
  return html`${nav}
    <p><a href="/admin/cards">${t("All cards")}</a></p>
    <h1 tabindex="-1">${t("Import cards from CSV")}</h1>
    <p>${help}</p>
    <form class="admin-form" id="import-form">
      <label for="import-file">${t("CSV file")}</label>
      <input id="import-file" name="file" type="file" accept=".csv,text/csv" required />
      <button class="button secondary">${t("Check the file (dry run)")}</button>
    </form>
    <p role="status" id="import-status"></p>
    <section id="import-report" hidden aria-labelledby="import-report-title">
      <h2 id="import-report-title">${t("What would change")}</h2>
      <div id="import-summary"></div>
      ${reportTable}
      ${admin
        ? html`<button class="button primary" type="button" id="import-apply" disabled>${t("Import these changes")}</button>`
        : html`<p>${t("Only an operator admin can import cards.")}</p>`}
    </section>`;
}

export async function show({ main, nav, account, isCurrent }) {
  renderScreen(main, page(nav, isAdmin(account)));
  const status = main.querySelector("#import-status");
  const apply = main.querySelector("#import-apply");
  let text = "";

  const showReport = (report) => {
    main.querySelector("#import-report").hidden = false;
    main.querySelector("#import-summary").innerHTML = summary(report).toString();
    main.querySelector("#import-rows").innerHTML = html`${report.rows.map(reportRow)}`.toString();
    if (apply) apply.disabled = report.invalid > 0 || report.problems.length > 0 || report.new + report.changed === 0;
  };

  main.querySelector("#import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const [file] = event.target.file.files;
    if (!file) return;
    text = await file.text();
    if (text.length > MAX_CHARS) {
      status.textContent = t("The file is too large; split it.");
      return;
    }
    status.textContent = t("Checking…");
    try {
      const report = await userRequest("/api/admin/cards/import/dry-run", { method: "POST", body: { csv: text } });
      if (!isCurrent()) return;
      showReport(report);
      status.textContent = t("Checked. Nothing has been changed yet.");
    } catch (problem) {
      status.textContent = problem.message;
    }
  });
  apply?.addEventListener("click", async () => {
    apply.disabled = true;
    try {
      const report = await userRequest("/api/admin/cards/import", { method: "POST", body: { csv: text } });
      if (!isCurrent()) return;
      showReport(report);
      apply.disabled = true;
      const counts = { new: report.new, changed: report.changed };
      status.textContent = t("Imported: {new} new and {changed} changed cards.", counts);
    } catch (problem) {
      status.textContent = problem.message;
      apply.disabled = false;
    }
  });
}
