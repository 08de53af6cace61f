// Bar charts as inline SVG, drawn here (no chart library). Every chart is an image with a
// title and a one-sentence summary for screen readers, and comes with the same numbers
// as a table (the caller shows it under the chart), so nothing is only in the picture.

import { html } from "../html.js";

let counter = 0;

// bars: [{ label, value, text }] — `text` is the formatted value shown next to the bar.
// Horizontal bars with the label above each: readable at 360 px however many there are.
export function barChart({ title, summary, bars, max }) {
  counter += 1;
  const id = `chart-${counter}`;
  const top = max ?? Math.max(0, ...bars.map((bar) => bar.value));
  const row = 38;
  const height = bars.length * row + 4;
  const shapes = bars.map((bar, index) => {
    const width = top > 0 ? Math.max(0, (bar.value / top) * 200) : 0;
    const y = index * row;
    return html`<text x="0" y="${y + 13}" class="chart-label">${bar.label}</text>
      <rect x="0" y="${y + 18}" width="${width.toFixed(1)}" height="14" class="chart-bar" rx="2"></rect>
      <text x="${(width + 6).toFixed(1)}" y="${y + 30}" class="chart-value">${bar.text}</text>`;
  });
  return html`<figure class="chart">
    <svg viewBox="0 0 320 ${height}" role="img" aria-labelledby="${id}-title ${id}-desc">
      <title id="${id}-title">${title}</title>
      <desc id="${id}-desc">${summary}</desc>
      ${shapes}
    </svg>
  </figure>`;
}

// Columns for a series along the month (energy per day): one column a day.
export function columnChart({ title, summary, columns }) {
  counter += 1;
  const id = `chart-${counter}`;
  const top = Math.max(0, ...columns.map((column) => column.value));
  const step = 100 / Math.max(1, columns.length);
  const shapes = columns.map((column, index) => {
    const height = top > 0 ? (column.value / top) * 40 : 0;
    return html`<rect
        x="${(index * step + step * 0.15).toFixed(2)}"
        y="${(42 - height).toFixed(2)}"
        width="${(step * 0.7).toFixed(2)}"
        height="${height.toFixed(2)}"
        class="chart-bar"
      ></rect>
      ${index % 5 === 0 ? html`<text x="${(index * step + step / 2).toFixed(2)}" y="48" class="chart-axis">${column.label}</text>` : ""}`;
  });
  return html`<figure class="chart">
    <svg viewBox="0 0 100 50" role="img" aria-labelledby="${id}-title ${id}-desc">
      <title id="${id}-title">${title}</title>
      <desc id="${id}-desc">${summary}</desc>
      <line x1="0" y1="42" x2="100" y2="42" class="chart-baseline"></line>
      ${shapes}
    </svg>
  </figure>`;
}
