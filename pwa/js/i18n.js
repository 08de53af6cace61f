// The app's texts come from the gettext catalogs (GET /api/i18n/{lang}); an English text
// is its own message id. Mark every text with t("…") and a plain string literal, so that
// Babel extracts it (babel.cfg). Numbers, money and dates are formatted here with Intl.

export const LANGUAGES = ["de", "en"];
const LOCALES = { de: "de-DE", en: "en-GB" };
// /app/<version>/js/i18n.js: texts kept on the device belong to one version of the app.
const VERSION = new URL(import.meta.url).pathname.split("/")[2];

let texts = {};
export let lang = "en";

export function t(id, values) {
  const text = texts[id] || id;
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (placeholder, name) => (name in values ? values[name] : placeholder));
}

export function preferredLanguage() {
  const saved = localStorage.getItem("cpo.lang");
  if (LANGUAGES.includes(saved)) return saved;
  for (const tag of navigator.languages || [navigator.language]) {
    const primary = String(tag).slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(primary)) return primary;
  }
  return "en";
}

async function loadTexts(language, part = "") {
  const key = `cpo.texts.${language}${part}`;
  try {
    const kept = JSON.parse(localStorage.getItem(key));
    if (kept && kept.version === VERSION) return kept.texts;
  } catch {
    // Nothing usable kept: ask the server.
  }
  const response = await fetch(`/api/i18n/${language}${part}`);
  if (!response.ok) throw new Error(`texts: HTTP ${response.status}`);
  const fresh = await response.json();
  try {
    // Kept on the device (not in the service worker, which never stores /api/) so that
    // the app speaks the driver's language offline too.
    localStorage.setItem(key, JSON.stringify({ version: VERSION, texts: fresh }));
  } catch {
    // Storage full or disabled: texts come from the network next time.
  }
  return fresh;
}

export async function useLanguage(language, { remember = false } = {}) {
  // Known at once, so that API calls can ask for this language while the texts load.
  lang = language;
  if (remember) localStorage.setItem("cpo.lang", language);
  let loaded = {};
  try {
    if (language !== "en") loaded = await loadTexts(language);
  } catch {
    // Offline before the texts ever arrived: English ids are still whole sentences.
  }
  if (lang !== language) return; // the driver switched again meanwhile
  texts = loaded;
  document.documentElement.lang = language;
}

// The texts of a part of the app that loads when opened ("admin", "contract"): drivers never
// load them; added to the current language's.
export async function usePartTexts(part) {
  const language = lang;
  if (language === "en") return;
  const loaded = await loadTexts(language, `/${part}`);
  if (lang === language) texts = { ...texts, ...loaded };
}

export const locale = () => LOCALES[lang];

function currencyDigits(currency) {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
}

export function money(amountMinor, currency) {
  const value = amountMinor / 10 ** currencyDigits(currency);
  return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(value);
}

function decimal(value, digits) {
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    value,
  );
}

export const kwh = (energyWh, digits = 2) => `${decimal(energyWh / 1000, digits)}\u00a0kWh`;

export const kw = (powerW) => `${decimal(powerW / 1000, powerW % 1000 ? 1 : 0)}\u00a0kW`;

// Like the receipt (cpo.i18n.Translator.duration): whole units, never more than has passed.
export function duration(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  if (whole < 60) return `${whole}\u00a0s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}\u00a0min`;
  return `${Math.floor(minutes / 60)}\u00a0h ${String(minutes % 60).padStart(2, "0")}\u00a0min`;
}

export function dateOnly(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(new Date(iso));
}

export function dateTime(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}
