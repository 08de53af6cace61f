// The start (/ and /scan): scan the charge point's QR code with the camera, where the
// browser can read codes (BarcodeDetector), or type the ID printed next to it.

import { html, renderScreen } from "../html.js";
import { t } from "../i18n.js";
import { go } from "../router.js";
import { activeSession } from "../store.js";

// What a code or an entry may hold: our link (https://host/c/DE*ABC*E0001*1) or the ID.
export function evseIdFrom(text) {
  const value = String(text).trim();
  const link = /\/c\/([^/?#]+)/.exec(value);
  const id = link ? decodeURIComponent(link[1]) : value;
  return id.replace(/\s+/g, "").toUpperCase();
}

const canScan = () => "BarcodeDetector" in window && Boolean(navigator.mediaDevices?.getUserMedia);

function openSession() {
  const active = activeSession();
  if (!active) return "";
  const text = active.stationName
    ? t("Your session at {station} is still open. Show it", { station: active.stationName })
    : t("Your session is still open. Show it");
  return html`<p class="notice"><a href="/s/${encodeURIComponent(active.token)}">${text}</a></p>`;
}

function page() {
  return html` ${openSession()}
    <h1 tabindex="-1">${t("Start charging")}</h1>
    <p>${t("Scan the QR code on the charge point, or enter the ID printed next to it.")}</p>
    ${
      canScan()
        ? html`<p><button class="button primary" type="button" data-scan>${t("Scan QR code")}</button></p>
            <div class="camera" hidden>
              <video muted playsinline></video>
              <p role="status" data-scan-status></p>
              <button class="button secondary" type="button" data-scan-stop>${t("Stop camera")}</button>
            </div>`
        : html`<p class="muted">
            ${t("This browser cannot read QR codes here. Use your phone's camera app, or enter the ID.")}
          </p>`
    }
    <form class="pay" id="enter">
      <label for="evse-id">${t("Charge point ID")}</label>
      <input
        id="evse-id"
        name="evseId"
        required
        autocomplete="off"
        autocapitalize="characters"
        spellcheck="false"
        placeholder="DE*ABC*E0001*1"
        aria-describedby="evse-id-hint"
      />
      <p class="muted" id="evse-id-hint">${t("You find it on the sticker, for example DE*ABC*E0001*1.")}</p>
      <button class="button ${canScan() ? "secondary" : "primary"}">${t("Show price")}</button>
    </form>`;
}

async function scan(main) {
  const box = main.querySelector(".camera");
  const video = box.querySelector("video");
  const status = box.querySelector("[data-scan-status]");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    status.textContent = t("The camera is not available. Please enter the ID instead.");
    box.hidden = false;
    return () => {};
  }
  box.hidden = false;
  video.srcObject = stream;
  await video.play();
  status.textContent = t("Point the camera at the QR code.");
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  let running = true;
  const stop = () => {
    running = false;
    stream.getTracks().forEach((track) => track.stop());
    box.hidden = true;
  };
  const look = async () => {
    if (!running) return;
    const [code] = await detector.detect(video).catch(() => []);
    if (code) {
      stop();
      go(`/c/${encodeURIComponent(evseIdFrom(code.rawValue))}`);
    } else {
      setTimeout(look, 250);
    }
  };
  look();
  box.querySelector("[data-scan-stop]").onclick = stop;
  return stop;
}

export function show({ main }) {
  document.title = t("Start charging");
  renderScreen(main, page());
  let stopCamera = () => {};
  main.querySelector("[data-scan]")?.addEventListener("click", async () => {
    stopCamera();
    stopCamera = await scan(main);
  });
  main.querySelector("#enter").addEventListener("submit", (event) => {
    event.preventDefault();
    const evseId = evseIdFrom(event.target.evseId.value);
    if (evseId) go(`/c/${encodeURIComponent(evseId)}`);
  });
  return () => stopCamera();
}
