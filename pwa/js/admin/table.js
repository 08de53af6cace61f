// A table of admin mode: scrolls sideways on a phone (and can be scrolled by keyboard),
// named for screen readers, rows filled in later into the tbody `bodyId`.

import { html } from "../html.js";

export function adminTable({ label, columns, bodyId, id = "", hidden = false }) {
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${label}" ${id ? html`id="${id}"` : ""} ${hidden ? "hidden" : ""}>
    <table class="admin-table">
      <caption class="visually-hidden">
        ${label}
      </caption>
      <thead>
        <tr>
          ${columns.map((column) => html`<th scope="col">${column}</th>`)}
        </tr>
      </thead>
      <tbody id="${bodyId}"></tbody>
    </table>
  </div>`;
}
