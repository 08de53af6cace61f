// Markup from tagged templates: every interpolated value is escaped unless it is itself
// markup made here, so API data (station names, messages) can never inject HTML.

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

class Markup {
  constructor(text) {
    this.text = text;
  }

  toString() {
    return this.text;
  }
}

function piece(value) {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(piece).join("");
  return String(value).replace(/[&<>"']/g, (character) => ENTITIES[character]);
}

export function html(strings, ...values) {
  let text = strings[0];
  values.forEach((value, index) => {
    text += piece(value) + strings[index + 1];
  });
  return new Markup(text);
}

export function render(target, markup) {
  target.innerHTML = piece(markup);
}

// A new screen (or a new phase of one): screen readers start at its heading.
export function renderScreen(main, markup) {
  render(main, markup);
  main.querySelector("h1")?.focus();
}

// Links the app builds from API data: only our own paths and HTTPS (a logo, say).
export function safeUrl(url) {
  return /^(https:\/\/|\/(?!\/))/.test(url || "") ? url : "";
}
