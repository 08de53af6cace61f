// Opening a part of the app that loads when needed (admin mode, the account's sections):
// the logged-in user, the part's module and its texts at once. Without a login it goes to
// /login and back; other problems are shown in plain words.

import { me } from "./account.js";
import { html, render, renderScreen } from "./html.js";
import { t, usePartTexts } from "./i18n.js";
import { go } from "./router.js";
import { problemNotice } from "./screens/offline.js";

// `load` imports the module (a literal import() next to its caller, so that the path stays
// relative to it); the answer is {account, module}, or null when the screen has moved on.
export async function openPart({ main, isCurrent, part, load }) {
  render(main, html`<p class="loading" role="status">${t("Loading…")}</p>`);
  try {
    const [account, module] = await Promise.all([me(), load(), usePartTexts(part)]);
    return isCurrent() ? { account, module } : null;
  } catch (problem) {
    if (!isCurrent()) return null;
    if (problem.status === 401) go(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true });
    else renderScreen(main, problemNotice(problem));
    return null;
  }
}
