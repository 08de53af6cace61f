// Monthly reports (/admin/reports, /admin/reports/2026-10?version=2): the stored reports,
// making one now (admins), and a report with its charts — availability per station,
// revenue by payment kind, energy per day — each with the same numbers as a table.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateTime, kwh, lang, locale, money, t } from "../i18n.js";
import { go } from "../router.js";
import { barChart, columnChart } from "./charts.js";

const ADMIN_ROLES = ["operator_admin", "platform_admin"];

const percent = (value) =>
  value === null ? t("no data") : `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(value)}\u00a0%`;
const count = (value) => new Intl.NumberFormat(locale()).format(value);
const hours = (seconds) => `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(seconds / 3600)}\u00a0h`;

function lastMonth() {
  const now = new Date();
  const first = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${first.getFullYear()}-${String(first.getMonth() + 1).padStart(2, "0")}`;
}

function monthName(month) {
  const [year, number] = month.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { month: "long", year: "numeric" }).format(new Date(year, number - 1, 15));
}

function listRow(entry) {
  const link = `/admin/reports/${entry.month}?version=${entry.version}`;
  const state = entry.complete ? t("whole month") : t("month not over");
  const how = entry.trigger === "automatic" ? t("automatically at month end") : entry.generated_by;
  const pdfLabel = t("PDF of {month}, version {version}", { month: monthName(entry.month), version: entry.version });
  return html`<tr>
    <th scope="row"><a href="${link}">${monthName(entry.month)}</a></th>
    <td class="number">${entry.version}</td>
    <td>${dateTime(entry.generated_at)}</td>
    <td>${how}</td>
    <td>${state}</td>
    <td><a href="/api/admin/reports/${entry.month}/report.pdf?version=${entry.version}&lang=${lang}" download aria-label="${pdfLabel}">PDF</a></td>
  </tr>`;
}

// A month in the browser's time zone as the [from, to) the export endpoints take.
function monthPeriod(month) {
  const [year, number] = month.split("-").map(Number);
  const from = new Date(year, number - 1, 1).toISOString();
  const to = new Date(year, number, 1).toISOString();
  return new URLSearchParams({ date_from: from, date_to: to }).toString();
}

function exportLinks(month) {
  const query = monthPeriod(month);
  return html`<ul class="export-links">
    <li><a href="/api/admin/sessions.csv?${query}" download id="export-sessions">${t("Charging sessions (CSV)")}</a></li>
    <li><a href="/api/admin/cdrs.csv?${query}" download>${t("Charge detail records (CSV)")}</a></li>
    <li><a href="/api/admin/cdrs.csv?${query}&variant=de" download>${t("Charge detail records for German Excel (CSV)")}</a></li>
    <li><a href="/api/admin/audit/export.csv?${query}" download>${t("Audit log (CSV)")}</a></li>
  </ul>`;
}

function exportsSection() {
  return html`<section aria-labelledby="exports-heading">
    <h2 id="exports-heading">${t("Exports")}</h2>
    <div class="form-field">
      <label for="export-month">${t("Month to export")}</label>
      <input id="export-month" type="month" value="${lastMonth()}" />
    </div>
    <div id="export-links">${exportLinks(lastMonth())}</div>
  </section>`;
}

function listPage(nav, entries, isAdmin) {
  return html`${nav}
    <h1 tabindex="-1">${t("Reports")}</h1>
    <p>
      ${t("Each month's report is made automatically when the month is over. Reports never change; making one again adds a new version.")}
    </p>
    ${isAdmin
      ? html`<form class="admin-form" id="report-make" novalidate>
          <label for="report-month">${t("Month")}</label>
          <input id="report-month" name="month" type="month" required value="${lastMonth()}" />
          <button class="button primary">${t("Make report now")}</button>
          <p role="status" id="report-status"></p>
        </form>`
      : ""}
    <h2>${t("Stored reports")}</h2>
    ${entries.length
      ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t("Stored reports")}">
          <table class="admin-table">
            <caption class="visually-hidden">
              ${t("Stored reports")}
            </caption>
            <thead>
              <tr>
                <th scope="col">${t("Month")}</th>
                <th scope="col" class="number">${t("Version")}</th>
                <th scope="col">${t("Made")}</th>
                <th scope="col">${t("Made by")}</th>
                <th scope="col">${t("Covers")}</th>
                <th scope="col">${t("Download")}</th>
              </tr>
            </thead>
            <tbody>
              ${entries.map(listRow)}
            </tbody>
          </table>
        </div>`
      : html`<p>${t("No reports yet.")}</p>`}
    ${exportsSection()}`;
}

function figureList(figures, currency) {
  const items = [
    [t("Availability"), percent(figures.availability_percent)],
    [t("Sessions"), count(figures.sessions)],
    [t("Energy"), kwh(figures.energy_wh, 1)],
    [t("Revenue (incl. VAT)"), money(figures.revenue_total_minor, currency)],
    [t("Faults"), count(figures.faults)],
    [t("Time faulted"), hours(figures.fault_s)],
  ];
  return html`<dl class="figures">
    ${items.map(([term, value]) => html`<div><dt>${term}</dt><dd>${value}</dd></div>`)}
  </dl>`;
}

function table(caption, head, rows) {
  // Focusable, so that a table wider than the phone can be scrolled with the keyboard.
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${caption}">
    <table class="admin-table">
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${head.map((text, index) => html`<th scope="col" class="${index ? "number" : ""}">${text}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          ([first, ...rest]) =>
            html`<tr>
              <th scope="row">${first}</th>
              ${rest.map((cell) => html`<td class="number">${cell}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function availabilitySection(report) {
  const title = t("Availability per station");
  const lowest = [...report.stations]
    .filter((station) => station.figures.availability_percent !== null)
    .sort((a, b) => a.figures.availability_percent - b.figures.availability_percent)[0];
  const summary = lowest
    ? t("Lowest: {station} with {percent}.", { station: lowest.identity, percent: percent(lowest.figures.availability_percent) })
    : t("No station was observed in this month.");
  const bars = report.stations.map((station) => ({
    label: station.identity,
    value: station.figures.availability_percent ?? 0,
    text: percent(station.figures.availability_percent),
  }));
  const rows = report.stations.map((station) => [
    station.name ? `${station.identity} – ${station.name}` : station.identity,
    percent(station.figures.availability_percent),
    count(station.figures.sessions),
    kwh(station.figures.energy_wh, 1),
    money(station.figures.revenue_total_minor, report.currency),
    count(station.figures.faults),
    hours(station.figures.fault_s),
  ]);
  const head = [t("Station"), t("Availability"), t("Sessions"), t("Energy"), t("Revenue"), t("Faults"), t("Time faulted")];
  return html`<section aria-labelledby="availability-heading">
    <h2 id="availability-heading">${title}</h2>
    ${barChart({ title, summary, bars, max: 100 })} ${table(t("Stations"), head, rows)}
  </section>`;
}

function revenueSection(report) {
  const title = t("Revenue by payment kind");
  const revenue = report.totals.revenue;
  const kinds = [
    [t("Ad hoc"), revenue.ad_hoc_minor],
    [t("Contract"), revenue.contract_minor],
    [t("Roaming"), revenue.roaming_minor],
  ];
  const bars = kinds.map(([label, value]) => ({ label, value: Math.max(0, value), text: money(value, report.currency) }));
  const summary = t("Total {amount}.", { amount: money(report.totals.revenue_total_minor, report.currency) });
  const rows = kinds.map(([label, value]) => [label, money(value, report.currency)]);
  rows.push([t("Total"), money(report.totals.revenue_total_minor, report.currency)]);
  return html`<section aria-labelledby="revenue-heading">
    <h2 id="revenue-heading">${title}</h2>
    ${barChart({ title, summary, bars })} ${table(title, [t("Payment kind"), t("Revenue (incl. VAT)")], rows)}
  </section>`;
}

function energySection(report) {
  const title = t("Energy per day");
  const busiest = [...report.days].sort((a, b) => b.energy_wh - a.energy_wh)[0];
  const dayName = (day) => new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short" }).format(new Date(`${day}T12:00:00`));
  const summary = busiest && busiest.energy_wh > 0
    ? t("Most on {day}: {energy}.", { day: dayName(busiest.day), energy: kwh(busiest.energy_wh, 1) })
    : t("No energy charged in this month.");
  const columns = report.days.map((day) => ({ label: String(Number(day.day.slice(8))), value: day.energy_wh }));
  const rows = report.days.map((day) => [dayName(day.day), count(day.sessions), kwh(day.energy_wh, 1), money(day.revenue_minor, report.currency)]);
  const head = [t("Day"), t("Sessions"), t("Energy"), t("Revenue")];
  return html`<section aria-labelledby="energy-heading">
    <h2 id="energy-heading">${title}</h2>
    ${columnChart({ title, summary, columns })}
    <details>
      <summary>${t("Energy per day as a table")}</summary>
      ${table(title, head, rows)}
    </details>
  </section>`;
}

function reportPage(nav, stored) {
  const report = stored.report;
  const heading = t("Report for {month}", { month: monthName(report.month) });
  const made = t("Version {version}, made {at}", { version: stored.version, at: dateTime(stored.generated_at) });
  const pdf = `/api/admin/reports/${report.month}/report.pdf?version=${stored.version}&lang=${lang}`;
  return html`${nav}
    <p><a href="/admin/reports">${t("All reports")}</a></p>
    <h1 tabindex="-1">${heading}</h1>
    <p>${report.operator} · ${made}</p>
    ${report.complete ? "" : html`<p class="notice">${t("The month was not over when this report was made.")}</p>`}
    <p><a class="button secondary" href="${pdf}" download>${t("Download as PDF")}</a></p>
    <h2>${t("The whole network")}</h2>
    ${figureList(report.totals, report.currency)} ${revenueSection(report)} ${availabilitySection(report)}
    ${energySection(report)}
    <p class="hint">
      ${t("Availability: the share of each charge point's time in the month in which its station was connected and neither it nor the station had a fault.")}
    </p>`;
}

function problemPage(nav, problem) {
  return html`${nav}
    <h1 tabindex="-1">${t("Reports")}</h1>
    <p class="error" role="alert">${problem.message}</p>`;
}

async function showList({ main, nav, account, isCurrent }) {
  const isAdmin = ADMIN_ROLES.includes(account.user.role);
  let entries;
  try {
    entries = await userRequest("/api/admin/reports");
  } catch (problem) {
    if (isCurrent()) renderScreen(main, problemPage(nav, problem));
    return;
  }
  if (!isCurrent()) return;
  renderScreen(main, listPage(nav, entries, isAdmin));
  main.querySelector("#export-month").addEventListener("change", (event) => {
    if (/^\d{4}-\d{2}$/.test(event.target.value)) render(main.querySelector("#export-links"), exportLinks(event.target.value));
  });
  const form = main.querySelector("#report-make");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = main.querySelector("#report-status");
    const month = form.month.value;
    if (!/^\d{4}-\d{2}$/.test(month)) {
      status.textContent = t("Choose a month.");
      return;
    }
    status.textContent = t("Making the report…");
    try {
      const stored = await userRequest("/api/admin/reports", { method: "POST", body: { month } });
      if (isCurrent()) go(`/admin/reports/${stored.month}?version=${stored.version}`);
    } catch (problem) {
      status.textContent = problem.message;
    }
  });
}

async function showReport({ main, nav, month, isCurrent }) {
  const version = new URLSearchParams(location.search).get("version");
  let stored;
  try {
    stored = await userRequest(`/api/admin/reports/${encodeURIComponent(month)}${version ? `?version=${encodeURIComponent(version)}` : ""}`);
  } catch (problem) {
    if (isCurrent()) renderScreen(main, problemPage(nav, problem));
    return;
  }
  if (!isCurrent()) return;
  renderScreen(main, reportPage(nav, stored));
}

export async function show({ main, nav, account, rest, isCurrent }) {
  if (rest) await showReport({ main, nav, month: rest, isCurrent });
  else await showList({ main, nav, account, isCurrent });
  return undefined;
}
