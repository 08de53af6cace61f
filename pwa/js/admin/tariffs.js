// Tariffs (/admin/tariffs, /admin/tariffs/new, /admin/tariffs/{id}): the operator's tariffs,
// a form for the whole tariff model in the units people use (money with decimals, kWh,
// minutes, kW), a live preview of a 20 kWh / 1 h session, and where each tariff applies.
// The API's units (millionths per kWh or minute, seconds, Wh, W) are converted here only.

import { userRequest } from "../account.js";
import { html, render, renderScreen } from "../html.js";
import { dateTime, lang, locale, money, t } from "../i18n.js";
import { go } from "../router.js";

const ADMIN_ROLES = ["operator_admin", "platform_admin"];
const DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
const MAX_MICRO = 1_000_000_000;
const PREVIEW_ENERGY_WH = 20_000;
const PREVIEW_SECONDS = 3600;

// --- numbers as people write them ("0,39" or "0.39") ----------------------------------------

function parseDecimal(text, digits) {
  const clean = String(text).trim().replace(",", ".");
  if (!new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`).test(clean)) return null;
  const [whole, fraction = ""] = clean.split(".");
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0"));
}

function showDecimal(value, digits) {
  const fixed = (value / 10 ** digits).toFixed(digits);
  const text = fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
  return lang === "de" ? text.replace(".", ",") : text;
}

function dayLabel(day) {
  const monday = new Date(2026, 0, 5 + DAYS.indexOf(day));
  return new Intl.DateTimeFormat(locale(), { weekday: "long" }).format(monday);
}

const toLocalInput = (iso) => {
  if (!iso) return "";
  const moment = new Date(iso);
  const pad = (number) => String(number).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
};

// --- the form's model: strings as typed -------------------------------------------------------

const emptyElement = () => ({
  energy: "",
  energyStep: "",
  time: "",
  timeStep: "",
  parking: "",
  parkingStep: "",
  grace: "",
  cap: "",
  flat: "",
  startTime: "",
  endTime: "",
  days: [],
  startDate: "",
  endDate: "",
  minKwh: "",
  maxKwh: "",
  minKw: "",
  maxKw: "",
  minMinutes: "",
  maxMinutes: "",
});

function modelFrom(tariff, currency) {
  if (!tariff) {
    return {
      name: "",
      kind: "AD_HOC_PAYMENT",
      description: "",
      currency,
      vat: showDecimal(1900, 2),
      includesVat: true,
      minPrice: "",
      maxPrice: "",
      validFrom: "",
      validTo: "",
      elements: [emptyElement()],
    };
  }
  const definition = tariff.definition;
  const micro = (value) => (value === undefined || value === null ? "" : showDecimal(value, 6));
  const elements = definition.elements.map((element) => {
    const model = emptyElement();
    for (const component of element.components) {
      const step = component.step_size && component.step_size > 1 ? component.step_size : null;
      if (component.type === "ENERGY") {
        model.energy = micro(component.price_micro);
        model.energyStep = step ? showDecimal(step, 3) : "";
      } else if (component.type === "TIME") {
        model.time = micro(component.price_micro);
        model.timeStep = step ? showDecimal(step / 60, 0) : "";
      } else if (component.type === "PARKING_TIME") {
        model.parking = micro(component.price_micro);
        model.parkingStep = step ? showDecimal(step / 60, 0) : "";
        model.grace = component.grace_s ? String(component.grace_s / 60) : "";
        model.cap = micro(component.cap_micro);
      } else if (component.type === "FLAT") {
        model.flat = micro(component.price_micro);
      }
    }
    const restrictions = element.restrictions || {};
    const number = (value, scale, digits) => (value === undefined || value === null ? "" : showDecimal(value / scale, digits));
    Object.assign(model, {
      startTime: restrictions.start_time || "",
      endTime: restrictions.end_time || "",
      days: restrictions.day_of_week || [],
      startDate: restrictions.start_date || "",
      endDate: restrictions.end_date || "",
      minKwh: number(restrictions.min_energy_wh, 1, 3),
      maxKwh: number(restrictions.max_energy_wh, 1, 3),
      minKw: number(restrictions.min_power_w, 1, 3),
      maxKw: number(restrictions.max_power_w, 1, 3),
      minMinutes: number(restrictions.min_duration_s, 60, 0),
      maxMinutes: number(restrictions.max_duration_s, 60, 0),
    });
    return model;
  });
  return {
    name: tariff.name,
    kind: tariff.kind,
    description: tariff.description,
    currency: definition.currency,
    vat: showDecimal(definition.vat_rate_bp, 2),
    includesVat: definition.prices_include_vat !== false,
    minPrice: micro(definition.min_price_micro),
    maxPrice: micro(definition.max_price_micro),
    validFrom: toLocalInput(tariff.valid_from),
    validTo: toLocalInput(tariff.valid_to),
    elements,
  };
}

function readModel(form) {
  const value = (name) => form.elements.namedItem(name)?.value ?? "";
  const count = form.querySelectorAll("fieldset.tariff-element").length;
  const elements = [];
  for (let index = 0; index < count; index += 1) {
    const element = emptyElement();
    for (const key of Object.keys(element)) {
      if (key !== "days") element[key] = value(`e${index}-${key}`);
    }
    element.days = DAYS.filter((day) => form.elements.namedItem(`e${index}-day-${day}`)?.checked);
    elements.push(element);
  }
  return {
    name: value("name"),
    kind: value("kind"),
    description: value("description"),
    currency: value("currency").trim().toUpperCase(),
    vat: value("vat"),
    includesVat: form.elements.namedItem("includesVat").checked,
    minPrice: value("minPrice"),
    maxPrice: value("maxPrice"),
    validFrom: value("validFrom"),
    validTo: value("validTo"),
    elements,
  };
}

// --- from the model to the API's definition, with a message per field -------------------------

function toInput(model) {
  const errors = {};
  const amount = (field, text, { required = false } = {}) => {
    if (!text.trim()) {
      if (required) errors[field] = t("Enter an amount.");
      return undefined;
    }
    const micro = parseDecimal(text, 6);
    if (micro === null) errors[field] = t("Enter an amount like 0.39 (up to six decimals).");
    else if (micro > MAX_MICRO) errors[field] = t("That is more than 1,000 – please check the amount.");
    return micro ?? undefined;
  };
  // limit: the most the API takes, in its unit (a step size: one day of seconds, 86.4 kWh).
  const whole = (field, text, scale, limit = Infinity) => {
    if (!text.trim()) return undefined;
    const number = parseDecimal(text, 3);
    if (number === null) {
      errors[field] = t("Enter a number like 30 or 7.5.");
      return undefined;
    }
    const value = Math.round((number / 1000) * scale);
    if (value > limit) errors[field] = t("That is too large for this field.");
    return value;
  };
  if (!model.name.trim()) errors.name = t("Give the tariff a name.");
  if (!/^[A-Z]{3}$/.test(model.currency)) errors.currency = t("Three letters, e.g. EUR.");
  const vat = parseDecimal(model.vat, 2);
  if (vat === null || vat > 10_000) errors.vat = t("A rate between 0 and 100, e.g. 19.");

  const elements = model.elements.map((element, index) => {
    const key = (name) => `e${index}-${name}`;
    const components = [];
    const energy = amount(key("energy"), element.energy);
    if (energy !== undefined) {
      const component = { type: "ENERGY", price_micro: energy };
      const step = whole(key("energyStep"), element.energyStep, 1000, 86_400);
      if (step) component.step_size = step;
      components.push(component);
    }
    const time = amount(key("time"), element.time);
    if (time !== undefined) {
      const component = { type: "TIME", price_micro: time };
      const step = whole(key("timeStep"), element.timeStep, 60, 86_400);
      if (step) component.step_size = step;
      components.push(component);
    }
    const parking = amount(key("parking"), element.parking);
    if (parking !== undefined) {
      const component = { type: "PARKING_TIME", price_micro: parking };
      const step = whole(key("parkingStep"), element.parkingStep, 60, 86_400);
      if (step) component.step_size = step;
      const grace = whole(key("grace"), element.grace, 60, 7 * 86_400);
      if (grace) component.grace_s = grace;
      const cap = amount(key("cap"), element.cap);
      if (cap !== undefined) component.cap_micro = cap;
      components.push(component);
    } else if (element.grace.trim() || element.cap.trim()) {
      errors[key("parking")] = t("Free minutes and a cap need a blocking fee per minute.");
    }
    const flat = amount(key("flat"), element.flat);
    if (flat !== undefined) components.push({ type: "FLAT", price_micro: flat });
    if (!components.length) errors[key("energy")] = t("Give this price rule at least one price.");

    const restrictions = {};
    if (element.startTime) restrictions.start_time = element.startTime;
    if (element.endTime) restrictions.end_time = element.endTime;
    if (element.days.length && element.days.length < 7) restrictions.day_of_week = element.days;
    if (element.startDate) restrictions.start_date = element.startDate;
    if (element.endDate) restrictions.end_date = element.endDate;
    const limits = [
      ["min_energy_wh", "minKwh", 1000],
      ["max_energy_wh", "maxKwh", 1000],
      ["min_power_w", "minKw", 1000],
      ["max_power_w", "maxKw", 1000],
      ["min_duration_s", "minMinutes", 60],
      ["max_duration_s", "maxMinutes", 60],
    ];
    for (const [api, field, scale] of limits) {
      const number = whole(key(field), element[field], scale);
      if (number !== undefined) restrictions[api] = number;
    }
    const result = { components };
    if (Object.keys(restrictions).length) result.restrictions = restrictions;
    return result;
  });

  const definition = {
    currency: model.currency,
    vat_rate_bp: vat ?? 0,
    prices_include_vat: model.includesVat,
    elements,
  };
  const minPrice = amount("minPrice", model.minPrice);
  const maxPrice = amount("maxPrice", model.maxPrice);
  if (minPrice !== undefined) definition.min_price_micro = minPrice;
  if (maxPrice !== undefined) definition.max_price_micro = maxPrice;
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
    errors.maxPrice = t("The maximum must not be below the minimum.");
  }
  const validFrom = model.validFrom ? new Date(model.validFrom).toISOString() : null;
  const validTo = model.validTo ? new Date(model.validTo).toISOString() : null;
  if (validFrom && validTo && validFrom >= validTo) errors.validTo = t("The end must be after the start.");
  return {
    errors,
    body: {
      name: model.name.trim(),
      kind: model.kind,
      description: model.description,
      definition,
      valid_from: validFrom,
      valid_to: validTo,
    },
  };
}

// --- markup -------------------------------------------------------------------------------------

function field(name, label, value, { hint = "", type = "text", inputmode = "", unit = "", required = false } = {}) {
  const hintId = hint ? `${name}-hint` : "";
  return html`<div class="form-field">
    <label for="${name}">${label}</label>
    <div class="with-unit">
      <input
        id="${name}"
        name="${name}"
        type="${type}"
        value="${value}"
        ${inputmode ? html`inputmode="${inputmode}"` : ""}
        ${hintId ? html`aria-describedby="${hintId}"` : ""}
        ${required ? html`required` : ""}
        autocomplete="off"
      />
      ${unit ? html`<span class="unit">${unit}</span>` : ""}
    </div>
    ${hint ? html`<p class="hint" id="${hintId}">${hint}</p>` : ""}
  </div>`;
}

function elementFieldset(element, index, total, currency) {
  const key = (name) => `e${index}-${name}`;
  const perKwh = `${currency}/kWh`;
  const perMinute = t("{currency} per minute", { currency });
  const legend = t("Price rule {number}", { number: index + 1 });
  const removeLabel = t("Remove price rule {number}", { number: index + 1 });
  return html`<fieldset class="tariff-element">
    <legend>${legend}</legend>
    <div class="form-grid">
      ${field(key("energy"), t("Energy price"), element.energy, { unit: perKwh, inputmode: "decimal" })}
      ${field(key("energyStep"), t("Billed in steps of"), element.energyStep, { unit: "kWh", inputmode: "decimal", hint: t("Empty: to the watt-hour.") })}
      ${field(key("time"), t("Charging time"), element.time, { unit: perMinute, inputmode: "decimal" })}
      ${field(key("timeStep"), t("Charging time billed in steps of"), element.timeStep, { unit: t("min"), inputmode: "numeric" })}
      ${field(key("parking"), t("Blocking fee"), element.parking, { unit: perMinute, inputmode: "decimal", hint: t("For time plugged in without charging.") })}
      ${field(key("grace"), t("Free minutes before the blocking fee"), element.grace, { unit: t("min"), inputmode: "numeric" })}
      ${field(key("cap"), t("Blocking fee at most"), element.cap, { unit: currency, inputmode: "decimal" })}
      ${field(key("parkingStep"), t("Blocking fee billed in steps of"), element.parkingStep, { unit: t("min"), inputmode: "numeric" })}
      ${field(key("flat"), t("Session fee"), element.flat, { unit: currency, inputmode: "decimal" })}
    </div>
    <details ${Object.entries(element).some(([name, value]) => /^(start|end|min|max)/.test(name) && value) || element.days.length ? html`open` : ""}>
      <summary>${t("Only when … (leave empty: always)")}</summary>
      <div class="form-grid">
        ${field(key("startTime"), t("From (time of day)"), element.startTime, { type: "time" })}
        ${field(key("endTime"), t("Until (time of day)"), element.endTime, { type: "time" })}
        ${field(key("startDate"), t("From (date)"), element.startDate, { type: "date" })}
        ${field(key("endDate"), t("Until (date, not included)"), element.endDate, { type: "date" })}
        ${field(key("minKwh"), t("Session energy at least"), element.minKwh, { unit: "kWh", inputmode: "decimal" })}
        ${field(key("maxKwh"), t("Session energy below"), element.maxKwh, { unit: "kWh", inputmode: "decimal" })}
        ${field(key("minKw"), t("Charging power at least"), element.minKw, { unit: "kW", inputmode: "decimal" })}
        ${field(key("maxKw"), t("Charging power below"), element.maxKw, { unit: "kW", inputmode: "decimal" })}
        ${field(key("minMinutes"), t("Session longer than"), element.minMinutes, { unit: t("min"), inputmode: "numeric" })}
        ${field(key("maxMinutes"), t("Session shorter than"), element.maxMinutes, { unit: t("min"), inputmode: "numeric" })}
      </div>
      <fieldset class="days">
        <legend>${t("On these days (none ticked: every day)")}</legend>
        ${DAYS.map(
          (day) => html`<label class="check"
            ><input type="checkbox" name="${key(`day-${day}`)}" ${element.days.includes(day) ? html`checked` : ""} />
            ${dayLabel(day)}</label
          >`,
        )}
      </fieldset>
    </details>
    ${total > 1
      ? html`<button type="button" class="button secondary remove-element" data-index="${index}">${removeLabel}</button>`
      : ""}
  </fieldset>`;
}

function elementsMarkup(model) {
  return html`${model.elements.map((element, index) => elementFieldset(element, index, model.elements.length, model.currency || "EUR"))}`;
}

function formPage(nav, model, { tariff, canChange }) {
  const heading = tariff ? t("Tariff “{name}”", { name: tariff.name }) : t("New tariff");
  const version = tariff ? t("Version {version}, changed {at}", { version: tariff.version, at: dateTime(tariff.updated_at) }) : "";
  return html`${nav}
    <p><a href="/admin/tariffs">${t("All tariffs")}</a></p>
    <h1 tabindex="-1">${heading}</h1>
    ${version ? html`<p>${version}</p>` : ""}
    <form id="tariff-form" class="admin-form tariff-form" novalidate>
      <div id="tariff-problems" role="alert"></div>
      <fieldset ${canChange ? "" : html`disabled`}>
        <legend class="visually-hidden">${t("Tariff")}</legend>
        <div class="form-grid">
          ${field("name", t("Name"), model.name, { required: true })}
          <div class="form-field">
            <label for="kind">${t("Who pays this way")}</label>
            <select id="kind" name="kind">
              <option value="AD_HOC_PAYMENT" ${model.kind === "AD_HOC_PAYMENT" ? html`selected` : ""}>${t("Ad hoc: drivers paying at the charger")}</option>
              <option value="REGULAR" ${model.kind === "REGULAR" ? html`selected` : ""}>${t("Contract customers")}</option>
            </select>
          </div>
          ${field("description", t("Description (optional)"), model.description)}
          ${field("currency", t("Currency"), model.currency, { hint: t("Three letters, e.g. EUR."), required: true })}
          ${field("vat", t("VAT rate"), model.vat, { unit: "%", inputmode: "decimal", required: true })}
          <div class="form-field">
            <label class="check"
              ><input type="checkbox" name="includesVat" ${model.includesVat ? html`checked` : ""} />
              ${t("Prices include VAT")}</label
            >
          </div>
          ${field("minPrice", t("Minimum price per session"), model.minPrice, { unit: model.currency, inputmode: "decimal" })}
          ${field("maxPrice", t("Maximum price per session"), model.maxPrice, { unit: model.currency, inputmode: "decimal" })}
          ${field("validFrom", t("Valid from (optional)"), model.validFrom, { type: "datetime-local" })}
          ${field("validTo", t("Valid until (optional)"), model.validTo, { type: "datetime-local" })}
        </div>
        <p class="hint">
          ${t("Price rules are checked in order: for energy, charging time, blocking fee and session fee, the first rule whose conditions hold sets the price.")}
        </p>
        <div id="tariff-elements">${elementsMarkup(model)}</div>
        <p><button type="button" class="button secondary" id="add-element">${t("Add a price rule")}</button></p>
      </fieldset>
      <section class="preview" aria-labelledby="preview-heading">
        <h2 id="preview-heading">${t("What a session costs")}</h2>
        <div class="form-field">
          <label for="preview-start">${t("Session of 20 kWh in 1 hour, starting at")}</label>
          <input id="preview-start" name="previewStart" type="time" value="18:00" />
        </div>
        <div id="tariff-preview" aria-live="polite"></div>
      </section>
      ${canChange ? html`<p><button class="button primary" id="tariff-save">${t("Save tariff")}</button></p>` : ""}
    </form>`;
}

const LINE_LABELS = () => ({
  ENERGY: t("Energy"),
  TIME: t("Charging time"),
  PARKING_TIME: t("Blocking fee"),
  FLAT: t("Session fee"),
  MINIMUM_PRICE: t("Up to the minimum price"),
  MAXIMUM_PRICE: t("Down to the maximum price"),
});

function previewMarkup(price) {
  const labels = LINE_LABELS();
  const total = money(price.gross_minor, price.currency);
  const sentence = t("20 kWh in 1 hour cost {amount}.", { amount: total });
  return html`<p class="preview-total">${sentence}</p>
    <table class="admin-table">
      <caption class="visually-hidden">
        ${t("Price lines")}
      </caption>
      <tbody>
        ${price.lines.map(
          (line) => html`<tr>
            <th scope="row">${labels[line.type] || line.type}</th>
            <td class="number">${money(line.amount_minor, price.currency)}</td>
          </tr>`,
        )}
        <tr>
          <th scope="row">${t("Total")}</th>
          <td class="number">${total}</td>
        </tr>
        <tr>
          <th scope="row">${t("of which VAT")}</th>
          <td class="number">${money(price.vat_minor, price.currency)}</td>
        </tr>
      </tbody>
    </table>`;
}

function showProblems(form, errors, message) {
  form.querySelectorAll("[aria-invalid]").forEach((input) => {
    input.removeAttribute("aria-invalid");
    const hint = input.getAttribute("aria-describedby")?.split(" ").filter((id) => !id.endsWith("-error"));
    if (hint?.length) input.setAttribute("aria-describedby", hint.join(" "));
    else input.removeAttribute("aria-describedby");
  });
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  const box = form.querySelector("#tariff-problems");
  const entries = Object.entries(errors);
  for (const [name, text] of entries) {
    const input = form.elements.namedItem(name);
    if (!input) continue;
    input.setAttribute("aria-invalid", "true");
    const described = [input.getAttribute("aria-describedby"), `${name}-error`].filter(Boolean).join(" ");
    input.setAttribute("aria-describedby", described);
    input.closest(".form-field")?.insertAdjacentHTML("beforeend", html`<p class="field-error" id="${name}-error">${text}</p>`.toString());
  }
  if (message) render(box, html`<p class="error">${message}</p>`);
  else if (entries.length) render(box, html`<p class="error">${t("Please correct the marked fields.")}</p>`);
  else render(box, html``);
}

async function showForm({ main, nav, account, tariffId, isCurrent }) {
  const canChange = ADMIN_ROLES.includes(account.user.role);
  let tariff = null;
  let currency = "EUR";
  try {
    if (tariffId) tariff = await userRequest(`/api/admin/tariffs/${encodeURIComponent(tariffId)}`);
    else currency = (await userRequest("/api/admin/tariffs"))[0]?.currency || "EUR";
  } catch (problem) {
    if (isCurrent()) renderScreen(main, html`${nav}<h1 tabindex="-1">${t("Tariffs")}</h1><p class="error" role="alert">${problem.message}</p>`);
    return;
  }
  if (!isCurrent()) return;
  const model = modelFrom(tariff, currency);
  renderScreen(main, formPage(nav, model, { tariff, canChange }));
  const form = main.querySelector("#tariff-form");
  const preview = main.querySelector("#tariff-preview");
  let timer = null;
  let asked = 0;

  const refreshPreview = async () => {
    const { errors, body } = toInput(readModel(form));
    if (Object.keys(errors).length) {
      render(preview, html`<p>${t("Correct the marked fields to see the price.")}</p>`);
      return;
    }
    const [hours, minutes] = (form.elements.namedItem("previewStart").value || "18:00").split(":").map(Number);
    const start = new Date();
    start.setHours(hours, minutes, 0, 0);
    const end = new Date(start.getTime() + PREVIEW_SECONDS * 1000);
    const usage = {
      started_at: start.toISOString(),
      ended_at: end.toISOString(),
      points: [{ at: end.toISOString(), energy_wh: PREVIEW_ENERGY_WH }],
    };
    const mine = (asked += 1);
    try {
      const price = await userRequest("/api/admin/tariffs/preview", { method: "POST", body: { definition: body.definition, usage } });
      if (mine === asked && isCurrent()) render(preview, previewMarkup(price));
    } catch (problem) {
      if (mine === asked && isCurrent()) render(preview, html`<p class="error">${problem.message}</p>`);
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 300);
  };
  const redrawElements = (change) => {
    const current = readModel(form);
    change(current.elements);
    render(form.querySelector("#tariff-elements"), elementsMarkup(current));
    schedule();
  };

  form.addEventListener("input", (event) => {
    if (event.target.closest("[aria-invalid]")) showProblems(form, toInput(readModel(form)).errors);
    schedule();
  });
  form.addEventListener("click", (event) => {
    const remove = event.target.closest(".remove-element");
    if (!remove) return;
    redrawElements((elements) => elements.splice(Number(remove.dataset.index), 1));
    form.querySelector("#add-element").focus();
  });
  form.querySelector("#add-element").addEventListener("click", () => {
    redrawElements((elements) => elements.push(emptyElement()));
    const rules = form.querySelectorAll("fieldset.tariff-element");
    rules[rules.length - 1].querySelector("input").focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!canChange) return;
    const { errors, body } = toInput(readModel(form));
    showProblems(form, errors);
    if (Object.keys(errors).length) {
      form.querySelector("[aria-invalid]")?.focus();
      return;
    }
    try {
      await userRequest(tariff ? `/api/admin/tariffs/${tariff.id}` : "/api/admin/tariffs", {
        method: tariff ? "PUT" : "POST",
        body,
      });
      if (isCurrent()) go("/admin/tariffs");
    } catch (problem) {
      showProblems(form, {}, problem.message);
      form.querySelector("#tariff-problems").scrollIntoView();
    }
  });
  await refreshPreview();
}

// --- the list, and where tariffs apply -------------------------------------------------------------

function headline(tariff) {
  // The energy price that applies without conditions, else the first one at all.
  const energyOf = (element) => element.components.find((component) => component.type === "ENERGY");
  const elements = tariff.definition.elements;
  const always = elements.find((element) => !element.restrictions && energyOf(element));
  const energy = energyOf(always || elements.find(energyOf) || { components: [] });
  if (!energy) return "";
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: tariff.currency }).resolvedOptions().maximumFractionDigits;
  const amount = new Intl.NumberFormat(locale(), { style: "currency", currency: tariff.currency, maximumFractionDigits: Math.max(digits, 4), minimumFractionDigits: digits }).format(energy.price_micro / 1e6);
  return `${amount}/kWh`;
}

function tariffRow(tariff, canChange) {
  const kind = tariff.kind === "REGULAR" ? t("Contract customers") : t("Ad hoc");
  const editLabel = canChange ? t("Edit {name}", { name: tariff.name }) : t("Show {name}", { name: tariff.name });
  return html`<tr>
    <th scope="row"><a href="/admin/tariffs/${tariff.id}" aria-label="${editLabel}">${tariff.name}</a></th>
    <td>${kind}</td>
    <td>${headline(tariff)}</td>
    <td class="number">${tariff.version}</td>
    <td>${dateTime(tariff.updated_at)}</td>
  </tr>`;
}

const SCOPE_LABELS = () => ({
  operator: t("Default for all charge points"),
  site: t("Site"),
  evse: t("Charge point (EVSE)"),
  customer_group: t("Customer group"),
});

function assignmentRow(assignment) {
  const scope = SCOPE_LABELS()[assignment.scope];
  return html`<tr>
    <th scope="row">${scope}</th>
    <td>${assignment.target_name || "–"}</td>
    <td><a href="/admin/tariffs/${assignment.tariff_id}">${assignment.tariff_name}</a></td>
  </tr>`;
}

function targetControl(scope, places) {
  if (scope === "operator") return html``;
  if (scope === "customer_group") {
    return field("assign-target", t("Customer group"), "", { hint: t("As written on the customers' cards, e.g. employees.") });
  }
  const options =
    scope === "site"
      ? places.sites.map((site) => html`<option value="${site.id}">${site.name}</option>`)
      : [...places.sites.flatMap((site) => site.evses), ...places.without_site].map(
          (evse) => html`<option value="${evse.evse_id}">${evse.evse_id}</option>`,
        );
  const label = scope === "site" ? t("Site") : t("Charge point (EVSE)");
  return html`<div class="form-field">
    <label for="assign-target">${label}</label>
    <select id="assign-target" name="target">
      ${options}
    </select>
  </div>`;
}

function listPage(nav, tariffs, assignments, canChange) {
  const labels = SCOPE_LABELS();
  return html`${nav}
    <h1 tabindex="-1">${t("Tariffs")}</h1>
    ${canChange ? html`<p><a class="button primary" href="/admin/tariffs/new">${t("New tariff")}</a></p>` : ""}
    ${tariffs.length
      ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t("Tariffs")}">
          <table class="admin-table">
            <caption class="visually-hidden">
              ${t("Tariffs")}
            </caption>
            <thead>
              <tr>
                <th scope="col">${t("Name")}</th>
                <th scope="col">${t("Who pays this way")}</th>
                <th scope="col">${t("Energy price")}</th>
                <th scope="col" class="number">${t("Version")}</th>
                <th scope="col">${t("Changed")}</th>
              </tr>
            </thead>
            <tbody>
              ${tariffs.map((tariff) => tariffRow(tariff, canChange))}
            </tbody>
          </table>
        </div>`
      : html`<p>${t("No tariffs yet.")}</p>`}
    <h2 id="assignments-heading">${t("Where tariffs apply")}</h2>
    <p class="hint">
      ${t("A session gets the tariff of its customer group, else of its charge point, else of its site, else the default.")}
    </p>
    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="assignments-heading">
      <table class="admin-table" id="assignments">
        <caption class="visually-hidden">
          ${t("Where tariffs apply")}
        </caption>
        <thead>
          <tr>
            <th scope="col">${t("Applies to")}</th>
            <th scope="col">${t("Which")}</th>
            <th scope="col">${t("Tariff")}</th>
          </tr>
        </thead>
        <tbody>
          ${assignments.map(assignmentRow)}
        </tbody>
      </table>
    </div>
    ${canChange && tariffs.length
      ? html`<form id="assign-form" class="admin-form" novalidate>
          <h3>${t("Assign a tariff")}</h3>
          <div class="form-field">
            <label for="assign-tariff">${t("Tariff")}</label>
            <select id="assign-tariff" name="tariff">
              ${tariffs.map((tariff) => html`<option value="${tariff.id}">${tariff.name}</option>`)}
            </select>
          </div>
          <div class="form-field">
            <label for="assign-scope">${t("Applies to")}</label>
            <select id="assign-scope" name="scope">
              ${Object.entries(labels).map(([value, label]) => html`<option value="${value}">${label}</option>`)}
            </select>
          </div>
          <div id="assign-target-box"></div>
          <button class="button primary">${t("Assign")}</button>
          <p role="status" id="assign-status"></p>
        </form>`
      : ""}`;
}

async function showList({ main, nav, account, isCurrent }) {
  const canChange = ADMIN_ROLES.includes(account.user.role);
  let tariffs;
  let assignments;
  let places;
  try {
    [tariffs, assignments, places] = await Promise.all([
      userRequest("/api/admin/tariffs"),
      userRequest("/api/admin/tariff-assignments"),
      userRequest("/api/admin/stickers"),
    ]);
  } catch (problem) {
    if (isCurrent()) renderScreen(main, html`${nav}<h1 tabindex="-1">${t("Tariffs")}</h1><p class="error" role="alert">${problem.message}</p>`);
    return;
  }
  if (!isCurrent()) return;
  renderScreen(main, listPage(nav, tariffs, assignments, canChange));
  const form = main.querySelector("#assign-form");
  if (!form) return;
  const box = form.querySelector("#assign-target-box");
  const showTarget = () => render(box, targetControl(form.scope.value, places));
  form.scope.addEventListener("change", showTarget);
  showTarget();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = form.querySelector("#assign-status");
    const scope = form.scope.value;
    const target = form.elements.namedItem("assign-target")?.value ?? form.elements.namedItem("target")?.value ?? null;
    if (scope !== "operator" && !String(target || "").trim()) {
      status.textContent = t("Choose where the tariff applies.");
      return;
    }
    try {
      await userRequest("/api/admin/tariff-assignments", {
        method: "PUT",
        body: { scope, target: scope === "operator" ? null : String(target).trim(), tariff_id: Number(form.tariff.value) },
      });
      const fresh = await userRequest("/api/admin/tariff-assignments");
      if (!isCurrent()) return;
      render(main.querySelector("#assignments tbody"), html`${fresh.map(assignmentRow)}`);
      status.textContent = t("Assigned.");
    } catch (problem) {
      status.textContent = problem.message;
    }
  });
}

export async function show({ main, nav, account, rest, isCurrent }) {
  if (!rest) await showList({ main, nav, account, isCurrent });
  else await showForm({ main, nav, account, tariffId: rest === "new" ? null : rest, isCurrent });
  return undefined;
}
