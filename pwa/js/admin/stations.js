// Stations (/admin/stations): the list (register a station, accept or reject a pending one)
// and a station's page (/admin/stations/{id}): its data and EVSEs (edited by admins),
// remote commands with the charger's answer, the OCPP message log and its faults.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateTime, locale, t } from "../i18n.js";
import {
  connectionBadge,
  connectorList,
  dataTable,
  faultHeaders,
  faultRow,
  handleFaultActions,
  isAdmin,
  registrationWord,
  stationTitle,
} from "./network.js";

// --- the list --------------------------------------------------------------------------

function siteOptions(sites, selected) {
  return html`<option value="">${t("No site")}</option>
    ${sites.map(
      (site) => html`<option value="${site.id}" ${site.id === selected ? "selected" : ""}>${site.name}</option>`,
    )}`;
}

function registrationCell(station, admin) {
  const word = registrationWord(station.registration_status);
  if (!admin || station.registration_status === "Accepted") return word;
  const label = stationTitle(station);
  const accept = t("Accept {station}", { station: label });
  const reject = t("Reject {station}", { station: label });
  return html`${word}
    <div class="actions">
      <button class="button primary small" type="button" data-decide="Accepted" data-station="${station.id}" aria-label="${accept}">
        ${t("Accept")}
      </button>
      ${station.registration_status === "Pending"
        ? html`<button class="button secondary small" type="button" data-decide="Rejected" data-station="${station.id}" aria-label="${reject}">
            ${t("Reject")}
          </button>`
        : ""}
    </div>`;
}

function stationRows(stations, admin) {
  return stations.map(
    (station) =>
      html`<tr>
        <td>
          <a href="/admin/stations/${station.id}">${stationTitle(station)}</a>
          <div class="muted"><code>${station.identity}</code></div>
        </td>
        <td>${station.site ? station.site.name : "–"}</td>
        <td>${registrationCell(station, admin)}</td>
        <td>${connectionBadge(station)}</td>
        <td>${connectorList(station)}</td>
        <td>${station.open_faults}</td>
      </tr>`,
  );
}

function registerForm(sites) {
  return html`<details class="card">
    <summary><h2 class="inline">${t("Register a station")}</h2></summary>
    <form id="register-form" class="form-grid">
      <label for="register-identity">${t("OCPP identity")}</label>
      <input id="register-identity" name="identity" required maxlength="48" autocomplete="off" />
      <label for="register-name">${t("Name")}</label>
      <input id="register-name" name="name" maxlength="200" />
      <label for="register-site">${t("Site")}</label>
      <select id="register-site" name="site">
        ${siteOptions(sites, null)}
      </select>
      <label for="register-evse">${t("EVSE ID (e.g. DE*ABC*E0001*1)")}</label>
      <input id="register-evse" name="evse" maxlength="48" autocomplete="off" />
      <label for="register-power">${t("Maximum power (kW)")}</label>
      <input id="register-power" name="power" type="number" min="0" max="1000" step="0.1" value="11" />
      <button class="button primary">${t("Register")}</button>
    </form>
    <div id="register-result" role="status"></div>
  </details>`;
}

async function showList({ main, nav, account, isCurrent }) {
  const admin = isAdmin(account);
  const [stations, sites] = await Promise.all([userRequest("/api/admin/stations"), userRequest("/api/admin/sites")]);
  if (!isCurrent()) return undefined;
  const table = dataTable({
    caption: t("Stations"),
    id: "stations-table",
    bodyId: "stations-rows",
    headers: [t("Station"), t("Site"), t("Registration"), t("Connection"), t("EVSEs and status"), t("Open faults")],
    rows: stationRows(stations, admin),
  });
  renderScreen(
    main,
    html`${nav}
      <h1 tabindex="-1">${t("Stations")}</h1>
      ${admin ? registerForm(sites) : ""}
      <p role="status" id="stations-status"></p>
      ${table}`,
  );
  const status = main.querySelector("#stations-status");
  const rows = main.querySelector("#stations-rows");
  const reload = async () => render(rows, stationRows(await userRequest("/api/admin/stations"), admin));
  rows.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-decide]");
    if (!button) return;
    button.disabled = true;
    try {
      const station = await userRequest(`/api/admin/stations/${button.dataset.station}/registration`, {
        method: "POST",
        body: { status: button.dataset.decide },
      });
      const word = registrationWord(station.registration_status);
      status.textContent = t("{station}: {status}", { station: stationTitle(station), status: word });
      await reload();
    } catch (problem) {
      status.textContent = problem.message;
      button.disabled = false;
    }
  });
  main.querySelector("#register-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const result = main.querySelector("#register-result");
    const evse = form.evse.value.trim();
    const body = {
      identity: form.identity.value.trim(),
      name: form.name.value.trim(),
      site_id: form.site.value ? Number(form.site.value) : null,
      evses: evse
        ? [{ evse_id: evse, ocpp_connector_id: 1, max_power_w: Math.round(Number(form.power.value || 0) * 1000) }]
        : [],
    };
    try {
      const registered = await userRequest("/api/admin/stations", { method: "POST", body });
      const intro = t("{station} is registered. Set this password as its AuthorizationKey now – it is shown only once:", {
        station: registered.station.identity,
      });
      render(
        result,
        html`<div class="notice">
          <p>${intro}</p>
          <p><code class="secret" id="register-password">${registered.password}</code></p>
        </div>`,
      );
      form.reset();
      await reload();
    } catch (problem) {
      render(result, html`<p class="error">${problem.message}</p>`);
    }
  });
  return undefined;
}

// --- a station's page ------------------------------------------------------------------

function dataList(station) {
  const lastSeen = station.last_seen_at ? dateTime(station.last_seen_at) : "–";
  const lastBoot = station.last_boot_at ? dateTime(station.last_boot_at) : "–";
  const model = [station.vendor, station.model].filter(Boolean).join(" ") || "–";
  return html`<dl class="facts">
    <div><dt>${t("OCPP identity")}</dt><dd><code>${station.identity}</code></dd></div>
    <div><dt>${t("Connection")}</dt><dd>${connectionBadge(station)}</dd></div>
    <div><dt>${t("Registration")}</dt><dd>${registrationWord(station.registration_status)}</dd></div>
    <div><dt>${t("Site")}</dt><dd>${station.site ? station.site.name : "–"}</dd></div>
    <div><dt>${t("Model")}</dt><dd>${model}</dd></div>
    <div><dt>${t("Firmware")}</dt><dd>${station.firmware_version || "–"}</dd></div>
    <div><dt>${t("Last seen")}</dt><dd>${lastSeen}</dd></div>
    <div><dt>${t("Last boot")}</dt><dd>${lastBoot}</dd></div>
    <div><dt>${t("EVSEs and status")}</dt><dd>${connectorList(station)}</dd></div>
  </dl>`;
}

function evseForm(evse) {
  const legend = t("EVSE {number}", { number: evse.ocpp_connector_id });
  return html`<form class="form-grid evse-form" data-evse="${evse.id}">
        <fieldset>
          <legend>${legend}</legend>
          <label for="evse-id-${evse.id}">${t("EVSE ID (e.g. DE*ABC*E0001*1)")}</label>
          <input id="evse-id-${evse.id}" name="evse_id" maxlength="48" value="${evse.evse_id}" />
          <label for="evse-power-${evse.id}">${t("Maximum power (kW)")}</label>
          <input id="evse-power-${evse.id}" name="power" type="number" min="0" max="1000" step="0.1" value="${evse.max_power_w / 1000}" />
          <label for="evse-phases-${evse.id}">${t("Phases")}</label>
          <select id="evse-phases-${evse.id}" name="phases">
            ${[1, 2, 3].map((n) => html`<option value="${n}" ${n === evse.phases ? "selected" : ""}>${n}</option>`)}
          </select>
          <button class="button primary">${t("Save EVSE")}</button>
        </fieldset>
      </form>`;
}

function editForms(station, sites) {
  return html`<details class="card">
    <summary><h2 class="inline">${t("Edit station and EVSEs")}</h2></summary>
    <form id="station-form" class="form-grid">
      <label for="station-name">${t("Name")}</label>
      <input id="station-name" name="name" maxlength="200" value="${station.name}" />
      <label for="station-site">${t("Site")}</label>
      <select id="station-site" name="site">
        ${siteOptions(sites, station.site?.id ?? null)}
      </select>
      <button class="button primary">${t("Save station")}</button>
    </form>
    ${station.site ? siteForm(station.site) : ""}
    ${station.evses.map((evse) => evseForm(evse))}
    <p role="status" id="edit-status"></p>
  </details>`;
}

function siteForm(site) {
  const legend = t("Site: {name}", { name: site.name });
  return html`<form class="form-grid" id="site-form" data-site="${site.id}">
    <fieldset>
      <legend>${legend}</legend>
      <label for="site-name">${t("Name")}</label>
      <input id="site-name" name="name" required maxlength="200" value="${site.name}" />
      <label for="site-street">${t("Street")}</label>
      <input id="site-street" name="street" maxlength="200" autocomplete="off" value="${site.street}" />
      <label for="site-postal-code">${t("Postal code")}</label>
      <input id="site-postal-code" name="postal_code" maxlength="20" autocomplete="off" value="${site.postal_code}" />
      <label for="site-city">${t("City")}</label>
      <input id="site-city" name="city" maxlength="100" autocomplete="off" value="${site.city}" />
      <label for="site-time-zone">${t("Time zone (e.g. Europe/Berlin)")}</label>
      <input id="site-time-zone" name="time_zone" maxlength="64" value="${site.time_zone}" />
      <button class="button primary">${t("Save site")}</button>
    </fieldset>
  </form>`;
}

const TRIGGERABLE = ["BootNotification", "Heartbeat", "MeterValues", "StatusNotification"];

function commandForm() {
  return html`<form id="command-form" class="form-grid">
      <label for="command-type">${t("Command")}</label>
      <select id="command-type" name="type">
        <option value="reset-soft">${t("Reset (soft)")}</option>
        <option value="reset-hard">${t("Reset (hard)")}</option>
        <option value="unlock_connector">${t("Unlock connector")}</option>
        <option value="change_availability">${t("Change availability")}</option>
        <option value="remote_start">${t("Start charging for a card")}</option>
        <option value="remote_stop">${t("Stop a session")}</option>
        <option value="trigger_message">${t("Trigger a message")}</option>
        <option value="get_configuration">${t("Read the configuration")}</option>
        <option value="change_configuration">${t("Change a configuration key")}</option>
      </select>
      <div data-for="unlock_connector change_availability remote_start trigger_message" hidden>
        <label for="command-connector">${t("Connector (0: the whole station)")}</label>
        <input id="command-connector" name="connector" type="number" min="0" max="99" value="1" />
      </div>
      <div data-for="change_availability" hidden>
        <label for="command-operative">${t("Availability")}</label>
        <select id="command-operative" name="operative">
          <option value="true">${t("Operative")}</option>
          <option value="false">${t("Inoperative")}</option>
        </select>
      </div>
      <div data-for="remote_start" hidden>
        <label for="command-id-tag">${t("Card (id tag)")}</label>
        <input id="command-id-tag" name="id_tag" maxlength="20" autocomplete="off" />
      </div>
      <div data-for="remote_stop" hidden>
        <label for="command-transaction">${t("Session")}</label>
        <select id="command-transaction" name="transaction"></select>
      </div>
      <div data-for="trigger_message" hidden>
        <label for="command-message">${t("Message")}</label>
        <select id="command-message" name="message">
          ${TRIGGERABLE.map((name) => html`<option>${name}</option>`)}
        </select>
      </div>
      <div data-for="get_configuration change_configuration" hidden>
        <label for="command-key">${t("Configuration key (empty: all)")}</label>
        <input id="command-key" name="key" maxlength="50" autocomplete="off" />
      </div>
      <div data-for="change_configuration" hidden>
        <label for="command-value">${t("New value")}</label>
        <input id="command-value" name="value" maxlength="500" autocomplete="off" />
      </div>
      <button class="button primary" id="command-send">${t("Send command")}</button>
    </form>
    <div id="command-result" role="status" aria-live="polite"></div>`;
}

function commandBody(form) {
  const type = form.type.value;
  const connector = Number(form.connector.value || 0);
  switch (type) {
    case "reset-soft":
      return { type: "reset", kind: "Soft" };
    case "reset-hard":
      return { type: "reset", kind: "Hard" };
    case "unlock_connector":
      return { type, connector_id: connector };
    case "change_availability":
      return { type, connector_id: connector, operative: form.operative.value === "true" };
    case "remote_start":
      return { type, id_tag: form.id_tag.value.trim(), connector_id: connector || null };
    case "remote_stop":
      return { type, transaction_id: form.transaction.value };
    case "trigger_message":
      return { type, message: form.message.value, connector_id: connector || null };
    case "get_configuration":
      return { type, keys: form.key.value.trim() ? [form.key.value.trim()] : [] };
    default:
      return { type, key: form.key.value.trim(), value: form.value.value };
  }
}

const ERROR_WORDS = {
  charger_unavailable: () => t("The station is not connected."),
  charger_timeout: () => t("The station did not answer in time."),
  charger_error: () => t("The station answered with an error."),
};

function configurationTable(configuration) {
  const caption = t("Configuration");
  const headers = [t("Key"), t("Value"), t("Read only")];
  const rows = configuration.map(
    (item) =>
      html`<tr>
        <td><code>${item.key}</code></td>
        <td>${item.value ?? "–"}</td>
        <td>${item.readonly ? t("yes") : t("no")}</td>
      </tr>`,
  );
  return dataTable({ caption, headers, rows });
}

function outcome(result) {
  const at = dateTime(result.answered_at);
  if (result.error_code) {
    const word = (ERROR_WORDS[result.error_code] || (() => result.error_code))();
    return html`<div class="answer problem">
      <p><strong>${word}</strong> <span class="muted">${at}</span></p>
      ${result.error_message ? html`<p><code>${result.error_message}</code></p>` : ""}
    </div>`;
  }
  const answer = t("The station answered: {status}", { status: result.result.status });
  const configuration = result.result.configuration;
  return html`<div class="answer">
    <p><strong id="command-answer">${answer}</strong> <span class="muted">${at}</span></p>
    ${configuration?.length ? configurationTable(configuration) : ""}
  </div>`;
}

// The log wants the seconds (and the date, for a station that has been quiet).
const frameTime = (iso) =>
  new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "medium" }).format(new Date(iso));

const DIRECTION_WORDS = { in: () => t("from the station"), out: () => t("to the station") };

function messageRows(frames) {
  if (!frames.length) return html`<tr><td colspan="4">${t("No messages yet.")}</td></tr>`;
  return frames.map(
    (frame) =>
      html`<tr>
        <td>${frameTime(frame.at)}</td>
        <td>${DIRECTION_WORDS[frame.direction]()}</td>
        <td>${frame.message_type} ${frame.action ? html`<code>${frame.action}</code>` : ""}</td>
        <td>
          <details>
            <summary>${t("Frame")}</summary>
            <pre tabindex="0">${frame.frame}</pre>
          </details>
        </td>
      </tr>`,
  );
}

function stationPage(nav, station, sites, admin) {
  const faultsTable = dataTable({
    caption: t("Faults"),
    headers: faultHeaders({ withStation: false }),
    bodyId: "station-fault-rows",
  });
  const logTable = dataTable({
    caption: t("Message log"),
    headers: [t("When"), t("Direction"), t("Message"), t("Content")],
    bodyId: "log-rows",
  });
  return html`${nav}
    <p><a href="/admin/stations">${t("All stations")}</a></p>
    <h1 tabindex="-1">${stationTitle(station)}</h1>
    <section aria-labelledby="station-data">
      <h2 id="station-data">${t("Station data")}</h2>
      <div id="station-facts">${dataList(station)}</div>
    </section>
    ${admin ? editForms(station, sites) : ""}
    <section aria-labelledby="station-commands" class="card">
      <h2 id="station-commands">${t("Remote commands")}</h2>
      ${commandForm()}
    </section>
    <section aria-labelledby="station-faults">
      <h2 id="station-faults">${t("Faults")}</h2>
      <p role="status" id="faults-status"></p>
      ${faultsTable}
    </section>
    <section aria-labelledby="station-log">
      <h2 id="station-log">${t("Message log")}</h2>
      <p class="muted">${t("The last OCPP messages to and from the station, newest first.")}</p>
      <p><button class="button secondary small" type="button" id="log-refresh">${t("Refresh the log")}</button></p>
      ${logTable}
    </section>`;
}

async function showStation({ main, nav, account, id, isCurrent }) {
  const admin = isAdmin(account);
  let station;
  let sites;
  try {
    [station, sites] = await Promise.all([userRequest(`/api/admin/stations/${id}`), userRequest("/api/admin/sites")]);
  } catch (problem) {
    if (!isCurrent()) return undefined;
    renderScreen(
      main,
      html`${nav}
        <h1 tabindex="-1">${t("Stations")}</h1>
        <p class="error" role="alert">${problem.message}</p>
        <p><a href="/admin/stations">${t("All stations")}</a></p>`,
    );
    return undefined;
  }
  if (!isCurrent()) return undefined;
  document.title = `${stationTitle(station)} – ${account.operator.name}`;
  renderScreen(main, stationPage(nav, station, sites, admin));

  const refreshStation = async () => {
    station = await userRequest(`/api/admin/stations/${id}`);
    render(main.querySelector("#station-facts"), dataList(station));
  };
  const loadLog = async () => {
    render(main.querySelector("#log-rows"), messageRows(await userRequest(`/api/admin/stations/${id}/messages?limit=100`)));
  };
  const faultRows = main.querySelector("#station-fault-rows");
  const loadFaults = async () => {
    const faults = await userRequest(`/api/admin/faults?station_id=${id}&limit=50`);
    render(
      faultRows,
      faults.length
        ? faults.map((fault) => faultRow(fault, { withStation: false }))
        : html`<tr><td colspan="6">${t("No faults reported.")}</td></tr>`,
    );
  };
  handleFaultActions(faultRows, main.querySelector("#faults-status"), loadFaults);
  main.querySelector("#log-refresh").addEventListener("click", loadLog);

  const form = main.querySelector("#command-form");
  const showFields = async () => {
    const type = form.type.value;
    for (const block of form.querySelectorAll("[data-for]")) {
      block.hidden = !block.dataset.for.split(" ").includes(type);
    }
    if (type === "remote_stop") {
      const sessions = await userRequest(`/api/admin/stations/${id}/sessions`);
      render(
        form.transaction,
        sessions
          .filter((session) => session.transaction_id)
          .map(
            (session) =>
              html`<option value="${session.transaction_id}">${session.evse_id || session.connector_id} · ${session.id_tag}</option>`,
          ),
      );
    }
  };
  form.type.addEventListener("change", showFields);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = main.querySelector("#command-result");
    const send = main.querySelector("#command-send");
    send.disabled = true;
    render(result, html`<p class="loading">${t("Waiting for the station's answer…")}</p>`);
    try {
      const answered = await userRequest(`/api/admin/stations/${id}/commands`, {
        method: "POST",
        body: commandBody(form),
      });
      render(result, outcome(answered));
      await loadLog();
    } catch (problem) {
      render(result, html`<p class="error">${problem.message}</p>`);
    } finally {
      send.disabled = false;
    }
  });

  const editStatus = main.querySelector("#edit-status");
  main.querySelector("#station-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const siteId = event.target.site.value ? Number(event.target.site.value) : 0;
    try {
      await userRequest(`/api/admin/stations/${id}`, {
        method: "PATCH",
        body: { name: event.target.name.value.trim(), site_id: siteId },
      });
      editStatus.textContent = t("Saved.");
      await refreshStation();
    } catch (problem) {
      editStatus.textContent = problem.message;
    }
  });
  main.querySelector("#site-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const site = station.site;
    try {
      await userRequest(`/api/admin/sites/${form.dataset.site}`, {
        method: "PUT",
        body: {
          name: form.name.value.trim(),
          street: form.street.value.trim(),
          postal_code: form.postal_code.value.trim(),
          city: form.city.value.trim(),
          time_zone: form.time_zone.value.trim(),
          country: site.country,
          latitude: site.latitude,
          longitude: site.longitude,
        },
      });
      editStatus.textContent = t("Saved.");
      await refreshStation();
    } catch (problem) {
      editStatus.textContent = problem.message;
    }
  });
  for (const evseForm of main.querySelectorAll(".evse-form")) {
    evseForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await userRequest(`/api/admin/evses/${evseForm.dataset.evse}`, {
          method: "PATCH",
          body: {
            evse_id: evseForm.evse_id.value.trim(),
            max_power_w: Math.round(Number(evseForm.power.value || 0) * 1000),
            phases: Number(evseForm.phases.value),
          },
        });
        editStatus.textContent = t("Saved.");
        await refreshStation();
      } catch (problem) {
        editStatus.textContent = problem.message;
      }
    });
  }
  await Promise.all([loadFaults(), loadLog()]);
  return undefined;
}

export async function show({ main, nav, account, rest, isCurrent }) {
  const id = rest.split("/")[0];
  if (/^\d+$/.test(id)) return showStation({ main, nav, account, id, isCurrent });
  return showList({ main, nav, account, isCurrent });
}
