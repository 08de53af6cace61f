// The service worker: keeps the app shell (HTML, CSS, JS, icons) so that the app starts
// without signal. It never stores or answers API calls (/api/), receipts (/r/) or anything
// of the payment providers: those always go to the network, untouched.
// VERSION and SHELL are prepended by the server (api/pwa.py).

const APP_PATHS = /^\/(?:|scan|history|offline|account(?:\/[a-z-]+)?|login|admin(?:\/.*)?|c\/[^/]+(?:\/problem)?|s\/[^/]+|t\/[^/]+)$/;
// On one bar of signal a fresh page is worth a short wait, not a long one.
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== VERSION).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

// Pages: the network when it answers soon, else the kept shell (it routes on the client).
async function page(request) {
  const cache = await caches.open(VERSION);
  const network = fetch(request);
  network.catch(() => {}); // answered below, or superseded by the kept shell
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS));
  try {
    const response = await Promise.race([network, timeout]);
    if (response && response.ok) return response;
  } catch {
    // Offline: the kept shell below.
  }
  return (await cache.match("/")) || network;
}

// Versioned files never change: the kept copy, else the network.
async function file(request) {
  return (await caches.match(request)) || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== location.origin) return;
  if (request.mode === "navigate" && APP_PATHS.test(url.pathname)) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith(`/app/${VERSION}/`)) {
    event.respondWith(file(request));
  }
});
