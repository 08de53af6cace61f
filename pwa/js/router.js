// A tiny router on the History API: a table of path patterns → screen names; links to
// app paths are followed without reloading, everything else (receipts, PDFs, payment
// pages) is left to the browser.

let table = [];
let onRoute = () => {};

export function match(pathname) {
  for (const [pattern, screen] of table) {
    const found = pattern.exec(pathname);
    // An optional part that is absent stays undefined (decodeURIComponent would say "undefined").
    if (found) return { screen, params: found.slice(1).map((part) => part && decodeURIComponent(part)) };
  }
  return null;
}

function dispatch() {
  onRoute(match(location.pathname) || { screen: "scan", params: [] });
}

export function go(path, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", path);
  dispatch();
}

function follow(event) {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button || event.metaKey || event.ctrlKey || event.shiftKey) return;
  if (link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !match(url.pathname)) return;
  event.preventDefault();
  go(url.pathname + url.search);
}

export function startRouter(routes, handler) {
  table = routes;
  onRoute = handler;
  addEventListener("popstate", dispatch);
  document.addEventListener("click", follow);
  dispatch();
}
