// QR stickers (/admin/qr): every site with its EVSEs; per EVSE the sticker as SVG or PNG,
// per site an A4 sheet of all of them to print (the server draws every format).

import { userRequest } from "../account.js";
import { html, renderScreen } from "../html.js";
import { t } from "../i18n.js";

const stickerPath = (evseId, kind) => `/api/admin/stickers/evses/${encodeURIComponent(evseId)}/qr.${kind}`;

function evseCard(evse) {
  const preview = t("QR code for {evse}", { evse: evse.evse_id });
  const svgLabel = t("{evse} as SVG", { evse: evse.evse_id });
  const pngLabel = t("{evse} as PNG", { evse: evse.evse_id });
  return html`<li class="qr-card">
    <img class="qr-thumb" src="${stickerPath(evse.evse_id, "svg")}" alt="${preview}" loading="lazy" />
    <div>
      <h3><code>${evse.evse_id}</code></h3>
      <p>${t("Station")}: ${evse.station_identity}</p>
      <p class="qr-url">${evse.url}</p>
      <p class="qr-links">
        <a class="button secondary" href="${stickerPath(evse.evse_id, "svg")}" download aria-label="${svgLabel}">SVG</a>
        <a class="button secondary" href="${stickerPath(evse.evse_id, "png")}" download aria-label="${pngLabel}">PNG</a>
      </p>
    </div>
  </li>`;
}

function evseList(evses) {
  return html`<ul class="qr-list">
    ${evses.map(evseCard)}
  </ul>`;
}

function siteSection(site) {
  const sheetLabel = t("Print sheet of {site} (PDF)", { site: site.name });
  const place = [site.name, site.city].filter(Boolean).join(", ");
  return html`<section class="admin-block" aria-labelledby="site-${site.id}">
    <h2 id="site-${site.id}">${place}</h2>
    ${site.evses.length
      ? html`<p>
            <a class="button primary" href="/api/admin/stickers/sites/${site.id}/sheet.pdf" download>${sheetLabel}</a>
          </p>
          ${evseList(site.evses)}`
      : html`<p>${t("No charge points at this site yet.")}</p>`}
  </section>`;
}

function page(nav, overview) {
  const unplaced = t("Charge points without a site");
  return html`${nav}
    <h1 tabindex="-1">${t("QR codes")}</h1>
    <p>
      ${t("Each sticker holds the address of its charge point in the app, with the EVSE ID printed under the code. Print a site's sheet on A4 and cut along the dashed lines.")}
    </p>
    ${overview.sites.map(siteSection)}
    ${overview.without_site.length
      ? html`<section class="admin-block" aria-labelledby="site-none">
          <h2 id="site-none">${unplaced}</h2>
          ${evseList(overview.without_site)}
        </section>`
      : ""}
    ${overview.sites.length || overview.without_site.length ? "" : html`<p>${t("No charge points yet.")}</p>`}`;
}

export async function show({ main, nav, isCurrent }) {
  let overview;
  try {
    overview = await userRequest("/api/admin/stickers");
  } catch (problem) {
    if (!isCurrent()) return undefined;
    renderScreen(main, html`${nav}<h1 tabindex="-1">${t("QR codes")}</h1><p class="error" role="alert">${problem.message}</p>`);
    return undefined;
  }
  if (!isCurrent()) return undefined;
  renderScreen(main, page(nav, overview));
  return undefined;
}
