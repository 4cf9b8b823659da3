// Tavolo — the live co-programming board (lavagna), browser side: the entry module.
//
// Native ES modules, no build step, no framework; loaded by templates/board/*.html with
// <script type="module"> under the versioned static prefix (src/assets.rs), so the relative
// imports below are versioned too. The page gives a root element `#lavagna` with `data-config`
// (JSON: the page's addresses plus the board's rules from src/domain/board_config.rs) and
// `data-view` ("board" | "list" | "console" | "projector"). The protocol is
// docs/board-protocol.md.
//
// Modules: model.js (state, fold, optimistic overlay; pure), client.js (socket, offline queue),
// fields.js (card field definitions from the config; pure), dom.js, dialogs.js, forms.js,
// card.js, timer.js, shell.js (what every view shares), participant.js (board and text view),
// console.js, projector.js.
//
// `window.tavoloBoard` is a read-only hook for the browser checks (.ci/browser/board.mjs).

import { ConsoleView } from "./console.js";
import { h, setTimeZone } from "./dom.js";
import { deepClone } from "./model.js";
import { BoardView } from "./participant.js";
import { ProjectorView } from "./projector.js";

const VIEWS = { console: ConsoleView, projector: ProjectorView };

function boot() {
  const root = document.getElementById("lavagna");
  if (!root || root.dataset.started) return;
  root.dataset.started = "true";
  let config;
  try {
    config = JSON.parse(root.dataset.config || "{}");
  } catch (_) {
    root.appendChild(h("p", { class: "notice notice--error", text: "Configurazione della lavagna non valida: ricarica la pagina." }));
    return;
  }
  setTimeZone(config.timezone);
  const view = config.view || root.dataset.view || "board";
  const ui = new (VIEWS[view] || BoardView)(root, config);
  ui.start();
  const hook = {};
  Object.defineProperties(hook, {
    state: { get: () => deepClone(ui.client.state), enumerable: true },
    viewState: { get: () => deepClone(ui.client.viewState()), enumerable: true },
    lastSeq: { get: () => ui.client.lastSeq, enumerable: true },
    pending: { get: () => deepClone(ui.client.pending), enumerable: true },
    status: { get: () => ui.client.status, enumerable: true },
    you: { get: () => deepClone(ui.client.you), enumerable: true },
  });
  window.tavoloBoard = Object.freeze(hook);
}

// Module scripts run after the document is parsed; the check keeps boot safe anyway.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
