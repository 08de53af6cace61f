// The operator's brand (from the API, never built in): colours as CSS custom properties,
// with text colours chosen for enough contrast (WCAG AA, 4.5:1) on and against them.

import { html, render, safeUrl } from "./html.js";

export const NEUTRAL = { name: "", primary_color: "#1f2937", accent_color: "#1f2937", logo_url: "" };

function channels(hex) {
  const value = /^#[0-9a-f]{6}$/i.test(hex) ? hex : "#1f2937";
  return [1, 3, 5].map((start) => parseInt(value.slice(start, start + 2), 16));
}

function luminance(rgb) {
  const [r, g, b] = rgb.map((channel) => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

const WHITE = [255, 255, 255];
const INK = [17, 24, 39];
const hex = (rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;

// Text on the brand colour: white or near-black, whichever reads better.
const onColor = (rgb) => (contrast(rgb, WHITE) >= contrast(rgb, INK) ? "#ffffff" : hex(INK));

// The brand colour as text or outline on white: darkened until it reaches 4.5:1.
function asInk(rgb) {
  let color = rgb;
  for (let step = 0; step < 20 && contrast(color, WHITE) < 4.5; step += 1) {
    color = color.map((c) => c * 0.9);
  }
  return hex(color);
}

const LAST = "cpo.brand";

// Before any charger is opened (the start screen, offline): the brand seen last.
export function lastBrand() {
  try {
    return JSON.parse(localStorage.getItem(LAST));
  } catch {
    return null;
  }
}

export function applyBrand(brand, { keep = true } = {}) {
  const chosen = brand || NEUTRAL;
  if (keep && brand) {
    try {
      localStorage.setItem(LAST, JSON.stringify(chosen));
    } catch {
      // Not kept: the next start looks neutral until a charger is opened.
    }
  }
  const style = document.documentElement.style;
  const primary = channels(chosen.primary_color);
  const accent = channels(chosen.accent_color);
  style.setProperty("--brand", hex(primary));
  style.setProperty("--on-brand", onColor(primary));
  style.setProperty("--brand-ink", asInk(primary));
  style.setProperty("--accent", hex(accent));
  style.setProperty("--on-accent", onColor(accent));
  document.querySelector('meta[name="theme-color"]')?.setAttribute("content", hex(primary));
  const logo = safeUrl(chosen.logo_url);
  render(
    document.getElementById("brand"),
    logo ? html`<img src="${logo}" alt="${chosen.name}" height="32" />` : html`<span>${chosen.name}</span>`,
  );
}

// The installed app takes the brand of the charger it was opened at.
export function pointManifestAt(evseId) {
  const link = document.querySelector('link[rel="manifest"]');
  if (link) link.href = `/manifest.webmanifest?evse=${encodeURIComponent(evseId)}`;
}
