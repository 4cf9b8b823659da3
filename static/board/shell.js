// Tavolo board client — BoardShell, what every view of a board shares: the connection
// (BoardClient) and its status line, the live region, alerts, the timer, and the render loop
// (at most one render per frame, focus kept across renders). The views extend it:
// BoardView (participant.js: the board and the text view), ConsoleView (console.js) and
// ProjectorView (projector.js).

import { BoardClient, STATUS, makeStore } from "./client.js";
import { Announcer } from "./dialogs.js";
import { count, cssEscape, fill, h, safeStorage, setText } from "./dom.js";
import { TimerView } from "./timer.js";

const STATUS_TEXT = {
  connecting: "Connessione in corso…",
  open: "Connesso",
  lost: "Connessione persa: i contributi restano salvati su questo dispositivo e partiranno appena torna la rete",
  reconnecting: "Connessione persa: i contributi restano salvati su questo dispositivo e partiranno appena torna la rete",
  ended: "Sessione terminata: ricarica la pagina o accedi di nuovo per continuare",
};

export class BoardShell {
  /**
   * root: the #lavagna element; config: its data-config; opts: {readOnly (sends nothing: the
   * projector), timer: TimerView options}.
   */
  constructor(root, config, opts) {
    this.root = root;
    this.config = config;
    this.view = config.view || root.dataset.view || "board";
    this.timerOptions = opts.timer;
    this.storage = safeStorage();
    this.store = makeStore(this.storage);
    // window.WebSocket is read now, not when this module loads: tests may wrap it first.
    this.client = new BoardClient({
      config,
      WebSocket: window.WebSocket,
      storage: this.storage,
      location: window.location,
      readOnly: !!opts.readOnly,
      you: { id: null, name: root.dataset.youName || "", is_facilitator: root.dataset.facilitator === "true" },
    });
    this.renderTimer = null;
  }

  // --- chrome -----------------------------------------------------------------------------

  start() {
    this.root.classList.add(`lv--${this.view}`);
    const live = h("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true", id: "lv-annunci" });
    this.announcer = new Announcer(live);
    this.conn = h("p", { class: "lv-conn", "data-status": "connecting" }, h("span", { class: "lv-conn__dot", "aria-hidden": "true" }), h("span", { class: "lv-conn__text", text: STATUS_TEXT.connecting }), h("span", { class: "lv-conn__retry", hidden: true, text: " Riconnessione…" }), h("span", { class: "lv-conn__queue", hidden: true }));
    this.timerView = new TimerView(this, this.timerOptions);
    this.alerts = h("div", { class: "lv-alerts" });
    this.loading = this.root.querySelector(".lv-loading");
    // What someone did or what happened to their own contribution, shown for a few seconds
    // where everyone can see it (the live region above says it to screen readers).
    this.toast = h("p", { class: "lv-toast", "aria-hidden": "true", hidden: true });
    this.buildChrome();
    this.root.appendChild(live);
    this.root.appendChild(this.toast);
    this.client.on((type, d) => this.onClient(type, d));
    window.addEventListener("online", () => this.client.wentOnline());
    window.addEventListener("offline", () => this.client.wentOffline());
    setInterval(() => {
      if (this.timerView.running()) this.timerView.tick();
    }, 250);
    this.renderConn();
    this.client.start();
  }

  /** Says `text` to screen readers and shows it on screen for a few seconds. */
  notify(text) {
    if (!text) return;
    this.announcer.say(text, true);
    setText(this.toast, text);
    this.toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      this.toast.hidden = true;
    }, 7000);
  }

  /** Puts the status line, the timer and the alerts in the page (each view its own way). */
  buildChrome() {
    throw new Error("a board view builds its chrome");
  }

  onClient(type, d) {
    switch (type) {
      case "status":
        this.renderConn();
        if (d.status === STATUS.lost && d.prev === STATUS.open) this.announcer.say(STATUS_TEXT.lost + ".");
        if (d.status === STATUS.ended) this.showAlert(STATUS_TEXT.ended + ".", "warning");
        break;
      case "welcome":
        if (d.reconnected) this.announcer.say(d.reloaded ? "Di nuovo connesso: lavagna aggiornata." : "Di nuovo connesso.");
        break;
      case "event":
        this.announceEvent(d.rec, d.mine);
        break;
      case "ack":
        this.onAck(d.entry);
        break;
      case "op_error":
        this.onOpError(d);
        break;
      case "queued":
        if (this.client.status !== STATUS.open) this.queuedOffline = true;
        this.renderConn();
        break;
      default:
        break;
    }
    if (this.queuedOffline && !this.client.pending.length && (type === "ack" || type === "event")) {
      this.queuedOffline = false;
      this.announcer.say("Tutto ciò che avevi scritto senza rete è stato inviato.");
    }
    this.schedule();
  }

  // Hooks for the views that speak and send operations (the projector does neither).

  /** Tells screen-reader users about a change made by someone else. */
  announceEvent(_rec, _mine) {}

  /** One of our operations is committed. */
  onAck(_entry) {}

  /** One of our operations was refused: {entry, code, message, fields}. */
  onOpError({ message }) {
    this.showAlert(message);
  }

  schedule() {
    if (this.renderTimer) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = null;
      this.render();
    }, 16);
  }

  renderConn() {
    const s = this.client.status;
    this.conn.dataset.status = s;
    setText(this.conn.querySelector(".lv-conn__text"), STATUS_TEXT[s] || "");
    this.conn.querySelector(".lv-conn__retry").hidden = s !== STATUS.reconnecting;
    const q = this.conn.querySelector(".lv-conn__queue");
    const n = this.client.pending.length;
    q.hidden = !n || this.client.readOnly;
    setText(q, n ? ` · ${count(n, "operazione")} in attesa di invio` : "");
  }

  showAlert(text, kind) {
    fill(this.alerts,
      h(
        "div",
        { class: `notice notice--${kind || "error"} lv-alert`, role: "alert" },
        h("p", { text }),
        h("button", { type: "button", class: "btn btn--link btn--small", text: "Chiudi il messaggio", on: { click: () => fill(this.alerts) } }),
      ),
    );
  }

  get you() {
    return this.client.you || { id: null };
  }

  captureFocus() {
    const a = document.activeElement;
    if (a && this.root.contains(a) && a.dataset && a.dataset.focus) return a.dataset.focus;
    return null;
  }

  restoreFocus(key) {
    if (!key) return;
    const a = document.activeElement;
    if (a && a !== document.body && a !== document.documentElement) return;
    const el = this.root.querySelector(`[data-focus="${cssEscape(key)}"]`);
    if (el && !el.closest("[hidden]")) el.focus({ preventScroll: true });
  }

  // --- rendering --------------------------------------------------------------------------

  render() {
    const vs = this.client.viewState();
    if (!vs) return;
    if (this.loading) {
      this.loading.remove();
      this.loading = null;
    }
    const focusKey = this.captureFocus();
    this.renderConn();
    this.timerView.update(vs.timer);
    this.renderView(vs);
    this.restoreFocus(focusKey);
  }

  /** Shows `vs` (the state with our pending operations) in the view's own regions. */
  renderView(_vs) {
    throw new Error("a board view renders the state");
  }
}
