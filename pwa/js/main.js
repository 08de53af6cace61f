// Starts the app: language, chrome (header, tabs, connection notice), router, service worker.

import { NEUTRAL, applyBrand, lastBrand } from "./brand.js";
import { html, render } from "./html.js";
import { LANGUAGES, lang, preferredLanguage, t, useLanguage } from "./i18n.js";
import { match, startRouter } from "./router.js";

const ROUTES = [
  [/^\/(?:scan)?$/, "scan"],
  [/^\/c\/([^/]+)$/, "charger"],
  [/^\/c\/([^/]+)\/problem$/, "problem"],
  [/^\/t\/([^/]+)$/, "ticket"],
  [/^\/s\/([^/]+)$/, "session"],
  [/^\/history$/, "history"],
  [/^\/login(?:\/([^/]+))?$/, "login"],
  [/^\/account(?:\/([a-z-]+))?\/?$/, "account"],
  [/^\/admin(?:\/([a-z-]+)(?:\/(.+))?)?\/?$/, "admin"],
  [/^\/offline$/, "offline"],
];

const main = document.getElementById("main");
let textsReady = useLanguage(preferredLanguage());
let leave = null;
let visit = 0;

function renderChrome(screen) {
  document.querySelector(".skip").textContent = t("Skip to content");
  document.getElementById("lang-label").textContent = t("Language");
  const select = document.getElementById("lang");
  select.value = lang;
  const tab = (path, screens, label) =>
    html`<a href="${path}" ${screens.includes(screen) ? html`aria-current="page"` : ""}>${label}</a>`;
  // Admin mode has its own navigation (screens/admin.js); the tabs are the driver's.
  document.getElementById("tabs").hidden = screen === "admin";
  document.body.classList.toggle("admin", screen === "admin");
  render(
    document.getElementById("tabs"),
    html`${tab("/scan", ["scan"], t("Start charging"))}${tab("/history", ["history"], t("My sessions"))}${tab(
      "/account",
      ["account", "login"],
      t("My account"),
    )}`,
  );
  if (!document.getElementById("brand").textContent.trim()) {
    // Before a charger is opened: the brand seen last, else a neutral look.
    applyBrand(lastBrand() || { ...NEUTRAL, name: t("Charging") }, { keep: false });
  }
  showConnection();
}

function showConnection() {
  document.getElementById("connection").textContent = navigator.onLine
    ? ""
    : t("You are offline. Past sessions on this device still work; starting a charge point needs a connection.");
}

async function show({ screen, params }) {
  leave?.();
  leave = null;
  const current = ++visit;
  const isCurrent = () => current === visit;
  let module;
  try {
    [module] = await Promise.all([
      import(`./screens/${screen}.js`).then((loaded) => {
        // Data first: a charger page asks for its price while the texts are still coming.
        loaded.prefetch?.(params);
        return loaded;
      }),
      textsReady,
    ]);
  } catch {
    // The screen's module did not arrive (no signal before the app was ever kept offline).
    render(
      main,
      html`<p role="alert">${t("No connection. Please check your mobile signal and try again.")}</p>
        <p><button class="button primary" type="button" data-reload>${t("Try again")}</button></p>`,
    );
    return;
  }
  if (!isCurrent()) return;
  renderChrome(screen);
  const cleanup = await module.show({ main, params, isCurrent });
  if (isCurrent()) leave = cleanup || null;
  else cleanup?.();
}

document.getElementById("lang").addEventListener("change", async (event) => {
  if (!LANGUAGES.includes(event.target.value)) return;
  textsReady = useLanguage(event.target.value, { remember: true });
  await textsReady;
  show(match(location.pathname) || { screen: "scan", params: [] });
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-reload]")) location.reload();
});
addEventListener("online", showConnection);
addEventListener("offline", showConnection);

startRouter(ROUTES, show);

if ("serviceWorker" in navigator) {
  // After the page has what it needs: the app shell is kept for starting without signal.
  addEventListener("load", () => navigator.serviceWorker.register("/sw.js").catch(() => {}));
}
