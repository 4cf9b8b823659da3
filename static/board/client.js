// Tavolo board client — the connection: ids, the offline queue and drafts in localStorage, and
// BoardClient (websocket, back-off with jitter, the board loaded over HTTP when the welcome says
// so, events applied in seq order, operations queued before sending and resent after
// reconnecting). No DOM: it runs in node with a fake WebSocket and fetch.
// The protocol is docs/board-protocol.md.

import { apply, emptyState, withPending } from "./model.js";

/** A random id: crypto.randomUUID where available (secure contexts), else getRandomValues. */
function uuid() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Client-chosen ids for cards, comments and themes: [A-Za-z0-9_-]{1,64}. */
export function newId(prefix) {
  return `${prefix}-${uuid().replace(/-/g, "").slice(0, 20)}`;
}

// --- storage: offline queue and drafts (localStorage, tolerant of failures) ------------------

export function makeStore(storage) {
  return {
    get(key, fallback) {
      try {
        const raw = storage && storage.getItem(key);
        return raw ? JSON.parse(raw) : fallback;
      } catch (_) {
        return fallback;
      }
    },
    set(key, value) {
      try {
        if (storage) storage.setItem(key, JSON.stringify(value));
        return true;
      } catch (_) {
        return false; // full or disabled: the in-memory copy still works for this page
      }
    },
    remove(key) {
      try {
        if (storage) storage.removeItem(key);
      } catch (_) {
        /* nothing to do */
      }
    },
  };
}

const pendingKey = (meetingId) => `tavolo:pending:${meetingId}`;
export const draftKey = (meetingId, what) => `tavolo:draft:${meetingId}:${what}`;

// --- BoardClient ------------------------------------------------------------------------------

/** Refusals that wrote nothing and ask to try again (rate limit, storage hiccup). */
const RETRY_CODES = ["rate_limited", "unavailable"];
const MAX_RETRIES = 8;

export const STATUS = {
  connecting: "connecting",
  open: "open",
  lost: "lost",
  reconnecting: "reconnecting",
  ended: "ended",
};

export class BoardClient {
  /**
   * deps: {config, WebSocket, fetch, storage, location, now(), setTimeout, clearTimeout,
   *        random(), you (from the page), readOnly}
   */
  constructor(deps) {
    this.config = deps.config || {};
    this.WS = deps.WebSocket;
    this.fetch = deps.fetch || (typeof fetch === "function" ? (...a) => fetch(...a) : null);
    this.store = makeStore(deps.storage);
    this.location = deps.location || { protocol: "http:", host: "localhost" };
    this.now = deps.now || (() => Date.now());
    this.setTimeout = deps.setTimeout || ((f, ms) => setTimeout(f, ms));
    this.clearTimeout = deps.clearTimeout || ((t) => clearTimeout(t));
    this.random = deps.random || Math.random;
    this.readOnly = !!deps.readOnly;
    this.meetingId = this.config.meeting_id;
    this.you = deps.you ? Object.assign({}, deps.you) : null;
    this.state = null;
    this.lastSeq = 0;
    this.serverOffset = 0;
    this.presence = [];
    this.status = STATUS.connecting;
    this.everConnected = false;
    this.ws = null;
    this.welcomed = false;
    // While the board loads over HTTP: the welcome, and the events that arrive meanwhile.
    this.loading = null;
    this.etag = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.stopped = false;
    this.listeners = [];
    // Acked ops whose event has not been applied yet: kept in the overlay until then.
    this.acked = new Map();
    this.pending = this.readOnly ? [] : this.store.get(pendingKey(this.meetingId), []);
    if (!Array.isArray(this.pending)) this.pending = [];
    this.pending = this.pending.filter((p) => p && p.op_id && p.op);
  }

  on(fn) {
    this.listeners.push(fn);
  }

  emit(type, detail) {
    for (const fn of this.listeners) {
      try {
        fn(type, detail || {});
      } catch (e) {
        console.error(e);
      }
    }
  }

  url() {
    const path = this.config.ws_url || `/ws/meetings/${this.meetingId}`;
    if (/^wss?:\/\//.test(path)) return path;
    const proto = this.location.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${this.location.host}${path}`;
  }

  serverNow() {
    return this.now() + this.serverOffset;
  }

  setStatus(s) {
    if (this.status === s) return;
    const prev = this.status;
    this.status = s;
    this.emit("status", { status: s, prev });
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.clearTimeout(this.retryTimer);
    if (this.ws) {
      try {
        this.ws.close(1000);
      } catch (_) {
        /* closed already */
      }
    }
  }

  connect() {
    if (this.stopped) return;
    this.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.welcomed = false;
    this.loading = null;
    let ws;
    try {
      ws = new this.WS(this.url());
    } catch (_) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      ws.send(JSON.stringify({ type: "hello", last_seq: this.lastSeq }));
    };
    ws.onmessage = (m) => {
      if (this.ws !== ws) return;
      let frame;
      try {
        frame = JSON.parse(m.data);
      } catch (_) {
        return;
      }
      this.handle(frame);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.welcomed = false;
      this.loading = null;
      this.onClosed(e && e.code);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  onClosed(code) {
    if (this.stopped) return;
    if (code === 4001) {
      this.stopped = true;
      this.setStatus(STATUS.ended);
      return;
    }
    this.setStatus(this.everConnected ? STATUS.lost : STATUS.connecting);
    this.scheduleReconnect();
  }

  /** Exponential back-off 0.5 s → 10 s with jitter (half fixed, half random). */
  backoffDelay() {
    const base = Math.min(10000, 500 * Math.pow(2, this.attempt));
    return Math.round(base / 2 + this.random() * (base / 2));
  }

  scheduleReconnect(immediate) {
    if (this.stopped || this.retryTimer) return;
    const delay = immediate ? Math.round(this.random() * 250) : this.backoffDelay();
    this.attempt = Math.min(this.attempt + 1, 10);
    this.retryTimer = this.setTimeout(() => {
      this.retryTimer = null;
      if (this.everConnected) this.setStatus(STATUS.reconnecting);
      this.connect();
    }, delay);
  }

  /** Drops the current socket and reconnects soon with hello{last_seq}. */
  reconnectNow() {
    const ws = this.ws;
    this.ws = null;
    this.welcomed = false;
    this.loading = null;
    if (ws) {
      try {
        ws.close(1000);
      } catch (_) {
        /* closed already */
      }
    }
    if (this.everConnected && this.status === STATUS.open) this.setStatus(STATUS.reconnecting);
    this.scheduleReconnect(true);
  }

  /** The browser says the network is gone: stop trusting the socket. */
  wentOffline() {
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try {
        ws.close(1000);
      } catch (_) {
        /* closed already */
      }
      this.onClosed(1006);
    }
  }

  /** The browser says the network is back: try at once. */
  wentOnline() {
    if (!this.ws && !this.stopped) {
      this.clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.attempt = 0;
      this.connect();
    }
  }

  handle(frame) {
    switch (frame.type) {
      case "welcome":
        return this.onWelcome(frame);
      case "event":
        return this.onEvent(frame);
      case "ack":
        return this.onAck(frame);
      case "error":
        return this.onError(frame);
      case "presence":
        // Facilitators and the projector receive the list; participants only the count and
        // read the list over HTTP when they open it (see BoardView.loadPresence).
        this.presenceListed = Array.isArray(frame.people);
        if (this.presenceListed) this.presence = frame.people;
        this.presenceCount = typeof frame.count === "number" ? frame.count : this.presence.length;
        return this.emit("presence", { people: this.presence, count: this.presenceCount });
      case "resync":
        return this.reconnectNow();
      default:
        return undefined;
    }
  }

  onWelcome(f) {
    if (typeof f.server_time === "number") this.serverOffset = f.server_time - this.now();
    if (f.you) this.you = Object.assign({}, this.you || {}, f.you);
    if (f.load) {
      // The board is too large for the welcome: read it over HTTP, keeping the events that
      // arrive meanwhile, then go on from the state's seq.
      this.loading = { welcome: f, events: [], ws: this.ws, tries: 0 };
      this.loadState(this.loading);
      return;
    }
    this.welcomeDone(f, f.state || null);
  }

  stateUrl() {
    return this.config.state_url || `/api/v1/meetings/${this.meetingId}/board`;
  }

  /** GET the board; a state older than the welcome is asked again (another instance lagging). */
  async loadState(loading) {
    const current = () => this.loading === loading && this.ws === loading.ws;
    let res;
    try {
      const headers = { accept: "application/json" };
      if (this.etag && this.state) headers["if-none-match"] = this.etag;
      res = await this.fetch(this.stateUrl(), { credentials: "same-origin", headers });
    } catch (_) {
      res = null;
    }
    if (!current()) return;
    if (res && (res.status === 401 || res.status === 403)) {
      // Access ended between the socket and the request: as a 4001 close.
      this.loading = null;
      const ws = this.ws;
      this.ws = null;
      if (ws) {
        try {
          ws.close(1000);
        } catch (_) {
          /* closed already */
        }
      }
      this.onClosed(4001);
      return;
    }
    let state = null;
    if (res && res.status === 304) state = this.state;
    else if (res && res.ok) {
      try {
        state = await res.json();
      } catch (_) {
        state = null;
      }
      if (!current()) return;
      if (state) this.etag = (res.headers && res.headers.get && res.headers.get("etag")) || null;
    }
    const seq = state && typeof state.seq === "number" ? state.seq : -1;
    if (!state || seq < (loading.welcome.seq || 0)) {
      loading.tries += 1;
      if (loading.tries > 3 || !state) {
        // Give up on this socket: reconnect later and ask again.
        const ws = this.ws;
        this.ws = null;
        this.loading = null;
        if (ws) {
          try {
            ws.close(1000);
          } catch (_) {
            /* closed already */
          }
        }
        this.onClosed(1006);
        return;
      }
      this.setTimeout(() => {
        if (current()) this.loadState(loading);
      }, 100 * loading.tries);
      return;
    }
    this.loading = null;
    this.welcomeDone(loading.welcome, state);
    // The events that arrived during the load, those after the state's seq only.
    for (const ev of loading.events) {
      if (this.ws !== loading.ws) break;
      this.onEvent(ev);
    }
  }

  /** The board is here (a fresh `state`, or null: the missed events follow). */
  welcomeDone(f, state) {
    this.welcomed = true;
    this.attempt = 0;
    const reloaded = !!state;
    if (state) {
      this.state = state;
      this.lastSeq = typeof state.seq === "number" ? state.seq : f.seq || 0;
      this.acked.clear();
    } else if (!this.state) {
      // The protocol promises a state for a fresh page; stay safe if it is missing.
      this.state = emptyState(this.meetingId);
    }
    const wasEver = this.everConnected;
    this.everConnected = true;
    this.setStatus(STATUS.open);
    this.emit("welcome", { reloaded, reconnected: wasEver });
    this.flush();
  }

  onEvent(f) {
    if (this.loading) {
      this.loading.events.push(f);
      return;
    }
    if (!this.welcomed || !this.state) return;
    if (typeof f.seq !== "number" || f.seq <= this.lastSeq) return; // already applied
    if (f.seq !== this.lastSeq + 1) {
      // A gap: ask again from what we have.
      this.reconnectNow();
      return;
    }
    apply(this.state, f);
    this.lastSeq = f.seq;
    let mine = false;
    if (f.op_id) {
      if (this.acked.has(f.op_id)) {
        this.acked.delete(f.op_id);
        mine = true;
      }
      const i = this.pending.findIndex((p) => p.op_id === f.op_id);
      if (i >= 0) {
        this.pending.splice(i, 1);
        this.savePending();
        mine = true;
      }
    }
    if (this.you && f.actor && f.actor.id === this.you.id) mine = true;
    // Acked ops whose event is now applied leave the overlay.
    for (const [opId, v] of this.acked) if (v.seq <= this.lastSeq) this.acked.delete(opId);
    this.emit("event", { rec: f, mine });
  }

  onAck(f) {
    const i = this.pending.findIndex((p) => p.op_id === f.op_id);
    if (i < 0) return;
    const entry = this.pending[i];
    this.pending.splice(i, 1);
    this.savePending();
    if (typeof f.seq === "number" && f.seq > this.lastSeq) this.acked.set(f.op_id, { entry, seq: f.seq });
    this.emit("ack", { entry, seq: f.seq });
  }

  onError(f) {
    const i = this.pending.findIndex((p) => p.op_id === f.op_id);
    const entry = i >= 0 ? this.pending[i] : null;
    if (entry && RETRY_CODES.indexOf(f.code) >= 0 && (entry.retries || 0) < MAX_RETRIES) {
      // Nothing was written and the server says to try again: keep the op, resend soon.
      entry.retries = (entry.retries || 0) + 1;
      this.savePending();
      const delay = Math.min(10000, 500 * Math.pow(2, entry.retries)) * (0.5 + this.random() / 2);
      this.setTimeout(() => {
        if (this.ws && this.welcomed && this.pending.indexOf(entry) >= 0) this.sendEntry(entry);
      }, delay);
      this.emit("retrying", { entry, code: f.code, message: f.message });
      return;
    }
    if (i >= 0) {
      this.pending.splice(i, 1);
      this.savePending();
    }
    this.emit("op_error", {
      entry,
      code: f.code,
      message: f.message || "Operazione non riuscita.",
      fields: Array.isArray(f.fields) ? f.fields : [],
    });
  }

  savePending() {
    if (this.readOnly) return;
    if (this.pending.length) this.store.set(pendingKey(this.meetingId), this.pending);
    else this.store.remove(pendingKey(this.meetingId));
  }

  /** Queues an operation (stored before sending) and sends it when connected. */
  send(op, ctx) {
    if (this.readOnly) return null;
    const entry = { op_id: uuid(), op, ctx: ctx || null, at: this.serverNow() };
    this.pending.push(entry);
    this.savePending();
    if (this.ws && this.welcomed) this.sendEntry(entry);
    this.emit("queued", { entry });
    return entry.op_id;
  }

  sendEntry(entry) {
    try {
      this.ws.send(JSON.stringify({ type: "op", op_id: entry.op_id, op: entry.op }));
    } catch (_) {
      /* resent after reconnecting */
    }
  }

  /** Resends every unacknowledged op, in order (the server dedups by op_id). */
  flush() {
    if (!this.ws || !this.welcomed) return;
    for (const entry of this.pending.slice()) this.sendEntry(entry);
  }

  /** Ops still shown optimistically: pending ones and acked ones whose event is not here. */
  overlay() {
    const out = this.pending.slice();
    for (const [, v] of this.acked) out.push(v.entry);
    return out;
  }

  viewState() {
    return withPending(this.state, this.overlay(), this.you, this.serverNow());
  }
}
