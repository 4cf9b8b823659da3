// Tavolo — the live co-programming board (lavagna), browser side.
//
// One vanilla ES2020 file, no build step, no framework. The page gives a root element
// `#lavagna` with `data-config` (JSON, see templates/board/*.html) and `data-view`
// ("board" | "list" | "console" | "projector"). The protocol is docs/board-protocol.md; the
// state model mirrors `apply()` in src/domain/board.rs exactly.
//
// Sections:
//   1. Constants and pure helpers
//   2. State + apply (mirror of board.rs)
//   3. Optimistic overlay of our own pending operations
//   4. Storage: offline queue and drafts
//   5. Connection (BoardClient): websocket, back-off, seq order, queue flushing
//   6. DOM helpers
//   7. A11y announcements (throttled polite live region)
//   8. Dialogs
//   9. Card forms (build, read, validate, errors, drafts)
//  10. Card rendering (keyed, updated in place)
//  13. Timer (defined before the views that use it)
//  11. Views: board, list, console (BoardUI), announcements of remote changes
//  12. Facilitator controls, then the projector view
//  14. Boot and test hook (window.tavoloBoard)
//
// The pure parts (sections 1–5) run in node too: `require("static/board.js")` returns them.
(function (global) {
  "use strict";

  // ==========================================================================
  // 1. Constants and pure helpers
  // ==========================================================================

  /** Participant rules of the well-known phases (board.rs `phase_rules`); the page's
   *  config.phase_rules wins when present. */
  const DEFAULT_PHASE_RULES = {
    preparazione: { permissions: [], budget: 0 },
    raccolta: { permissions: ["add_card", "edit_own_card", "comment"], budget: 0 },
    raggruppamento: { permissions: ["comment"], budget: 0 },
    voto: { permissions: ["vote", "comment"], budget: 5 },
    sintesi: { permissions: ["comment"], budget: 0 },
    chiuso: { permissions: [], budget: 0 },
  };
  const UNKNOWN_PHASE_RULES = { permissions: ["comment"], budget: 0 };

  const DEFAULT_PHASE_LABELS = {
    preparazione: "Preparazione",
    raccolta: "Raccolta dei contributi",
    raggruppamento: "Raggruppamento",
    voto: "Voto delle priorità",
    sintesi: "Sintesi",
    chiuso: "Chiuso",
  };

  const ANONYMOUS_ID = "anonimo";
  const OTHERS_VOTES = "*";

  function phaseRules(config, phase) {
    const fromConfig = config && config.phase_rules && config.phase_rules[phase];
    if (fromConfig) {
      return {
        permissions: Array.isArray(fromConfig.permissions) ? fromConfig.permissions : [],
        budget: typeof fromConfig.budget === "number" ? fromConfig.budget : 0,
      };
    }
    return DEFAULT_PHASE_RULES[phase] || UNKNOWN_PHASE_RULES;
  }

  function phaseLabel(config, phase) {
    const labels = (config && config.phase_labels) || {};
    if (labels[phase]) return labels[phase];
    if (DEFAULT_PHASE_LABELS[phase]) return DEFAULT_PHASE_LABELS[phase];
    const p = String(phase || "");
    return p.charAt(0).toUpperCase() + p.slice(1);
  }

  /** The one-line title of a card's content (CardContent::title). */
  function cardTitle(content) {
    if (!content) return "";
    switch (content.card_type) {
      case "proposta":
        return content.title || "";
      case "indicatore":
        return content.name || "";
      default:
        return content.text || "";
    }
  }

  function isActive(card) {
    return !!card && !!card.state && card.state.state === "active";
  }

  function totalVotes(card) {
    let n = 0;
    for (const k in card.votes || {}) n += card.votes[k] || 0;
    return n;
  }

  function votesOf(card, voterId) {
    return (card.votes && card.votes[voterId]) || 0;
  }

  /** BoardState::vote_budget */
  function voteBudget(state, config, phase) {
    const set = state.vote_budgets || {};
    if (Object.prototype.hasOwnProperty.call(set, phase)) return set[phase];
    return phaseRules(config, phase).budget;
  }

  /** BoardState::votes_spent */
  function votesSpent(state, phase, voter) {
    const m = state.spent && state.spent[phase];
    return (m && m[voter]) || 0;
  }

  function isFacilitator(you) {
    return !!you && (you.is_facilitator || you.kind === "facilitator" || you.kind === "organiser");
  }

  /** What `you` may do now: mirror of BoardState::participant_may (the server decides). */
  function may(state, config, you, permission) {
    if (!state || !you || you.read_only) return false;
    if (isFacilitator(you)) return true;
    if (state.locked) return false;
    return phaseRules(config, state.phase).permissions.indexOf(permission) >= 0;
  }

  /** Active cards in board order. */
  function activeCards(state) {
    const out = [];
    for (const id of state.card_order || []) {
      const c = state.cards[id];
      if (c && isActive(c)) out.push(c);
    }
    return out;
  }

  function deepClone(x) {
    if (x === undefined || x === null) return x;
    if (typeof structuredClone === "function") return structuredClone(x);
    return JSON.parse(JSON.stringify(x));
  }

  /** A random id: crypto.randomUUID where available (secure contexts), else getRandomValues. */
  function uuid() {
    const c = global.crypto || (typeof require === "function" ? safeRequireCrypto() : null);
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    const b = new Uint8Array(16);
    if (c && typeof c.getRandomValues === "function") c.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  function safeRequireCrypto() {
    try {
      return require("crypto").webcrypto || null;
    } catch (_) {
      return null;
    }
  }

  /** Client-chosen ids for cards, comments and themes: [A-Za-z0-9_-]{1,64}. */
  function newId(prefix) {
    return `${prefix}-${uuid().replace(/-/g, "").slice(0, 20)}`;
  }

  // ==========================================================================
  // 2. State + apply — an exact mirror of `apply()` in src/domain/board.rs, plus the
  //    public variants participants receive (redacted, card_removed, cards_revealed).
  // ==========================================================================

  function setCardState(state, cardId, newState, at) {
    const c = state.cards[cardId];
    if (c) {
      c.state = newState;
      c.updated_at = at;
    }
    if (state.spotlight === cardId) state.spotlight = null;
  }

  function ensure(obj, key, init) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) obj[key] = init;
    return obj[key];
  }

  /** Inserts a full card (cards_revealed) keeping card_order sorted by creation. A card we
   *  already had (our own, seen before it was revealed) keeps our votes and our name. */
  function insertCard(state, card) {
    const existing = state.cards[card.id];
    if (existing) {
      const votes = Object.assign({}, card.votes || {});
      let own = 0;
      for (const k in existing.votes || {}) {
        if (k === OTHERS_VOTES) continue;
        votes[k] = existing.votes[k];
        own += existing.votes[k];
      }
      if (own && votes[OTHERS_VOTES] !== undefined) {
        const others = Math.max(0, votes[OTHERS_VOTES] - own);
        if (others) votes[OTHERS_VOTES] = others;
        else delete votes[OTHERS_VOTES];
      }
      card.votes = votes;
      if (card.author && card.author.id === ANONYMOUS_ID && existing.author && existing.author.id !== ANONYMOUS_ID) {
        card.author = existing.author;
      }
    }
    state.cards[card.id] = card;
    if (existing) return;
    const order = state.card_order;
    let i = order.length;
    while (i > 0) {
      const prev = state.cards[order[i - 1]];
      if (!prev || (prev.created_seq || 0) <= (card.created_seq || 0)) break;
      i--;
    }
    order.splice(i, 0, card.id);
  }

  /**
   * Applies one event record `{seq, op_id, actor, at, event}` to `state`, in place.
   * Events that no longer fit leave the state unchanged, as in board.rs.
   */
  function apply(state, rec) {
    state.seq = rec.seq;
    const at = rec.at;
    const ev = rec.event || {};
    const actor = rec.actor || { id: "", name: "" };
    state.cards = state.cards || {};
    state.card_order = state.card_order || [];
    state.groups = state.groups || {};
    state.spent = state.spent || {};
    state.vote_budgets = state.vote_budgets || {};
    state.history = state.history || [];
    switch (ev.kind) {
      case "card_added": {
        if (state.cards[ev.card_id]) return;
        state.card_order.push(ev.card_id);
        state.cards[ev.card_id] = {
          id: ev.card_id,
          column: ev.column,
          content: deepClone(ev.content),
          author: deepClone(actor),
          on_behalf_of: ev.on_behalf_of ? deepClone(ev.on_behalf_of) : null,
          anonymous: !!ev.anonymous,
          state: { state: "active" },
          group: null,
          votes: {},
          comments: [],
          revealed: !!ev.revealed,
          created_seq: rec.seq,
          created_at: at,
          updated_at: at,
          carried_from: null,
          merged: [],
        };
        return;
      }
      case "card_edited": {
        const c = state.cards[ev.card_id];
        if (c) {
          c.content = deepClone(ev.content);
          c.updated_at = at;
        }
        return;
      }
      case "card_withdrawn":
        setCardState(state, ev.card_id, { state: "withdrawn" }, at);
        return;
      case "voted": {
        const c = state.cards[ev.card_id];
        if (c) {
          c.votes = c.votes || {};
          c.votes[actor.id] = (c.votes[actor.id] || 0) + 1;
          // Someone else's vote ("*") counts on the card but is not a voter of ours.
          if (actor.id !== OTHERS_VOTES) {
            const m = ensure(state.spent, ev.phase, {});
            m[actor.id] = (m[actor.id] || 0) + 1;
          }
        }
        return;
      }
      case "unvoted": {
        const c = state.cards[ev.card_id];
        if (c) {
          c.votes = c.votes || {};
          if (Object.prototype.hasOwnProperty.call(c.votes, actor.id)) {
            const v = Math.max(0, (c.votes[actor.id] || 0) - 1);
            if (v === 0) delete c.votes[actor.id];
            else c.votes[actor.id] = v;
          }
          const m = state.spent[ev.phase];
          if (m && Object.prototype.hasOwnProperty.call(m, actor.id)) {
            m[actor.id] = Math.max(0, m[actor.id] - 1);
          }
        }
        return;
      }
      case "commented": {
        const c = state.cards[ev.card_id];
        if (c) {
          c.comments = c.comments || [];
          c.comments.push({ id: ev.comment_id, author: deepClone(actor), text: ev.text, at });
        }
        return;
      }
      case "phase_set":
        state.phase = ev.phase;
        state.history.push({ phase: ev.phase, at, by: actor.name });
        return;
      case "locked":
        state.locked = !!ev.locked;
        return;
      case "card_hidden":
        setCardState(state, ev.card_id, { state: "hidden", reason: ev.reason, by: actor.name }, at);
        return;
      case "card_restored":
        setCardState(state, ev.card_id, { state: "active" }, at);
        return;
      case "cards_merged": {
        const movedVotes = {};
        const movedComments = [];
        for (const id of ev.cards || []) {
          const c = state.cards[id];
          if (c) {
            c.state = { state: "merged", into: ev.into };
            for (const voter in c.votes || {}) {
              movedVotes[voter] = (movedVotes[voter] || 0) + c.votes[voter];
            }
            c.votes = {};
            for (const cm of c.comments || []) movedComments.push(cm);
            c.comments = [];
          }
        }
        const target = state.cards[ev.into];
        if (target) {
          target.votes = target.votes || {};
          for (const voter of Object.keys(movedVotes).sort()) {
            target.votes[voter] = (target.votes[voter] || 0) + movedVotes[voter];
          }
          target.comments = (target.comments || []).concat(movedComments);
          target.merged = (target.merged || []).concat(ev.cards || []);
        }
        if (state.spotlight && (ev.cards || []).indexOf(state.spotlight) >= 0) {
          state.spotlight = ev.into;
        }
        return;
      }
      case "group_created":
        state.groups[ev.group_id] = { id: ev.group_id, title: ev.title, column: ev.column };
        return;
      case "group_renamed": {
        const g = state.groups[ev.group_id];
        if (g) g.title = ev.title;
        return;
      }
      case "card_grouped": {
        const c = state.cards[ev.card_id];
        if (c) c.group = ev.group_id === undefined ? null : ev.group_id;
        return;
      }
      case "card_moved": {
        const c = state.cards[ev.card_id];
        if (c && c.column !== ev.column) {
          c.column = ev.column;
          c.group = null;
        }
        return;
      }
      case "blind_set":
        state.blind = !!ev.blind;
        return;
      case "revealed":
        for (const id of ev.cards || []) {
          const c = state.cards[id];
          if (c) c.revealed = true;
        }
        return;
      case "timer_set":
        state.timer = ev.timer ? deepClone(ev.timer) : null;
        return;
      case "spotlighted":
        state.spotlight = ev.card_id === undefined ? null : ev.card_id;
        return;
      case "guest_code_set":
        state.guest_code = ev.code === undefined ? null : ev.code;
        return;
      case "anonymous_set":
        state.anonymous_allowed = !!ev.allowed;
        return;
      case "vote_budget_set":
        state.vote_budgets[ev.phase] = ev.budget;
        return;
      case "cards_carried_over":
        for (const c of ev.cards || []) {
          if (state.cards[c.card_id]) continue;
          state.card_order.push(c.card_id);
          state.cards[c.card_id] = {
            id: c.card_id,
            column: c.column,
            content: deepClone(c.content),
            author: deepClone(c.author),
            on_behalf_of: null,
            anonymous: !!c.anonymous,
            state: { state: "active" },
            group: null,
            votes: {},
            comments: [],
            revealed: true,
            created_seq: rec.seq,
            created_at: at,
            updated_at: at,
            carried_from: [ev.from_meeting, c.from_card],
            merged: [],
          };
        }
        return;
      // --- public variants (participants) ---
      case "redacted":
        return;
      case "card_removed": {
        delete state.cards[ev.card_id];
        state.card_order = state.card_order.filter((id) => id !== ev.card_id);
        if (state.spotlight === ev.card_id) state.spotlight = null;
        return;
      }
      case "cards_revealed":
        for (const card of ev.cards || []) {
          const copy = deepClone(card);
          copy.revealed = true;
          insertCard(state, copy);
        }
        return;
      default:
        // An unknown kind from a newer server: only the seq moves.
        return;
    }
  }

  // ==========================================================================
  // 3. Optimistic overlay: our own pending operations shown before the server confirms
  // ==========================================================================

  /** The event our own op would become, for the kinds we show optimistically. */
  function optimisticEvent(op, state) {
    switch (op.kind) {
      case "add_card": {
        const content = contentOfOp(op);
        return {
          kind: "card_added",
          card_id: op.card_id,
          column: op.column || content.card_type,
          anonymous: !!op.anonymous,
          on_behalf_of: op.on_behalf_of || null,
          revealed: !state.blind,
          content,
        };
      }
      case "edit_card":
        return { kind: "card_edited", card_id: op.card_id, content: contentOfOp(op) };
      case "withdraw_card":
        return { kind: "card_withdrawn", card_id: op.card_id };
      case "vote":
        return { kind: "voted", card_id: op.card_id, phase: state.phase };
      case "unvote":
        return { kind: "unvoted", card_id: op.card_id, phase: state.phase };
      case "comment":
        return { kind: "commented", card_id: op.card_id, comment_id: op.comment_id, text: op.text };
      default:
        return null;
    }
  }

  const OP_ENVELOPE = ["kind", "card_id", "column", "anonymous", "on_behalf_of"];
  /** The card content of a flat add_card/edit_card op. */
  function contentOfOp(op) {
    const content = {};
    for (const k in op) if (OP_ENVELOPE.indexOf(k) < 0) content[k] = op[k];
    return content;
  }

  /**
   * The state as this browser should show it: the authoritative state plus our pending
   * add/edit/withdraw/vote/comment operations, marked `_pending`. Returns `state` itself when
   * nothing is pending.
   */
  function withPending(state, pending, you, now) {
    if (!state) return state;
    const shown = (pending || []).filter((p) => p.op && !p.failed);
    if (!shown.length || !you) return state;
    const view = deepClone(state);
    for (const p of shown) {
      const ev = optimisticEvent(p.op, view);
      if (!ev) continue;
      const before = view.cards[p.op.card_id];
      const hadComment = ev.kind === "commented" && before && before.comments.some((c) => c.id === ev.comment_id);
      const seq = view.seq;
      apply(view, { seq, op_id: p.op_id, actor: you, at: p.at || now, event: ev });
      const card = view.cards[p.op.card_id];
      if (!card) continue;
      if (ev.kind === "card_added" || ev.kind === "card_edited") {
        if (ev.kind === "card_added" && before) continue; // the real one is there already
        card._pending = true;
      } else if (ev.kind === "commented" && !hadComment) {
        const last = card.comments[card.comments.length - 1];
        if (last && last.id === ev.comment_id) last._pending = true;
      } else if (ev.kind === "voted" || ev.kind === "unvoted") {
        card._pendingVotes = (card._pendingVotes || 0) + 1;
      } else if (ev.kind === "card_withdrawn") {
        card._pending = true;
      }
    }
    return view;
  }

  // ==========================================================================
  // 4. Storage: offline queue and drafts (localStorage, tolerant of failures)
  // ==========================================================================

  function makeStore(storage) {
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
  const draftKey = (meetingId, what) => `tavolo:draft:${meetingId}:${what}`;

  // ==========================================================================
  // 5. Connection: BoardClient (no DOM; runs in node with a fake WebSocket)
  // ==========================================================================

  /** Refusals that wrote nothing and ask to try again (rate limit, storage hiccup). */
  const RETRY_CODES = ["rate_limited", "unavailable"];
  const MAX_RETRIES = 8;

  const STATUS = {
    connecting: "connecting",
    open: "open",
    lost: "lost",
    reconnecting: "reconnecting",
    ended: "ended",
  };

  class BoardClient {
    /**
     * deps: {config, WebSocket, storage, location, now(), setTimeout, clearTimeout, random(),
     *        you (from the page), readOnly}
     */
    constructor(deps) {
      this.config = deps.config || {};
      this.WS = deps.WebSocket;
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
          if (global.console) global.console.error(e);
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
      this.welcomed = true;
      this.attempt = 0;
      if (typeof f.server_time === "number") this.serverOffset = f.server_time - this.now();
      if (f.you) this.you = Object.assign({}, this.you || {}, f.you);
      const reloaded = !!f.state;
      if (f.state) {
        this.state = f.state;
        this.lastSeq = typeof f.state.seq === "number" ? f.state.seq : f.seq || 0;
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

  function emptyState(meetingId) {
    return {
      meeting_id: meetingId,
      seq: 0,
      template: { name: "", columns: [], phases: [] },
      phase: "preparazione",
      locked: false,
      anonymous_allowed: false,
      blind: false,
      vote_budgets: {},
      spent: {},
      cards: {},
      card_order: [],
      groups: {},
      timer: null,
      spotlight: null,
      guest_code: null,
      history: [],
    };
  }

  const pure = {
    DEFAULT_PHASE_RULES,
    phaseRules,
    phaseLabel,
    cardTitle,
    isActive,
    totalVotes,
    votesOf,
    voteBudget,
    votesSpent,
    may,
    activeCards,
    apply,
    optimisticEvent,
    contentOfOp,
    withPending,
    makeStore,
    pendingKey,
    draftKey,
    BoardClient,
    emptyState,
    newId,
    uuid,
    STATUS,
  };

  // Everything below needs a browser.
  if (typeof document === "undefined") {
    if (typeof module !== "undefined" && module.exports) module.exports = pure;
    return;
  }

  // ==========================================================================
  // 6. DOM helpers
  // ==========================================================================

  const PROPS = new Set(["value", "checked", "selected", "hidden", "disabled", "open", "required", "multiple", "readOnly"]);

  /** h("button", {class: "btn", on: {click}}, "Testo") — never parses HTML. */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const k in props) {
        const v = props[k];
        if (v === null || v === undefined) continue;
        if (k === "class") el.className = v;
        else if (k === "text") el.textContent = v;
        else if (k === "on") for (const ev in v) el.addEventListener(ev, v[ev]);
        else if (PROPS.has(k)) el[k] = v;
        else if (k.startsWith("aria-")) el.setAttribute(k, String(v));
        else if (v === false) continue;
        else el.setAttribute(k, v === true ? "" : String(v));
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) append(el, c);
      else el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
  }

  /** Replaces the children of `el` (null/false skipped, arrays flattened). */
  function fill(el, ...children) {
    el.textContent = "";
    append(el, children);
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  /** Puts exactly `els` in `parent`, in order, moving as few nodes as possible. */
  function syncChildren(parent, els) {
    const want = new Set(els);
    for (const c of Array.from(parent.children)) if (!want.has(c)) parent.removeChild(c);
    els.forEach((el, i) => {
      const cur = parent.children[i];
      if (cur !== el) parent.insertBefore(el, cur || null);
    });
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  function shorten(text, max) {
    const t = String(text || "").replace(/\s+/g, " ").trim();
    return t.length > max ? `${t.slice(0, max - 1).trimEnd()}…` : t;
  }

  function timeLabel(ms) {
    if (!ms) return "";
    try {
      return new Date(ms).toLocaleTimeString("it-IT", { hour: "2-digit", minute: "2-digit" });
    } catch (_) {
      return "";
    }
  }

  function cssEscape(s) {
    return global.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&");
  }

  // ==========================================================================
  // 7. A11y announcements: one polite live region, throttled and summarised
  // ==========================================================================

  class Announcer {
    constructor(el) {
      this.el = el;
      this.queue = [];
      this.timer = null;
    }

    say(text, soon) {
      if (!text || this.queue.indexOf(text) >= 0) return;
      this.queue.push(text);
      if (this.timer && !soon) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), soon ? 150 : 1500);
    }

    flush() {
      const q = this.queue;
      this.queue = [];
      this.timer = null;
      if (!q.length) return;
      const msg = q.length <= 3 ? q.join(" ") : `${q.slice(0, 2).join(" ")} E altri ${q.length - 2} aggiornamenti sulla lavagna.`;
      this.el.textContent = "";
      setTimeout(() => {
        this.el.textContent = msg;
      }, 60);
    }
  }

  // ==========================================================================
  // 8. Dialogs (<dialog>: Escape closes, focus returns to the opener)
  // ==========================================================================

  let dialogSeq = 0;

  /** Opens a modal dialog. build(body, close) fills it; returns {dialog, close}. */
  function openDialog({ title, build, onClose, className }) {
    const opener = document.activeElement;
    const id = `lv-dialogo-${++dialogSeq}`;
    const dlg = h("dialog", { class: `lv-dialog ${className || ""}`, "aria-labelledby": `${id}-titolo` });
    const close = () => {
      if (dlg.open) dlg.close();
    };
    const head = h(
      "div",
      { class: "lv-dialog__head" },
      h("h2", { id: `${id}-titolo`, class: "lv-dialog__title", text: title }),
      h("button", { type: "button", class: "btn btn--link btn--small lv-dialog__close", text: "Chiudi", on: { click: close } }),
    );
    const body = h("div", { class: "lv-dialog__body" });
    dlg.append(head, body);
    build(body, close);
    dlg.addEventListener("close", () => {
      dlg.remove();
      if (onClose) onClose();
      if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
    });
    document.body.appendChild(dlg);
    if (typeof dlg.showModal === "function") dlg.showModal();
    else dlg.setAttribute("open", "");
    const first = body.querySelector("input:not([type=hidden]):not([disabled]), textarea, select, button");
    if (first) first.focus();
    return { dialog: dlg, close };
  }

  /** A confirmation: resolves true when confirmed. */
  function confirmDialog({ title, text, confirmLabel, danger }) {
    return new Promise((resolve) => {
      let ok = false;
      openDialog({
        title,
        onClose: () => resolve(ok),
        build(body, close) {
          body.append(
            h("p", { text }),
            h(
              "div",
              { class: "lv-dialog__actions" },
              h("button", {
                type: "button",
                class: `btn ${danger ? "btn--danger" : "btn--primary"}`,
                text: confirmLabel,
                on: {
                  click: () => {
                    ok = true;
                    close();
                  },
                },
              }),
              h("button", { type: "button", class: "btn btn--secondary", text: "Annulla", on: { click: close } }),
            ),
          );
        },
      });
    });
  }

  // ==========================================================================
  // 9. Card forms: fields by card type, reading, validation, errors, drafts
  // ==========================================================================

  const MAX_TEXT = 10000;
  const MAX_SHORT = 300;

  /** Card fields by type, in form order (labels double as the list view's field names). */
  const CARD_FIELDS = {
    bisogno: [
      { name: "text", label: "Il bisogno", kind: "textarea", required: true, missing: "Descrivi il bisogno.", hint: "Che cosa manca o non funziona, per chi e dove." },
      { name: "policy_area", label: "Area di policy", kind: "area" },
      { name: "target_group", label: "Chi vive il bisogno", hint: "Per esempio: anziani soli, famiglie con minori, persone con disabilità." },
      { name: "territory", label: "Territorio", hint: "Comune, quartiere, Ambito." },
      { name: "evidence", label: "Fonte o evidenza", kind: "textarea", hint: "Dati, servizi, sportelli, enti del Terzo settore o esperienze su cui vi basate." },
      { name: "secondary_areas", label: "Aree di policy secondarie", kind: "areas" },
    ],
    proposta: [
      { name: "title", label: "Titolo della proposta", required: true, missing: "Dai un titolo alla proposta.", max: MAX_SHORT },
      { name: "description", label: "Descrizione", kind: "textarea" },
      { name: "actors", label: "Attori coinvolti", kind: "textarea", rows: 2, hint: "Comuni, ATS, ASST, enti del Terzo settore…" },
      { name: "instrument", label: "Strumento", list: "instruments", max: MAX_SHORT, hint: "Tavolo tecnico, accordo, co-progettazione, patto di collaborazione…" },
      { name: "terzo_settore_role", label: "Ruolo del Terzo settore", kind: "textarea", rows: 2 },
      { name: "policy_area", label: "Area di policy", kind: "area" },
    ],
    indicatore: [
      { name: "name", label: "Nome dell'indicatore", required: true, missing: "Dai un nome all'indicatore.", max: MAX_SHORT, hint: "Per esempio: utenti SAD ogni 100 residenti over 65." },
      { name: "definition", label: "Definizione", kind: "textarea", rows: 2 },
      { name: "indicator_type", label: "Tipo", kind: "type" },
      { name: "unit", label: "Unità di misura", max: MAX_SHORT },
      { name: "formula", label: "Formula o metodo di calcolo", kind: "textarea", rows: 2 },
      { name: "source", label: "Fonte del dato", max: MAX_SHORT },
      { group: "Valore di partenza", fields: [
        { name: "baseline_value", label: "Valore di partenza", max: MAX_SHORT },
        { name: "baseline_date", label: "Data di riferimento", kind: "date" },
      ] },
      { group: "Obiettivo", fields: [
        { name: "target_value", label: "Valore obiettivo", max: MAX_SHORT },
        { name: "target_deadline", label: "Scadenza", kind: "date" },
      ] },
      { name: "frequency", label: "Frequenza di rilevazione", list: "frequencies", max: MAX_SHORT },
      { name: "responsible", label: "Responsabile della rilevazione", max: MAX_SHORT },
      { name: "policy_area", label: "Area di policy", kind: "area" },
      { name: "disaggregation", label: "Disaggregazione", max: MAX_SHORT, hint: "Per Comune, sesso, età…" },
    ],
    _plain: [{ name: "text", label: "Testo", kind: "textarea", required: true, missing: "Scrivi il contenuto della scheda." }],
  };

  function fieldsOf(cardType) {
    return CARD_FIELDS[cardType] || CARD_FIELDS._plain;
  }

  function flatFields(cardType) {
    const out = [];
    for (const f of fieldsOf(cardType)) {
      if (f.group) out.push(...f.fields);
      else out.push(f);
    }
    return out;
  }

  const TYPE_NOUN = {
    bisogno: { add: "Aggiungi un bisogno", publish: "Pubblica il bisogno", one: "bisogno" },
    proposta: { add: "Aggiungi una proposta", publish: "Pubblica la proposta", one: "proposta" },
    indicatore: { add: "Aggiungi un indicatore", publish: "Pubblica l'indicatore", one: "indicatore" },
  };
  function nounOf(cardType) {
    return TYPE_NOUN[cardType] || { add: "Aggiungi una scheda", publish: "Pubblica la scheda", one: "scheda" };
  }

  function isDate(s) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
    const d = new Date(`${s}T00:00:00Z`);
    return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }

  /** Client-side mirror of CardContent::validate (the server checks again). */
  function validateContent(content, config) {
    const errors = [];
    const areas = (config && config.policy_areas) || [];
    for (const f of flatFields(content.card_type)) {
      const v = content[f.name];
      if (f.kind === "areas") {
        if ((v || []).length > 5) errors.push({ field: f.name, message: "Indica al massimo 5 aree secondarie." });
        continue;
      }
      if (f.required && !v) errors.push({ field: f.name, message: f.missing });
      const max = f.max || (f.kind === "textarea" ? MAX_TEXT : MAX_SHORT);
      if (v && typeof v === "string" && v.length > max) errors.push({ field: f.name, message: `Testo troppo lungo (al massimo ${max} caratteri).` });
      if (f.kind === "area" && v && areas.length && areas.indexOf(v) < 0) {
        errors.push({ field: f.name, message: "Area di policy non riconosciuta: sceglila dall'elenco." });
      }
    }
    if (content.card_type === "indicatore") {
      for (const [f, label] of [["baseline_date", "del valore di partenza"], ["target_deadline", "della scadenza dell'obiettivo"]]) {
        if (content[f] && !isDate(content[f])) errors.push({ field: f, message: `La data ${label} non è valida (usa AAAA-MM-GG).` });
      }
      if (!errors.length && content.baseline_date && content.target_deadline && content.target_deadline < content.baseline_date) {
        errors.push({ field: "target_deadline", message: "La scadenza dell'obiettivo deve venire dopo la data del valore di partenza." });
      }
      if (!!content.baseline_value !== !!content.baseline_date) {
        errors.push({ field: "baseline_date", message: "Indica insieme il valore di partenza e la data a cui si riferisce." });
      }
      if (!!content.target_value !== !!content.target_deadline) {
        errors.push({ field: "target_deadline", message: "Indica insieme il valore obiettivo e la scadenza entro cui raggiungerlo." });
      }
    }
    return errors;
  }

  /**
   * A card form. opts: {ui, cardType, prefix (unique id prefix), submitLabel, values,
   * draftKey, extras: "add"|"edit", onSubmit(content, extras) → true when queued}.
   */
  class CardForm {
    constructor(opts) {
      this.ui = opts.ui;
      this.cardType = opts.cardType;
      this.prefix = opts.prefix;
      this.draftKey = opts.draftKey || null;
      this.onSubmit = opts.onSubmit;
      this.mode = opts.mode || "add";
      this.controls = {};
      this.errorEls = {};
      this.fieldEls = {};
      this.saveTimer = null;
      this.form = h("form", { class: "lv-form", novalidate: true, "aria-labelledby": opts.labelledBy || null });
      if (opts.column) this.form.dataset.column = opts.column;
      this.summary = h("div", { class: "error-summary lv-form__errors", tabindex: "-1", hidden: true });
      this.status = h("p", { class: "lv-form__status", hidden: true });
      this.form.appendChild(this.summary);
      if (opts.intro) this.form.appendChild(h("p", { class: "lv-form__intro muted", text: opts.intro }));
      for (const f of fieldsOf(this.cardType)) {
        if (f.group) {
          const fs = h("fieldset", { class: "lv-form__pair" }, h("legend", { class: "lv-form__legend", text: f.group }));
          const row = h("div", { class: "lv-form__row" });
          for (const g of f.fields) row.appendChild(this.field(g));
          fs.appendChild(row);
          this.form.appendChild(fs);
        } else {
          this.form.appendChild(this.field(f));
        }
      }
      // Anonymous / on behalf (add only)
      this.anonWrap = null;
      if (this.mode === "add") {
        this.anon = h("input", { type: "checkbox", id: `${this.prefix}-anonimo`, name: "anonymous" });
        this.anonWrap = h(
          "div",
          { class: "field lv-form__anon", hidden: true },
          h("label", { class: "checkbox", for: `${this.prefix}-anonimo` }, this.anon, h("span", { text: "Pubblica come anonimo (gli altri partecipanti non vedranno il tuo nome)" })),
        );
        this.form.appendChild(this.anonWrap);
        if (opts.onBehalf) {
          this.behalfName = h("input", { type: "text", id: `${this.prefix}-perconto-nome`, maxlength: "120", autocomplete: "off" });
          this.behalfOrg = h("input", { type: "text", id: `${this.prefix}-perconto-ente`, maxlength: "300", autocomplete: "off" });
          this.form.appendChild(
            h(
              "fieldset",
              { class: "lv-form__pair lv-form__behalf" },
              h("legend", { class: "lv-form__legend", text: "Per conto di una persona senza dispositivo (facoltativo)" }),
              h(
                "div",
                { class: "lv-form__row" },
                h("div", { class: "field" }, h("label", { class: "field__label", for: this.behalfName.id, text: "Nome e cognome" }), this.behalfName),
                h("div", { class: "field" }, h("label", { class: "field__label", for: this.behalfOrg.id, text: "Ente" }), this.behalfOrg),
              ),
            ),
          );
        }
      }
      this.submitBtn = h("button", { type: "submit", class: "btn btn--primary", text: opts.submitLabel });
      this.actions = h("div", { class: "lv-form__actions" }, this.submitBtn);
      if (opts.cancelLabel) {
        this.actions.appendChild(h("button", { type: "button", class: "btn btn--secondary", text: opts.cancelLabel, on: { click: () => opts.onCancel && opts.onCancel() } }));
      }
      this.blockedNote = h("p", { class: "lv-form__blocked", hidden: true });
      this.form.append(this.blockedNote, this.actions, this.status);
      this.form.addEventListener("submit", (e) => {
        e.preventDefault();
        this.submit();
      });
      this.form.addEventListener("input", () => this.scheduleSave());
      this.form.addEventListener("change", () => this.scheduleSave());
      const draft = this.draftKey ? this.ui.store.get(this.draftKey, null) : null;
      if (draft && draft.content && this.hasText(draft.content)) {
        this.fill(draft.content);
        this.restoredDraft = true;
      } else if (opts.values) {
        this.fill(opts.values);
      }
    }

    field(f) {
      const id = `${this.prefix}-${f.name}`;
      const hintId = f.hint ? `${id}-aiuto` : null;
      const errId = `${id}-errore`;
      const cfg = this.ui.config;
      const wrap = h("div", { class: `field lv-field lv-field--${f.kind || "text"}` });
      let control;
      if (f.kind === "areas") {
        const areas = cfg.policy_areas || [];
        if (!areas.length) return h("div", { hidden: true });
        const fs = h("fieldset", { class: "lv-form__areas" });
        const det = h("details", { class: "lv-form__more" }, h("summary", { text: `${f.label} (facoltativo, al massimo 5)` }), fs);
        fs.appendChild(h("legend", { class: "visually-hidden", text: f.label }));
        const boxes = areas.map((a, i) => {
          const cb = h("input", { type: "checkbox", id: `${id}-${i}`, value: a });
          fs.appendChild(h("label", { class: "checkbox", for: `${id}-${i}` }, cb, h("span", { text: a })));
          return cb;
        });
        this.controls[f.name] = { kind: "areas", boxes, details: det };
        const err = h("p", { class: "field__error", id: errId, hidden: true });
        this.errorEls[f.name] = err;
        this.fieldEls[f.name] = wrap;
        wrap.append(err, det);
        return wrap;
      }
      const label = h("label", { class: "field__label", for: id }, f.label, f.required ? null : h("span", { class: "field__optional", text: " (facoltativo)" }));
      wrap.appendChild(label);
      if (f.hint) wrap.appendChild(h("p", { class: "field__hint", id: hintId, text: f.hint }));
      const err = h("p", { class: "field__error", id: errId, hidden: true });
      wrap.appendChild(err);
      const describedBy = hintId || null;
      const common = { id, name: f.name, "aria-describedby": describedBy };
      if (f.required) Object.assign(common, { required: true, "aria-required": "true" });
      if (f.kind === "textarea") {
        control = h("textarea", Object.assign({ rows: String(f.rows || 3), maxlength: String(f.max || MAX_TEXT) }, common));
      } else if (f.kind === "area") {
        const areas = cfg.policy_areas || [];
        if (areas.length) {
          control = h("select", common, h("option", { value: "", text: "— Nessuna area indicata —" }), areas.map((a) => h("option", { value: a, text: a })));
        } else {
          control = h("input", Object.assign({ type: "text", maxlength: String(MAX_SHORT) }, common));
        }
      } else if (f.kind === "type") {
        control = h(
          "select",
          common,
          h("option", { value: "", text: "— Non indicato —" }),
          (cfg.indicator_types || []).map((t) => h("option", { value: t[0], text: t[1] })),
        );
      } else if (f.kind === "date") {
        control = h("input", Object.assign({ type: "date", placeholder: "AAAA-MM-GG" }, common));
      } else {
        control = h("input", Object.assign({ type: "text", maxlength: String(f.max || MAX_SHORT), autocomplete: "off" }, common));
        if (f.list) {
          const listId = `${id}-suggerimenti`;
          control.setAttribute("list", listId);
          wrap.appendChild(h("datalist", { id: listId }, (cfg[f.list] || []).map((v) => h("option", { value: v }))));
        }
      }
      wrap.appendChild(control);
      this.controls[f.name] = { kind: f.kind || "text", el: control, hintId };
      this.errorEls[f.name] = err;
      this.fieldEls[f.name] = wrap;
      return wrap;
    }

    /** The content object of the form (empty optional fields left out). */
    read() {
      const content = { card_type: this.cardType };
      for (const f of flatFields(this.cardType)) {
        const c = this.controls[f.name];
        if (!c) continue;
        if (c.kind === "areas") {
          content[f.name] = c.boxes.filter((b) => b.checked).map((b) => b.value);
          continue;
        }
        const v = c.el.value.replace(/\r\n/g, "\n").trim();
        if (v || f.required) content[f.name] = v;
      }
      if (this.cardType === "bisogno" && !content.secondary_areas) content.secondary_areas = [];
      return content;
    }

    fill(values) {
      for (const f of flatFields(this.cardType)) {
        const c = this.controls[f.name];
        if (!c) continue;
        const v = values ? values[f.name] : null;
        if (c.kind === "areas") {
          const set = new Set(Array.isArray(v) ? v : []);
          c.boxes.forEach((b) => (b.checked = set.has(b.value)));
          if (set.size) c.details.open = true;
        } else {
          const s = v === null || v === undefined ? "" : String(v);
          if (c.el.tagName === "SELECT" && s && !Array.from(c.el.options).some((o) => o.value === s)) {
            c.el.appendChild(h("option", { value: s, text: s }));
          }
          c.el.value = s;
        }
      }
    }

    hasText(content) {
      for (const k in content) {
        if (k === "card_type") continue;
        const v = content[k];
        if (Array.isArray(v) ? v.length : v) return true;
      }
      return false;
    }

    isEmpty() {
      return !this.hasText(this.read()) && !(this.behalfName && this.behalfName.value.trim());
    }

    clear() {
      this.fill({});
      if (this.anon) this.anon.checked = false;
      if (this.behalfName) {
        this.behalfName.value = "";
        this.behalfOrg.value = "";
      }
      this.clearErrors();
      this.dropDraft();
    }

    scheduleSave() {
      if (!this.draftKey) return;
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => this.saveDraft(), 300);
    }

    saveDraft() {
      if (!this.draftKey) return;
      const content = this.read();
      if (this.hasText(content)) this.ui.store.set(this.draftKey, { content, at: Date.now() });
      else this.ui.store.remove(this.draftKey);
    }

    dropDraft() {
      clearTimeout(this.saveTimer);
      if (this.draftKey) this.ui.store.remove(this.draftKey);
    }

    clearErrors() {
      this.summary.hidden = true;
      fill(this.summary);
      for (const name in this.errorEls) {
        const err = this.errorEls[name];
        err.hidden = true;
        err.textContent = "";
        this.fieldEls[name].classList.remove("field--error");
        const c = this.controls[name];
        if (c && c.el) {
          c.el.removeAttribute("aria-invalid");
          if (c.hintId) c.el.setAttribute("aria-describedby", c.hintId);
          else c.el.removeAttribute("aria-describedby");
        }
      }
    }

    /** Shows errors [{field, message}] (field may be unknown) and focuses the summary. */
    showErrors(errors, general) {
      this.clearErrors();
      const items = [];
      const seen = new Set();
      for (const e of errors) {
        const key = `${e.field}|${e.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const c = this.controls[e.field];
        const err = this.errorEls[e.field];
        if (err) {
          err.hidden = false;
          err.textContent = "";
          err.append(h("span", { class: "visually-hidden", text: "Errore: " }), e.message);
          this.fieldEls[e.field].classList.add("field--error");
          if (c && c.el) {
            c.el.setAttribute("aria-invalid", "true");
            c.el.setAttribute("aria-describedby", [c.hintId, err.id].filter(Boolean).join(" "));
          }
          if (c && c.kind === "areas") c.details.open = true;
          const target = c && c.el ? c.el.id : c && c.boxes && c.boxes[0] ? c.boxes[0].id : "";
          const link = h("a", { href: `#${target}`, text: e.message });
          link.addEventListener("click", (ev) => {
            ev.preventDefault();
            const t = document.getElementById(target);
            if (t) t.focus();
          });
          items.push(h("li", null, link));
        } else {
          items.push(h("li", { text: e.message }));
        }
      }
      if (general && !items.length) items.push(h("li", { text: general }));
      const n = items.length;
      this.summary.append(
        h("h3", { class: "error-summary__title", text: n === 1 ? "C'è un problema" : `Ci sono ${n} problemi` }),
        h("ul", null, items),
      );
      this.summary.hidden = false;
      this.summary.focus();
    }

    setStatus(text) {
      this.status.hidden = !text;
      this.status.textContent = text || "";
    }

    /** Disables sending (phase/lock) while keeping what was typed. */
    setBlocked(reason) {
      this.blocked = !!reason;
      this.blockedNote.hidden = !reason;
      this.blockedNote.textContent = reason || "";
      this.submitBtn.setAttribute("aria-disabled", reason ? "true" : "false");
    }

    setAnonymousAllowed(allowed) {
      if (!this.anonWrap) return;
      this.anonWrap.hidden = !allowed;
      if (!allowed) this.anon.checked = false;
    }

    extras() {
      const out = {};
      if (this.anon && !this.anonWrap.hidden && this.anon.checked) out.anonymous = true;
      if (this.behalfName && this.behalfName.value.trim()) {
        out.on_behalf_of = { name: this.behalfName.value.trim(), organisation: this.behalfOrg.value.trim() || null };
      }
      return out;
    }

    submit() {
      if (this.blocked) {
        this.ui.announcer.say(this.blockedNote.textContent, true);
        return;
      }
      const content = this.read();
      const errors = validateContent(content, this.ui.config);
      if (errors.length) {
        this.showErrors(errors);
        return;
      }
      this.clearErrors();
      if (this.onSubmit(content, this.extras()) !== false) this.dropDraft();
    }

    focusFirst() {
      const first = this.form.querySelector("input:not([type=checkbox]), textarea, select");
      if (first) first.focus();
    }
  }

  // Labels for showing a card's fields as text.
  function fieldLabel(cardType, name) {
    const f = flatFields(cardType).find((x) => x.name === name);
    return f ? f.label : name;
  }

  function fieldValueText(config, name, value) {
    if (Array.isArray(value)) return value.join(", ");
    if (name === "indicator_type") {
      const t = (config.indicator_types || []).find((x) => x[0] === value);
      return t ? t[1] : value;
    }
    if ((name === "baseline_date" || name === "target_deadline") && isDate(value)) {
      const [y, m, d] = value.split("-");
      return `${d}/${m}/${y}`;
    }
    return String(value);
  }

  /** [label, text] of every non-empty field but the title. */
  function cardFieldRows(config, content, skipTitle) {
    const rows = [];
    const titleField = { bisogno: "text", proposta: "title", indicatore: "name" }[content.card_type] || "text";
    for (const f of flatFields(content.card_type)) {
      if (skipTitle && f.name === titleField) continue;
      const v = content[f.name];
      if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) continue;
      rows.push([f.label, fieldValueText(config, f.name, v), f.name]);
    }
    return rows;
  }

  // ==========================================================================
  // 10. Card rendering: one CardView per card, regions updated in place
  // ==========================================================================

  const TITLE_MAX = 160;

  function authorLine(card, ctx) {
    const parts = [];
    const a = card.author || {};
    const isAnon = card.anonymous || a.id === ANONYMOUS_ID;
    if (card.on_behalf_of && card.on_behalf_of.name) {
      parts.push(card.on_behalf_of.name);
      if (card.on_behalf_of.organisation) parts.push(card.on_behalf_of.organisation);
    } else if (isAnon && (a.id === ANONYMOUS_ID || !ctx.facilitator || ctx.variant === "projector")) {
      parts.push(a.id === ctx.you.id ? "Anonimo (sei tu)" : "Anonimo");
    } else {
      parts.push(isAnon ? `Anonimo per gli altri (${a.name})` : a.name || "");
      if (a.organisation) parts.push(a.organisation);
      if (a.ambito) parts.push(a.ambito);
    }
    return parts.filter(Boolean);
  }

  class CardView {
    constructor(ui, id) {
      this.ui = ui;
      this.id = id;
      this.sigs = {};
      this.el = h("li", { class: "lv-card", "data-card-id": id });
      this.badges = h("p", { class: "lv-card__badges", hidden: true });
      this.titleWrap = h("div", { class: "lv-card__head" });
      this.body = h("div", { class: "lv-card__body" });
      this.meta = h("p", { class: "lv-card__meta" });
      this.votes = h("div", { class: "lv-card__votes", hidden: true });
      this.comments = null;
      this.actions = h("div", { class: "lv-card__actions", hidden: true });
      this.msg = h("div", { class: "lv-card__msg", hidden: true });
      this.el.append(this.badges, this.titleWrap, this.body, this.meta, this.votes, this.actions, this.msg);
    }

    update(card, ctx) {
      const title = cardTitle(card.content);
      const mine = card.author && card.author.id === ctx.you.id;
      this.el.classList.toggle("lv-card--spotlight", ctx.spotlight === card.id);
      this.el.classList.toggle("lv-card--pending", !!card._pending);
      this.el.classList.toggle("lv-card--mine", !!mine);
      this.el.classList.toggle("lv-card--unrevealed", !card.revealed);
      this.el.classList.toggle("lv-card--selected", ctx.selected);
      this.el.dataset.type = card.content.card_type;

      // Badges
      const badges = [];
      if (ctx.spotlight === card.id) badges.push(["spot", "In evidenza"]);
      if (card._pending) badges.push(["pending", "In attesa di invio"]);
      if (!card.revealed) badges.push(["hidden", ctx.facilitator ? "Non ancora rivelato ai partecipanti" : "Visibile solo a te e a chi conduce finché non viene rivelato"]);
      if (mine && !ctx.facilitator) badges.push(["mine", "Tuo"]);
      if (card.carried_from) badges.push(["carried", "Da un incontro precedente"]);
      if ((card.merged || []).length) badges.push(["merged", `Raccoglie ${plural(card.merged.length, "contributo simile", "contributi simili")}`]);
      this.region("badges", JSON.stringify(badges), () => {
        this.badges.hidden = !badges.length;
        fill(this.badges, ...badges.map(([k, t]) => h("span", { class: `badge lv-badge lv-badge--${k}`, text: t })));
      });

      // Title (a heading: cards are navigable by headings) and body
      const long = title.length > TITLE_MAX || /\n/.test(title.trim());
      this.region("title", JSON.stringify([title, ctx.level]), () => {
        const hd = h(`h${ctx.level}`, { class: "lv-card__title", id: `titolo-${this.id}` }, long ? shorten(title.split("\n")[0], TITLE_MAX) : title);
        fill(this.titleWrap, hd);
      });
      this.region("body", JSON.stringify([card.content, ctx.variant]), () => {
        const wasOpen = this.body.querySelector("details[open]") !== null;
        const parts = [];
        if (long) parts.push(h("p", { class: "lv-card__text", text: title }));
        const rows = cardFieldRows(this.ui.config, card.content, true).filter((r) => r[2] !== "policy_area");
        const dl = () => h("dl", { class: "lv-card__fields" }, rows.map(([k, v]) => h("div", null, h("dt", { text: k }), h("dd", { text: v }))));
        if (rows.length && ctx.variant === "list") parts.push(dl());
        else if (rows.length) {
          const lead = rows.find((r) => r[2] === "description" || r[2] === "definition");
          if (lead) parts.push(h("p", { class: "lv-card__lead", text: lead[1] }));
          const more = h(
            "details",
            { class: "lv-card__more", open: wasOpen },
            h("summary", { "data-focus": `more:${this.id}` }, "Scheda completa", h("span", { class: "visually-hidden", text: `: ${shorten(title, 60)}` })),
            dl(),
          );
          parts.push(more);
        }
        fill(this.body, ...parts);
        this.body.hidden = !parts.length;
      });

      // Meta: author, organisation, policy area, time
      const area = card.content.policy_area || null;
      const who = authorLine(card, ctx);
      this.region("meta", JSON.stringify([who, area, card.created_at, ctx.columnOther]), () => {
        const bits = [];
        bits.push(h("span", { class: "lv-card__author" }, h("span", { class: "visually-hidden", text: "Autore: " }), who.join(" · ")));
        if (area) bits.push(h("span", { class: "lv-chip" }, h("span", { class: "visually-hidden", text: "Area di policy: " }), area));
        const sec = card.content.secondary_areas || [];
        if (sec.length && ctx.variant !== "list") bits.push(h("span", { class: "lv-chip lv-chip--soft", text: `+ ${plural(sec.length, "area", "aree")}` }));
        if (ctx.columnOther) bits.push(h("span", { class: "lv-chip lv-chip--soft", text: `Tipo: ${nounOf(card.content.card_type).one}` }));
        if (card.created_at) bits.push(h("span", { class: "lv-card__time" }, "ore ", h("time", { text: timeLabel(card.created_at) })));
        fill(this.meta, ...bits);
      });

      this.updateVotes(card, ctx, title);
      this.updateComments(card, ctx, title);
      this.updateActions(card, ctx, title, mine);
      this.updateMessage();
    }

    region(name, sig, fn) {
      if (this.sigs[name] === sig) return;
      this.sigs[name] = sig;
      fn();
    }

    updateVotes(card, ctx, title) {
      const total = totalVotes(card);
      const mine = votesOf(card, ctx.you.id);
      const show = ctx.voting || total > 0;
      this.votes.hidden = !show;
      if (!show) return;
      if (!this.voteEls) {
        const count = h("span", { class: "lv-votes__count" });
        const dots = h("span", { class: "lv-votes__dots", "aria-hidden": "true" });
        const minus = h("button", { type: "button", class: "btn btn--secondary btn--small lv-votes__btn", "data-focus": `unvote:${this.id}` }, h("span", { "aria-hidden": "true", text: "− " }), "Togli voto");
        const plus = h("button", { type: "button", class: "btn btn--primary btn--small lv-votes__btn", "data-focus": `vote:${this.id}` }, h("span", { "aria-hidden": "true", text: "+ " }), "Vota");
        minus.addEventListener("click", () => this.ui.vote(this.id, false, minus));
        plus.addEventListener("click", () => this.ui.vote(this.id, true, plus));
        const btns = h("span", { class: "lv-votes__btns" }, minus, plus);
        this.votes.append(count, dots, btns);
        this.voteEls = { count, dots, minus, plus, btns };
      }
      const v = this.voteEls;
      const countText = plural(total, "voto", "voti") + (mine ? `, di cui ${mine} ${mine === 1 ? "tuo" : "tuoi"}` : "");
      setText(v.count, countText);
      setText(v.dots, "●".repeat(Math.min(mine, 10)));
      v.btns.hidden = !ctx.voting;
      if (ctx.voting) {
        const short = shorten(title, 60);
        v.plus.setAttribute("aria-label", `Vota: ${short}`);
        v.minus.setAttribute("aria-label", `Togli voto: ${short}`);
        v.plus.setAttribute("aria-disabled", ctx.remaining > 0 ? "false" : "true");
        v.minus.setAttribute("aria-disabled", mine > 0 ? "false" : "true");
      }
    }

    updateComments(card, ctx, title) {
      const list = card.comments || [];
      const show = list.length > 0 || ctx.canComment;
      if (!this.comments && !show) return;
      if (!this.comments) {
        const summary = h("summary", { class: "lv-comments__summary", "data-focus": `comments:${this.id}` });
        const ol = h("ol", { class: "lv-comments__list" });
        const ta = h("textarea", { id: `commento-${this.id}`, rows: "2", maxlength: "2000", name: "comment" });
        const err = h("p", { class: "field__error", id: `commento-${this.id}-errore`, hidden: true });
        const form = h(
          "form",
          { class: "lv-comments__form", novalidate: true },
          h("div", { class: "field" }, h("label", { class: "field__label", for: ta.id, text: "Il tuo commento" }), err, ta),
          h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Commenta" }),
        );
        const key = draftKey(this.ui.config.meeting_id, `commento:${this.id}`);
        const saved = this.ui.store.get(key, null);
        if (saved && saved.text) ta.value = saved.text;
        ta.addEventListener("input", () => {
          if (ta.value.trim()) this.ui.store.set(key, { text: ta.value });
          else this.ui.store.remove(key);
        });
        form.addEventListener("submit", (e) => {
          e.preventDefault();
          const text = ta.value.trim();
          if (!text) {
            err.hidden = false;
            err.textContent = "Scrivi il testo del commento.";
            ta.setAttribute("aria-invalid", "true");
            ta.setAttribute("aria-describedby", err.id);
            ta.focus();
            return;
          }
          err.hidden = true;
          ta.removeAttribute("aria-invalid");
          ta.removeAttribute("aria-describedby");
          if (this.ui.comment(this.id, text)) {
            ta.value = "";
            this.ui.store.remove(key);
          }
        });
        this.comments = h("details", { class: "lv-card__comments" }, summary, ol, form);
        if (saved && saved.text) this.comments.open = true;
        this.el.insertBefore(this.comments, this.actions);
        this.commentEls = { summary, ol, form };
      }
      this.comments.hidden = !show;
      const c = this.commentEls;
      const n = list.length;
      const sig = JSON.stringify([list.map((x) => [x.id, x.text, !!x._pending, x.author && x.author.name]), ctx.canComment]);
      this.region("comments", sig, () => {
        fill(c.summary, n ? `Commenti (${n})` : "Commenta", h("span", { class: "visually-hidden", text: `: ${shorten(title, 60)}` }));
        c.ol.hidden = !n;
        fill(c.ol, 
          ...list.map((cm) =>
            h(
              "li",
              { class: `lv-comment${cm._pending ? " lv-comment--pending" : ""}` },
              h("p", { class: "lv-comment__text", text: cm.text }),
              h("p", { class: "lv-comment__meta" }, (cm.author && cm.author.name) || "", cm.at ? ` · ore ${timeLabel(cm.at)}` : "", cm._pending ? " · in attesa di invio" : ""),
            ),
          ),
        );
        c.form.hidden = !ctx.canComment;
      });
    }

    updateActions(card, ctx, title, mine) {
      const canEdit = !card._pending && ((mine && ctx.canEditOwn) || false);
      const manage = ctx.facilitator && ctx.variant !== "projector" && ctx.console;
      const sig = JSON.stringify([canEdit, manage, ctx.selected, !!card._pending, shorten(title, 60)]);
      this.region("actions", sig, () => {
        const short = shorten(title, 60);
        const bits = [];
        if (canEdit) {
          bits.push(h("button", { type: "button", class: "btn btn--link btn--small", "data-focus": `edit:${this.id}`, "aria-label": `Modifica: ${short}`, text: "Modifica", on: { click: () => this.ui.openEdit(this.id) } }));
          bits.push(h("button", { type: "button", class: "btn btn--link btn--small lv-danger-link", "data-focus": `withdraw:${this.id}`, "aria-label": `Ritira: ${short}`, text: "Ritira", on: { click: () => this.ui.withdraw(this.id) } }));
        }
        if (manage && !card._pending) {
          bits.push(h("button", { type: "button", class: "btn btn--secondary btn--small", "data-focus": `manage:${this.id}`, "aria-label": `Gestisci: ${short}`, text: "Gestisci", on: { click: () => this.ui.openManage(this.id) } }));
          const cb = h("input", { type: "checkbox", id: `seleziona-${this.id}`, "data-focus": `select:${this.id}`, checked: ctx.selected });
          cb.addEventListener("change", () => this.ui.toggleSelected(this.id, cb.checked));
          bits.push(h("label", { class: "checkbox lv-select", for: cb.id }, cb, h("span", null, "Seleziona", h("span", { class: "visually-hidden", text: ` per unire: ${short}` }))));
        }
        fill(this.actions, ...bits);
        this.actions.hidden = !bits.length;
      });
    }

    /** Shows an error next to the card (with a retry for a failed edit). */
    setMessage(message, retry) {
      this.message = message ? { message, retry } : null;
      this.msgSig = null;
      this.updateMessage();
    }

    updateMessage() {
      const m = this.message;
      const sig = m ? m.message : "";
      if (this.msgSig === sig) return;
      this.msgSig = sig;
      this.msg.hidden = !m;
      if (!m) {
        fill(this.msg);
        return;
      }
      const bits = [h("p", { class: "lv-card__error" }, h("span", { class: "visually-hidden", text: "Errore: " }), m.message)];
      if (m.retry) bits.push(h("button", { type: "button", class: "btn btn--link btn--small", text: m.retry.label, on: { click: m.retry.run } }));
      bits.push(h("button", { type: "button", class: "btn btn--link btn--small", text: "Chiudi il messaggio", on: { click: () => this.setMessage(null) } }));
      fill(this.msg, ...bits);
    }
  }

  // ==========================================================================
  // 13. Timer (synchronised with the server clock offset from `welcome`)
  // ==========================================================================

  function mmss(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    const m = Math.floor(s / 60);
    return `${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }

  function spokenDuration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    const m = Math.floor(s / 60);
    const r = s % 60;
    if (m && r) return `${plural(m, "minuto", "minuti")} e ${plural(r, "secondo", "secondi")}`;
    if (m) return plural(m, "minuto", "minuti");
    return plural(r, "secondo", "secondi");
  }

  class TimerView {
    constructor(ui, opts) {
      this.ui = ui;
      this.announce = !!(opts && opts.announce);
      this.timer = null;
      this.key = null;
      this.time = h("span", { class: "lv-timer__time", role: "timer", "aria-live": "off" });
      this.stateEl = h("span", { class: "lv-timer__state" });
      this.fill = h("span", { class: "lv-timer__fill" });
      this.el = h(
        "div",
        { class: `lv-timer${opts && opts.big ? " lv-timer--big" : ""}`, hidden: true },
        h("span", { class: "lv-timer__label", text: "Tempo" }),
        this.time,
        this.stateEl,
        h("span", { class: "lv-timer__bar", "aria-hidden": "true" }, this.fill),
      );
    }

    update(timer) {
      this.timer = timer || null;
      const key = timer ? `${timer.state}:${timer.ends_at || timer.remaining_ms}:${timer.duration_ms}` : null;
      if (key !== this.key) {
        this.key = key;
        this.warned = false;
        this.ended = false;
        if (timer && timer.state === "running") {
          const left = timer.ends_at - this.ui.client.serverNow();
          this.warned = left <= 60000;
          this.ended = left <= 0;
        }
      }
      this.tick();
    }

    tick() {
      const t = this.timer;
      this.el.hidden = !t;
      if (!t) return;
      let left;
      let state;
      if (t.state === "running") {
        left = t.ends_at - this.ui.client.serverNow();
        state = left > 0 ? "" : "Tempo scaduto";
      } else {
        left = t.remaining_ms;
        state = "In pausa";
      }
      left = Math.max(0, left);
      setText(this.time, mmss(left));
      setText(this.stateEl, state);
      this.stateEl.hidden = !state;
      this.el.classList.toggle("lv-timer--ended", t.state === "running" && left <= 0);
      this.el.classList.toggle("lv-timer--paused", t.state === "paused");
      this.el.classList.toggle("lv-timer--last", t.state === "running" && left > 0 && left <= 60000);
      const ratio = t.duration_ms > 0 ? Math.min(1, left / t.duration_ms) : 0;
      this.fill.style.width = `${(ratio * 100).toFixed(2)}%`;
      if (this.announce && t.state === "running") {
        if (!this.warned && left <= 60000 && left > 0) {
          this.warned = true;
          this.ui.announcer.say("Manca un minuto.");
        }
        if (!this.ended && left <= 0) {
          this.ended = true;
          this.ui.announcer.say("Tempo scaduto.");
        }
      }
    }

    running() {
      return !!this.timer && this.timer.state === "running";
    }
  }

  // ==========================================================================
  // 11. Views: the BoardUI drives board, list, console and projector
  // ==========================================================================

  const STATUS_TEXT = {
    connecting: "Connessione in corso…",
    open: "Connesso",
    lost: "Connessione persa: i contributi restano salvati su questo dispositivo e partiranno appena torna la rete",
    reconnecting: "Connessione persa: i contributi restano salvati su questo dispositivo e partiranno appena torna la rete",
    ended: "Sessione terminata: ricarica la pagina o accedi di nuovo per continuare",
  };

  function safeStorage() {
    try {
      const s = global.localStorage;
      const k = "tavolo:probe";
      s.setItem(k, "1");
      s.removeItem(k);
      return s;
    } catch (_) {
      return null;
    }
  }

  class BoardUI {
    constructor(root, config) {
      this.root = root;
      this.config = config;
      this.view = config.view || root.dataset.view || "board";
      this.projector = this.view === "projector";
      this.console = this.view === "console";
      this.storage = safeStorage();
      this.store = makeStore(this.storage);
      this.client = new BoardClient({
        config,
        WebSocket: global.WebSocket,
        storage: this.storage,
        location: global.location,
        readOnly: this.projector,
        you: { id: null, name: root.dataset.youName || "", is_facilitator: root.dataset.facilitator === "true" },
      });
      this.cards = new Map();
      this.themeEls = new Map();
      this.columns = new Map();
      this.selected = new Set();
      this.forms = new Map();
      this.built = false;
      this.renderTimer = null;
    }

    // --- chrome -----------------------------------------------------------------------------

    start() {
      this.root.classList.add(`lv--${this.view}`);
      const live = h("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true", id: "lv-annunci" });
      this.announcer = new Announcer(live);
      this.conn = h("p", { class: "lv-conn", "data-status": "connecting" }, h("span", { class: "lv-conn__dot", "aria-hidden": "true" }), h("span", { class: "lv-conn__text", text: STATUS_TEXT.connecting }), h("span", { class: "lv-conn__retry", hidden: true, text: " Riconnessione…" }), h("span", { class: "lv-conn__queue", hidden: true }));
      this.timerView = new TimerView(this, { announce: !this.projector, big: this.projector });
      this.alerts = h("div", { class: "lv-alerts" });
      this.loading = this.root.querySelector(".lv-loading");
      if (this.projector) {
        this.buildProjectorChrome();
      } else {
        this.votesLeft = h("p", { class: "lv-votesleft", hidden: true });
        this.presence = h("details", { class: "lv-presence" }, h("summary", { class: "lv-presence__summary", text: "Presenti: 0" }), h("ul", { class: "lv-presence__list" }));
        this.presence.addEventListener("toggle", () => {
          if (this.presence.open) this.loadPresence();
        });
        this.bar = h("div", { class: "lv-bar" }, this.conn, this.timerView.el, this.votesLeft, this.presence);
        this.root.append(this.bar, this.alerts);
      }
      this.root.appendChild(live);
      this.client.on((type, d) => this.onClient(type, d));
      global.addEventListener("online", () => this.client.wentOnline());
      global.addEventListener("offline", () => this.client.wentOffline());
      setInterval(() => {
        if (this.timerView.running()) this.timerView.tick();
        if (this.projTimer && this.projTimer.running()) this.projTimer.tick();
      }, 250);
      this.renderConn();
      this.client.start();
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
          if (!this.projector) this.announceEvent(d.rec, d.mine);
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
      q.hidden = !n || this.projector;
      setText(q, n ? ` · ${plural(n, "operazione", "operazioni")} in attesa di invio` : "");
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
      if (this.projector) {
        this.renderProjector(vs);
      } else {
        if (!this.built) this.buildMain();
        this.renderBar(vs);
        this.renderPhase(vs);
        this.renderColumns(vs);
        if (this.console) {
          this.renderConsole(vs);
          this.renderHidden(vs);
          this.renderSelection(vs);
        }
      }
      this.restoreFocus(focusKey);
    }

    votingInfo(vs) {
      const you = this.you;
      const budget = voteBudget(vs, this.config, vs.phase);
      const voting = !this.projector && budget > 0 && may(vs, this.config, you, "vote");
      const spent = votesSpent(vs, vs.phase, you.id);
      return { voting, budget, remaining: Math.max(0, budget - spent) };
    }

    renderBar(vs) {
      const v = this.votingInfo(vs);
      this.votesLeft.hidden = !v.voting;
      if (v.voting) {
        setText(this.votesLeft, v.remaining === 1 ? "Ti resta 1 voto" : `Ti restano ${v.remaining} voti`);
        this.votesLeft.classList.toggle("lv-votesleft--none", v.remaining === 0);
      }
      this.renderPresence();
    }

    // Reads who is present (participants' sockets carry only the count). Called when the list
    // is opened, and again while it is open when the count changes.
    loadPresence() {
      if (this.presenceLoading || this.client.presenceListed) return;
      this.presenceLoading = true;
      this.presenceLoadedCount = this.client.presenceCount;
      fetch(`/api/v1/meetings/${this.client.meetingId}/presence`, { credentials: "same-origin", headers: { accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then((data) => {
          if (data && Array.isArray(data.people) && !this.client.presenceListed) {
            this.client.presence = data.people;
            this.client.presenceCount = data.count;
          }
        })
        .catch(() => {})
        .finally(() => {
          this.presenceLoading = false;
          this.renderPresence();
        });
    }

    renderPresence() {
      if (this.presence.open && !this.client.presenceListed && this.client.presenceCount !== this.presenceLoadedCount) {
        if (!this.presenceReload) {
          this.presenceReload = setTimeout(() => {
            this.presenceReload = null;
            this.loadPresence();
          }, 1000);
        }
      }
      const people = this.client.presence || [];
      const sig = JSON.stringify([this.client.presenceCount, people.map((p) => [p.id, p.name, p.organisation])]);
      if (sig !== this.presenceSig) {
        this.presenceSig = sig;
        setText(this.presence.querySelector("summary"), `Presenti: ${this.client.presenceCount || people.length}`);
        const sorted = people.slice().sort((a, b) => String(a.name).localeCompare(String(b.name), "it"));
        fill(this.presence.querySelector("ul"), 
          ...sorted.map((p) => h("li", null, p.name || "—", p.organisation ? h("span", { class: "muted", text: ` · ${p.organisation}` }) : null, p.kind === "guest" ? h("span", { class: "muted", text: " (ospite)" }) : null)),
          this.client.presenceCount > sorted.length && sorted.length ? h("li", { class: "muted", text: `e altre ${this.client.presenceCount - sorted.length} persone` }) : null,
        );
      }
    }

    buildMain() {
      this.built = true;
      this.phaseTitle = h("h2", { class: "lv-phase__title", id: "lv-fase-titolo" });
      this.phaseHelp = h("p", { class: "lv-phase__help" });
      this.phaseFlags = h("ul", { class: "lv-phase__flags", hidden: true });
      this.phaseSteps = h("ol", { class: "lv-steps", "aria-label": "Fasi dell'incontro" });
      this.phaseEl = h("section", { class: "lv-phase", "aria-labelledby": "lv-fase-titolo" }, this.phaseTitle, this.phaseHelp, this.phaseFlags, this.phaseSteps);
      this.jump = h("nav", { class: "lv-jump", "aria-label": "Colonne della lavagna" }, h("ul"));
      this.colsEl = h("div", { class: "lv-columns" });
      const main = h("div", { class: "lv-main" }, this.jump, this.colsEl);
      if (this.console) {
        this.buildConsole();
        this.hiddenEl = h("section", { class: "lv-hidden", "aria-labelledby": "lv-nascosti-titolo", hidden: true });
        main.appendChild(this.hiddenEl);
        this.selectionBar = h("div", { class: "lv-selection", hidden: true, role: "region", "aria-label": "Contributi selezionati" });
        this.root.append(this.phaseEl, h("div", { class: "lv-console-layout" }, main, this.consoleEl), this.selectionBar);
      } else {
        this.root.append(this.phaseEl, main);
      }
    }

    renderPhase(vs) {
      const cfg = this.config;
      const you = this.you;
      const label = phaseLabel(cfg, vs.phase);
      setText(this.phaseTitle, `Fase: ${label}`);
      setText(this.phaseHelp, this.phaseHelpText(vs));
      const flags = [];
      if (vs.locked) flags.push(["locked", "Lavagna bloccata da chi conduce"]);
      if (vs.blind) flags.push(["blind", "I nuovi contributi restano nascosti agli altri finché chi conduce non li rivela"]);
      if (vs.anonymous_allowed) flags.push(["anon", "Contributi anonimi ammessi"]);
      if (you.read_only) flags.push(["ro", "Sola lettura"]);
      const sig = JSON.stringify(flags);
      if (sig !== this.flagsSig) {
        this.flagsSig = sig;
        this.phaseFlags.hidden = !flags.length;
        fill(this.phaseFlags, ...flags.map(([k, t]) => h("li", { class: `badge lv-flag lv-flag--${k}`, text: t })));
      }
      const phases = (vs.template && vs.template.phases) || [];
      const stepSig = JSON.stringify([phases, vs.phase]);
      if (stepSig !== this.stepSig) {
        this.stepSig = stepSig;
        const cur = phases.indexOf(vs.phase);
        fill(this.phaseSteps, 
          ...phases.map((p, i) =>
            h(
              "li",
              { class: `lv-steps__item${i === cur ? " lv-steps__item--current" : i < cur ? " lv-steps__item--done" : ""}`, "aria-current": i === cur ? "step" : null },
              h("span", { class: "lv-steps__num", "aria-hidden": "true", text: String(i + 1) }),
              h("span", { class: "lv-steps__label", text: phaseLabel(cfg, p) }),
              i < cur ? h("span", { class: "visually-hidden", text: " (conclusa)" }) : null,
              i === cur ? h("span", { class: "visually-hidden", text: " (in corso)" }) : null,
            ),
          ),
        );
      }
    }

    phaseHelpText(vs) {
      const you = this.you;
      const cfg = this.config;
      const rules = phaseRules(cfg, vs.phase);
      const budget = voteBudget(vs, cfg, vs.phase);
      const can = [];
      const p = rules.permissions;
      if (p.indexOf("add_card") >= 0) can.push("aggiungere contributi");
      if (p.indexOf("edit_own_card") >= 0) can.push("modificare o ritirare i propri");
      if (p.indexOf("vote") >= 0 && budget > 0) can.push(`votare le priorità (${plural(budget, "voto", "voti")} a testa, anche più d'uno sullo stesso contributo)`);
      if (p.indexOf("comment") >= 0) can.push("commentare");
      const list = can.length > 1 ? `${can.slice(0, -1).join(", ")} e ${can[can.length - 1]}` : can[0];
      if (you.read_only) return "Stai guardando la lavagna in sola lettura.";
      if (isFacilitator(you)) {
        const base = "Conduci tu: puoi agire in ogni fase.";
        if (vs.locked) return `${base} La lavagna è bloccata: i partecipanti per ora possono solo leggere.`;
        return can.length ? `${base} In questa fase i partecipanti possono ${list}.` : `${base} In questa fase i partecipanti possono solo leggere.`;
      }
      if (vs.locked) return "La lavagna è bloccata da chi conduce: per ora puoi solo leggere.";
      if (vs.phase === "chiuso") return "L'incontro è chiuso: la lavagna resta consultabile.";
      if (vs.phase === "preparazione") return "L'incontro non è ancora iniziato: per ora puoi leggere la lavagna.";
      if (!can.length) return "In questa fase puoi leggere la lavagna.";
      return `Ora puoi ${list.replace("i propri", "i tuoi")}.`;
    }

    columnOf(vs, card) {
      const cols = (vs.template && vs.template.columns) || [];
      if (cols.some((c) => c.card_type === card.column)) return card.column;
      const byType = cols.find((c) => c.card_type === card.content.card_type);
      return byType ? byType.card_type : cols[0] && cols[0].card_type;
    }

    ensureColumn(col, index) {
      let c = this.columns.get(col.card_type);
      if (c) return c;
      const id = `colonna-${col.card_type}`;
      const count = h("span", { class: "lv-col__count" });
      const heading = h("h2", { class: "lv-col__title", id: `${id}-titolo`, tabindex: "-1" }, h("span", { class: "lv-col__name", text: col.title }), " ", count);
      const prompt = h("p", { class: "lv-col__prompt", text: col.prompt });
      const noun = nounOf(col.card_type);
      const formId = `${id}-modulo`;
      const toggle = h("button", { type: "button", class: "btn btn--primary lv-add__toggle", "aria-expanded": "false", "aria-controls": formId }, h("span", { "aria-hidden": "true", text: "+ " }), noun.add);
      const form = new CardForm({
        ui: this,
        cardType: col.card_type,
        column: col.card_type,
        prefix: `nuovo-${col.card_type}`,
        submitLabel: noun.publish,
        cancelLabel: "Chiudi il modulo",
        onCancel: () => this.setFormOpen(c, false, true),
        draftKey: draftKey(this.config.meeting_id, `nuovo:${col.card_type}`),
        onBehalf: this.console,
        mode: "add",
        onSubmit: (content, extras) => this.addCard(col.card_type, content, extras, form),
      });
      form.form.id = formId;
      const formWrap = h("div", { class: "lv-add__form", hidden: true }, form.form);
      toggle.addEventListener("click", () => this.setFormOpen(c, toggle.getAttribute("aria-expanded") !== "true", false));
      const add = h("div", { class: "lv-add", hidden: true }, toggle, formWrap);
      const body = h("div", { class: "lv-col__body" });
      const empty = h("p", { class: "lv-col__empty muted", text: "Ancora nessun contributo." });
      const section = h("section", { class: `lv-col lv-col--${index % 3}`, id, "data-column": col.card_type, "aria-labelledby": heading.id }, h("div", { class: "lv-col__head" }, heading, prompt), add, empty, body);
      c = { col, section, heading, count, add, toggle, form, formWrap, body, empty };
      this.columns.set(col.card_type, c);
      this.forms.set(`nuovo:${col.card_type}`, c);
      if (form.restoredDraft) {
        this.setFormOpen(c, true, false, true);
        form.setStatus("Abbiamo ripristinato il testo che avevi scritto e non avevi ancora inviato.");
      }
      return c;
    }

    setFormOpen(c, open, returnFocus, quiet) {
      c.formWrap.hidden = !open;
      c.toggle.setAttribute("aria-expanded", open ? "true" : "false");
      c.toggle.classList.toggle("lv-add__toggle--open", open);
      if (open && !quiet) c.form.focusFirst();
      if (!open && returnFocus) c.toggle.focus();
    }

    cardCtxBase(vs) {
      const you = this.you;
      const v = this.votingInfo(vs);
      return {
        you,
        facilitator: isFacilitator(you),
        variant: this.view === "list" ? "list" : "board",
        console: this.console,
        spotlight: vs.spotlight,
        voting: v.voting,
        remaining: v.remaining,
        canComment: may(vs, this.config, you, "comment"),
        canEditOwn: may(vs, this.config, you, "edit_own_card"),
      };
    }

    renderColumns(vs) {
      const cols = (vs.template && vs.template.columns) || [];
      const base = this.cardCtxBase(vs);
      const you = this.you;
      const canAdd = may(vs, this.config, you, "add_card");
      const byCol = new Map(cols.map((c) => [c.card_type, []]));
      for (const id of vs.card_order) {
        const card = vs.cards[id];
        if (!card || !isActive(card)) continue;
        const col = this.columnOf(vs, card);
        if (byCol.has(col)) byCol.get(col).push(card);
      }
      const sections = [];
      const jumpItems = [];
      cols.forEach((col, i) => {
        const c = this.ensureColumn(col, i);
        sections.push(c.section);
        const list = byCol.get(col.card_type);
        setText(c.count, `(${plural(list.length, "contributo", "contributi")})`);
        jumpItems.push([col, list.length]);
        // Add form: visible when allowed, or when it holds text that must not vanish.
        c.form.setAnonymousAllowed(!!vs.anonymous_allowed);
        const hasText = !c.form.isEmpty();
        c.add.hidden = !(canAdd || hasText) || !!you.read_only;
        c.form.setBlocked(canAdd ? null : "In questa fase non si possono aggiungere contributi: il testo resta salvato su questo dispositivo come bozza.");
        c.empty.hidden = list.length > 0;
        this.renderColumnBody(vs, c, list, base);
      });
      syncChildren(this.colsEl, sections);
      const jsig = JSON.stringify(jumpItems.map(([c, n]) => [c.card_type, c.title, n]));
      if (jsig !== this.jumpSig) {
        this.jumpSig = jsig;
        fill(this.jump.firstChild, 
          ...jumpItems.map(([c, n]) => h("li", null, h("a", { href: `#colonna-${c.card_type}`, class: "lv-jump__link" }, c.title, h("span", { class: "lv-jump__n", text: ` ${n}` }), h("span", { class: "visually-hidden", text: n === 1 ? " contributo" : " contributi" })))),
        );
      }
    }

    renderColumnBody(vs, c, list, base) {
      const col = c.col.card_type;
      const groups = Object.values(vs.groups || {})
        .filter((g) => g.column === col)
        .sort((a, b) => a.title.localeCompare(b.title, "it"));
      const groupIds = new Set(groups.map((g) => g.id));
      const level = groups.length ? 4 : 3;
      const buckets = new Map(groups.map((g) => [g.id, []]));
      const loose = [];
      for (const card of list) {
        if (card.group && groupIds.has(card.group)) buckets.get(card.group).push(card);
        else loose.push(card);
      }
      const parts = [];
      for (const g of groups) {
        const sec = this.themeSection(`tema:${g.id}`, g.title, buckets.get(g.id).length, true);
        this.fillList(sec.list, buckets.get(g.id), Object.assign({ level, column: col }, base), vs);
        parts.push(sec.el);
      }
      if (!groups.length) {
        const sec = this.themeSection(`tutti:${col}`, null, loose.length, false);
        this.fillList(sec.list, loose, Object.assign({ level, column: col }, base), vs);
        parts.push(sec.el);
      } else if (loose.length) {
        const sec = this.themeSection(`senza:${col}`, "Senza tema", loose.length, true);
        this.fillList(sec.list, loose, Object.assign({ level, column: col }, base), vs);
        parts.push(sec.el);
      }
      syncChildren(c.body, parts);
    }

    themeSection(key, title, n, titled) {
      let s = this.themeEls.get(key);
      if (!s) {
        const list = h("ol", { class: "lv-cards", role: "list" });
        const heading = titled ? h("h3", { class: "lv-theme__title" }) : null;
        const el = h("section", { class: `lv-theme${titled ? "" : " lv-theme--plain"}`, "data-theme": key }, heading, list);
        if (!titled) el.setAttribute("aria-label", "Contributi");
        s = { el, list, heading };
        this.themeEls.set(key, s);
      }
      if (s.heading) {
        fill(s.heading, h("span", { class: "lv-theme__kicker", text: key.startsWith("senza:") ? "" : "Tema: " }), title, h("span", { class: "lv-theme__n", text: ` (${n})` }));
      }
      return s;
    }

    fillList(listEl, cards, ctxBase, vs) {
      const els = cards.map((card) => {
        let v = this.cards.get(card.id);
        if (!v) {
          v = new CardView(this, card.id);
          this.cards.set(card.id, v);
          if (this.built && this.seenFirstRender && !card._pending) v.el.classList.add("lv-card--new");
        }
        const ctx = Object.assign({}, ctxBase, {
          selected: this.selected.has(card.id),
          columnOther: card.content.card_type !== ctxBase.column,
        });
        v.update(card, ctx);
        return v.el;
      });
      syncChildren(listEl, els);
      this.seenFirstRender = true;
    }

    // --- actions (participants) ---------------------------------------------------------------

    addCard(column, content, extras, form) {
      const op = Object.assign({ kind: "add_card", card_id: newId("c"), column }, content, extras);
      this.client.send(op, { form: `nuovo:${column}` });
      form.clear();
      const offline = this.client.status !== STATUS.open;
      const msg = offline
        ? "Contributo salvato su questo dispositivo: partirà appena torna la rete."
        : "Contributo inviato.";
      form.setStatus(msg);
      this.announcer.say(msg, true);
      form.focusFirst();
      this.schedule();
      return true;
    }

    vote(cardId, up, btn) {
      if (btn.getAttribute("aria-disabled") === "true") {
        const vs = this.client.viewState();
        const v = this.votingInfo(vs);
        this.announcer.say(up ? (v.remaining === 0 ? "Hai usato tutti i tuoi voti: togline uno da un altro contributo per votare questo." : "Non puoi votare ora.") : "Non hai voti su questo contributo.", true);
        return;
      }
      this.client.send({ kind: up ? "vote" : "unvote", card_id: cardId }, { card: cardId });
      this.schedule();
    }

    comment(cardId, text) {
      this.client.send({ kind: "comment", card_id: cardId, comment_id: newId("k"), text }, { card: cardId });
      this.announcer.say(this.client.status === STATUS.open ? "Commento inviato." : "Commento salvato su questo dispositivo: partirà appena torna la rete.", true);
      this.schedule();
      return true;
    }

    openEdit(cardId, failedContent) {
      const vs = this.client.viewState();
      const card = vs && vs.cards[cardId];
      if (!card) return;
      const key = draftKey(this.config.meeting_id, `modifica:${cardId}`);
      let form;
      openDialog({
        title: `Modifica: ${shorten(cardTitle(card.content), 60)}`,
        className: "lv-dialog--form",
        build: (body, close) => {
          form = new CardForm({
            ui: this,
            cardType: card.content.card_type,
            prefix: `modifica-${cardId}`,
            submitLabel: "Salva le modifiche",
            cancelLabel: "Annulla",
            onCancel: () => {
              form.dropDraft();
              close();
            },
            draftKey: failedContent ? null : key,
            values: failedContent || card.content,
            mode: "edit",
            onSubmit: (content) => {
              this.client.send(Object.assign({ kind: "edit_card", card_id: cardId }, content), { form: `modifica:${cardId}`, card: cardId });
              this.announcer.say(this.client.status === STATUS.open ? "Modifica inviata." : "Modifica salvata su questo dispositivo: partirà appena torna la rete.", true);
              form.dropDraft();
              close();
              this.schedule();
              return true;
            },
          });
          if (failedContent) form.draftKey = key;
          if (form.restoredDraft) form.setStatus("Abbiamo ripristinato le modifiche che non avevi ancora salvato.");
          body.appendChild(form.form);
        },
      });
      if (form && this.pendingFormErrors && this.pendingFormErrors.cardId === cardId) {
        form.showErrors(this.pendingFormErrors.fields, this.pendingFormErrors.message);
        this.pendingFormErrors = null;
      }
    }

    async withdraw(cardId) {
      const vs = this.client.viewState();
      const card = vs && vs.cards[cardId];
      if (!card) return;
      const ok = await confirmDialog({
        title: "Ritirare il contributo?",
        text: `«${shorten(cardTitle(card.content), 120)}» non sarà più sulla lavagna. Chi conduce potrà comunque vederlo nella storia dell'incontro.`,
        confirmLabel: "Ritira il contributo",
        danger: true,
      });
      if (!ok) return;
      this.client.send({ kind: "withdraw_card", card_id: cardId }, { card: cardId });
      this.announcer.say("Contributo ritirato.", true);
      this.schedule();
    }

    onAck(entry) {
      if (!entry || !entry.ctx) return;
      const f = entry.ctx.form && this.forms.get(entry.ctx.form);
      if (f && entry.op.kind === "add_card") {
        f.form.setStatus("Contributo pubblicato sulla lavagna.");
      }
    }

    onOpError({ entry, message, fields }) {
      this.announcer.say(`Non riuscito: ${message}`, true);
      const ctx = (entry && entry.ctx) || {};
      const op = entry && entry.op;
      if (ctx.form && ctx.form.startsWith("nuovo:") && op) {
        const c = this.forms.get(ctx.form);
        if (c) {
          const content = contentOfOp(op);
          delete content.card_id;
          this.setFormOpen(c, true, false, true);
          if (c.form.isEmpty()) {
            c.form.fill(content);
            if (op.anonymous && c.form.anon) c.form.anon.checked = true;
            c.form.saveDraft();
            c.form.showErrors(fields.length ? fields : [], message);
            c.form.setStatus("Il contributo non è stato pubblicato: il testo è di nuovo nel modulo.");
          } else {
            c.form.showErrors(fields.length ? fields : [], message);
            c.form.setStatus(`Un contributo non è stato pubblicato («${shorten(cardTitle(content), 80)}»).`);
            this.showRecover(c, content);
          }
          return;
        }
      }
      if (ctx.form && ctx.form.startsWith("modifica:") && op) {
        const cardId = op.card_id;
        const v = this.cards.get(cardId);
        const content = contentOfOp(op);
        delete content.card_id;
        this.store.set(draftKey(this.config.meeting_id, `modifica:${cardId}`), { content, at: Date.now() });
        if (v && v.el.isConnected) {
          v.setMessage(`La modifica non è stata salvata: ${message}`, {
            label: "Riprova la modifica",
            run: () => {
              this.pendingFormErrors = { cardId, fields, message };
              v.setMessage(null);
              this.openEdit(cardId);
            },
          });
          return;
        }
      }
      if (ctx.card) {
        const v = this.cards.get(ctx.card);
        if (v && v.el.isConnected) {
          v.setMessage(message);
          return;
        }
      }
      if (ctx.control && this.consoleStatus) {
        this.consoleStatus.hidden = false;
        this.consoleStatus.textContent = `Non riuscito: ${message}`;
        return;
      }
      this.showAlert(message);
    }

    showRecover(c, content) {
      const btn = h("button", {
        type: "button",
        class: "btn btn--link btn--small",
        text: "Recupera il testo non pubblicato",
        on: {
          click: () => {
            c.form.fill(content);
            c.form.saveDraft();
            btn.remove();
            c.form.focusFirst();
          },
        },
      });
      c.form.status.appendChild(h("span", null, " ", btn));
    }

    // --- announcements of remote changes -----------------------------------------------------

    announceEvent(rec, mine) {
      const ev = rec.event || {};
      const st = this.client.state;
      const cfg = this.config;
      const colTitle = (col) => {
        const c = ((st.template && st.template.columns) || []).find((x) => x.card_type === col);
        return c ? c.title : col;
      };
      const you = this.you;
      const title = (id) => {
        const c = st.cards[id];
        return c ? `«${shorten(cardTitle(c.content), 60)}»` : "un contributo";
      };
      const isMine = (id) => st.cards[id] && st.cards[id].author && st.cards[id].author.id === you.id;
      const say = (t) => this.announcer.say(t);
      switch (ev.kind) {
        case "card_added": {
          if (mine) return undefined; // announced when sent (and when an offline queue drains)
          const c = st.cards[ev.card_id];
          if (!c || (!c.revealed && !isFacilitator(you))) return;
          const anon = c.anonymous || (c.author && c.author.id === ANONYMOUS_ID);
          const who = c.on_behalf_of && c.on_behalf_of.name ? c.on_behalf_of.name : c.author && c.author.name;
          return say(anon ? `Nuovo contributo anonimo nella colonna ${colTitle(c.column)}.` : `Nuovo contributo di ${who} nella colonna ${colTitle(c.column)}.`);
        }
        case "cards_carried_over":
          return say(`Riportati ${plural((ev.cards || []).length, "contributo", "contributi")} da un incontro precedente.`);
        case "cards_revealed":
        case "revealed": {
          const n = (ev.cards || []).length;
          return n ? say(n === 1 ? "È stato rivelato un contributo." : `Sono stati rivelati ${n} contributi.`) : undefined;
        }
        case "phase_set":
          return say(`Nuova fase: ${phaseLabel(cfg, ev.phase)}. ${this.phaseHelpText(st)}`);
        case "locked":
          return say(ev.locked ? "Chi conduce ha bloccato la lavagna." : "La lavagna è di nuovo aperta.");
        case "blind_set":
          return say(ev.blind ? "Da ora i nuovi contributi restano nascosti agli altri finché chi conduce non li rivela." : "Da ora i nuovi contributi sono subito visibili a tutti.");
        case "anonymous_set":
          return say(ev.allowed ? "Ora si possono pubblicare contributi anonimi." : "I contributi anonimi non sono più ammessi.");
        case "spotlighted":
          return ev.card_id ? say(`In evidenza: ${title(ev.card_id)}.`) : undefined;
        case "timer_set": {
          const t = ev.timer;
          if (!t) return say("Timer fermato.");
          if (t.state === "paused") return say("Timer in pausa.");
          return say(`Timer avviato: ${spokenDuration(t.ends_at - this.client.serverNow())}.`);
        }
        case "vote_budget_set":
          return ev.phase === st.phase ? say(`Voti a disposizione in questa fase: ${ev.budget}.`) : undefined;
        case "commented":
          if (!mine && isMine(ev.card_id)) return say(`Nuovo commento di ${(rec.actor && rec.actor.name) || "qualcuno"} sul tuo contributo ${title(ev.card_id)}.`);
          return undefined;
        case "card_removed":
          return undefined;
        case "card_hidden":
          return mine ? undefined : say(`Un contributo è stato nascosto: ${title(ev.card_id)}.`);
        case "cards_merged":
          if ((ev.cards || []).some(isMine)) return say("Un tuo contributo è stato unito a uno simile: voti e commenti sono passati a quello.");
          return undefined;
        case "card_moved":
          if (isMine(ev.card_id) && !mine) return say(`Il tuo contributo ${title(ev.card_id)} è stato spostato nella colonna ${colTitle(ev.column)}.`);
          return undefined;
        default:
          return undefined;
      }
    }
  }

  // ==========================================================================
  // 12. Facilitator controls (console view)
  // ==========================================================================

  /** A two-state button (aria-pressed) with a constant label and a visible Sì/No. */
  function toggleButton(label, onClick) {
    const state = h("span", { class: "lv-toggle__state", "aria-hidden": "true" });
    const el = h("button", { type: "button", class: "lv-toggle", "aria-pressed": "false" }, h("span", { class: "lv-toggle__label", text: label }), state);
    el.addEventListener("click", () => onClick(el.getAttribute("aria-pressed") !== "true"));
    return {
      el,
      set(on) {
        el.setAttribute("aria-pressed", on ? "true" : "false");
        setText(state, on ? "Sì" : "No");
      },
    };
  }

  function ctlSection(title, id, ...children) {
    return h("section", { class: "lv-ctl", "aria-labelledby": id }, h("h3", { class: "lv-ctl__title", id, text: title }), ...children);
  }

  Object.assign(BoardUI.prototype, {
    op(op, label) {
      if (this.consoleStatus) {
        this.consoleStatus.hidden = true;
        this.consoleStatus.textContent = "";
      }
      this.client.send(op, { control: label || op.kind });
      this.schedule();
    },

    buildConsole() {
      const cfg = this.config;
      const el = {};
      this.ctl = el;
      this.consoleStatus = h("p", { class: "notice notice--error lv-console__status", hidden: true, role: "alert" });

      // Phase
      el.phaseNow = h("p", { class: "lv-ctl__now" });
      el.phaseSelect = h("select", { id: "ctl-fase" });
      el.phaseNext = h("button", { type: "button", class: "btn btn--primary btn--small", "data-focus": "ctl:next" });
      el.phaseNext.addEventListener("click", () => {
        const next = el.phaseNext.dataset.phase;
        if (next) this.op({ kind: "set_phase", phase: next });
      });
      const phaseForm = h(
        "form",
        { class: "lv-ctl__form", novalidate: true },
        h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-fase", text: "Scegli la fase" }), el.phaseSelect),
        h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Imposta la fase" }),
      );
      phaseForm.addEventListener("submit", (e) => {
        e.preventDefault();
        if (el.phaseSelect.value) this.op({ kind: "set_phase", phase: el.phaseSelect.value });
      });

      // Participation
      el.lock = toggleButton("Lavagna bloccata", (on) => this.op({ kind: "lock", locked: on }));
      el.anon = toggleButton("Contributi anonimi ammessi", (on) => this.op({ kind: "set_anonymous", allowed: on }));
      el.blind = toggleButton("Nuovi contributi nascosti finché non li riveli", (on) => this.op({ kind: "set_blind", blind: on }));
      el.reveal = h("button", { type: "button", class: "btn btn--secondary btn--small", "data-focus": "ctl:reveal" });
      el.reveal.addEventListener("click", () => {
        if (el.reveal.getAttribute("aria-disabled") === "true") return this.announcer.say("Non ci sono contributi da rivelare.", true);
        this.op({ kind: "reveal" });
      });

      // Votes
      el.budgetPhase = h("select", { id: "ctl-voti-fase" }, ((this.client.state.template || {}).phases || []).map((p) => h("option", { value: p, text: phaseLabel(cfg, p) })));
      el.budget = h("input", { type: "number", id: "ctl-voti", min: "0", max: "50", step: "1", inputmode: "numeric" });
      el.budgetNow = h("p", { class: "lv-ctl__now" });
      const budgetForm = h(
        "form",
        { class: "lv-ctl__form", novalidate: true },
        h(
          "div",
          { class: "lv-ctl__row" },
          h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-voti-fase", text: "Fase" }), el.budgetPhase),
          h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-voti", text: "Voti a testa" }), el.budget),
        ),
        h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Imposta i voti" }),
      );
      el.budgetPhase.addEventListener("change", () => {
        el.budget.value = String(voteBudget(this.client.state, cfg, el.budgetPhase.value));
      });
      budgetForm.addEventListener("submit", (e) => {
        e.preventDefault();
        const n = parseInt(el.budget.value, 10);
        if (!(n >= 0 && n <= 50)) {
          this.consoleStatus.hidden = false;
          this.consoleStatus.textContent = "Indica un numero di voti da 0 a 50.";
          el.budget.focus();
          return;
        }
        this.op({ kind: "set_vote_budget", phase: el.budgetPhase.value, budget: n });
      });

      // Timer
      el.timerNow = h("p", { class: "lv-ctl__now" });
      const presets = h(
        "div",
        { class: "lv-ctl__buttons", role: "group", "aria-label": "Avvia il timer" },
        [2, 5, 10, 15].map((m) =>
          h("button", { type: "button", class: "btn btn--secondary btn--small", on: { click: () => this.op({ kind: "timer", action: "start", seconds: m * 60 }) } }, `${m} min`, h("span", { class: "visually-hidden", text: ` (avvia il timer di ${m} minuti)` })),
        ),
      );
      el.customMin = h("input", { type: "number", id: "ctl-timer-minuti", min: "1", max: "240", step: "1", inputmode: "numeric" });
      const customForm = h(
        "form",
        { class: "lv-ctl__form lv-ctl__inline", novalidate: true },
        h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-timer-minuti", text: "Altra durata (minuti)" }), el.customMin),
        h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Avvia" }),
      );
      customForm.addEventListener("submit", (e) => {
        e.preventDefault();
        const m = parseFloat(String(el.customMin.value).replace(",", "."));
        if (!(m > 0 && m <= 240)) {
          this.consoleStatus.hidden = false;
          this.consoleStatus.textContent = "Indica una durata da 1 a 240 minuti.";
          el.customMin.focus();
          return;
        }
        this.op({ kind: "timer", action: "start", seconds: Math.round(m * 60) });
      });
      el.pause = h("button", { type: "button", class: "btn btn--secondary btn--small", text: "Pausa", "data-focus": "ctl:pause", on: { click: () => this.op({ kind: "timer", action: "pause" }) } });
      el.resume = h("button", { type: "button", class: "btn btn--secondary btn--small", text: "Riprendi", "data-focus": "ctl:resume", on: { click: () => this.op({ kind: "timer", action: "resume" }) } });
      el.stop = h("button", { type: "button", class: "btn btn--secondary btn--small", text: "Ferma", "data-focus": "ctl:stop", on: { click: () => this.op({ kind: "timer", action: "stop" }) } });

      // Spotlight
      el.spotNow = h("p", { class: "lv-ctl__now" });
      el.spotOff = h("button", { type: "button", class: "btn btn--secondary btn--small", text: "Togli dall'evidenza", "data-focus": "ctl:spotoff", on: { click: () => this.op({ kind: "spotlight", card_id: null }) } });

      // Guests
      el.guestNow = h("div", { class: "lv-ctl__now" });
      el.guest = h("button", { type: "button", class: "btn btn--secondary btn--small", "data-focus": "ctl:guest" });
      el.guest.addEventListener("click", () => this.op({ kind: "set_guest_code", enabled: !this.client.state.guest_code }));

      // Themes
      el.themeCol = h("select", { id: "ctl-tema-colonna" });
      el.themeTitle = h("input", { type: "text", id: "ctl-tema-titolo", maxlength: "200", autocomplete: "off" });
      const themeForm = h(
        "form",
        { class: "lv-ctl__form", novalidate: true },
        h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-tema-colonna", text: "Colonna" }), el.themeCol),
        h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-tema-titolo", text: "Nome del nuovo tema" }), el.themeTitle),
        h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Crea il tema" }),
      );
      themeForm.addEventListener("submit", (e) => {
        e.preventDefault();
        const title = el.themeTitle.value.trim();
        if (!title) {
          this.consoleStatus.hidden = false;
          this.consoleStatus.textContent = "Indica il nome del tema.";
          el.themeTitle.focus();
          return;
        }
        this.op({ kind: "create_group", group_id: newId("t"), title, column: el.themeCol.value });
        el.themeTitle.value = "";
        this.announcer.say(`Tema «${title}» creato.`, true);
      });
      el.themeList = h("ul", { class: "lv-ctl__themes" });

      // Carry over (low priority: plain inputs)
      el.carryMeeting = h("input", { type: "number", id: "ctl-riporta-incontro", min: "1", inputmode: "numeric" });
      el.carryCards = h("textarea", { id: "ctl-riporta-contributi", rows: "2", "aria-describedby": "ctl-riporta-aiuto" });
      const carryForm = h(
        "form",
        { class: "lv-ctl__form", novalidate: true },
        h("div", { class: "field" }, h("label", { class: "field__label", for: el.carryMeeting.id, text: "Identificativo dell'incontro precedente" }), el.carryMeeting),
        h(
          "div",
          { class: "field" },
          h("label", { class: "field__label", for: el.carryCards.id, text: "Identificativi dei contributi" }),
          h("p", { class: "field__hint", id: "ctl-riporta-aiuto", text: "Uno per riga o separati da virgole." }),
          el.carryCards,
        ),
        h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Riporta i contributi" }),
      );
      carryForm.addEventListener("submit", (e) => {
        e.preventDefault();
        const from = parseInt(el.carryMeeting.value, 10);
        const ids = el.carryCards.value.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
        if (!(from > 0) || !ids.length) {
          this.consoleStatus.hidden = false;
          this.consoleStatus.textContent = "Indica l'incontro e almeno un contributo da riportare.";
          return;
        }
        this.op({ kind: "carry_over", from_meeting: from, cards: ids });
        el.carryCards.value = "";
      });

      this.consoleEl = h(
        "aside",
        { class: "lv-console", "aria-labelledby": "lv-conduzione-titolo" },
        h("h2", { class: "lv-console__title", id: "lv-conduzione-titolo", text: "Comandi di conduzione" }),
        this.consoleStatus,
        ctlSection("Fase", "ctl-h-fase", el.phaseNow, el.phaseNext, phaseForm),
        ctlSection("Partecipazione", "ctl-h-partecipazione", h("div", { class: "lv-ctl__toggles" }, el.lock.el, el.anon.el, el.blind.el), el.reveal),
        ctlSection("Timer", "ctl-h-timer", el.timerNow, presets, customForm, h("div", { class: "lv-ctl__buttons" }, el.pause, el.resume, el.stop)),
        ctlSection("Voto", "ctl-h-voto", el.budgetNow, budgetForm),
        ctlSection("In evidenza", "ctl-h-evidenza", el.spotNow, el.spotOff),
        ctlSection("Accesso ospiti", "ctl-h-ospiti", el.guestNow, el.guest),
        ctlSection("Temi", "ctl-h-temi", themeForm, el.themeList),
        h("details", { class: "lv-ctl lv-ctl--more" }, h("summary", { class: "lv-ctl__title", text: "Riporta contributi da un incontro precedente" }), carryForm),
      );
    },

    renderConsole(vs) {
      const el = this.ctl;
      const cfg = this.config;
      const phases = (vs.template && vs.template.phases) || [];
      // Phase
      setText(el.phaseNow, `Fase attuale: ${phaseLabel(cfg, vs.phase)}`);
      const psig = JSON.stringify([phases, vs.phase]);
      if (psig !== this.ctlPhaseSig) {
        this.ctlPhaseSig = psig;
        fill(el.phaseSelect, ...phases.map((p) => h("option", { value: p, text: phaseLabel(cfg, p), selected: p === vs.phase })));
        el.phaseSelect.value = vs.phase;
        const next = phases[phases.indexOf(vs.phase) + 1];
        el.phaseNext.hidden = !next;
        el.phaseNext.dataset.phase = next || "";
        setText(el.phaseNext, next ? `Passa a: ${phaseLabel(cfg, next)}` : "");
      }
      // Participation
      el.lock.set(!!vs.locked);
      el.anon.set(!!vs.anonymous_allowed);
      el.blind.set(!!vs.blind);
      const hidden = activeCards(vs).filter((c) => !c.revealed).length;
      setText(el.reveal, `Rivela i contributi (${hidden} ${hidden === 1 ? "nascosto" : "nascosti"})`);
      el.reveal.setAttribute("aria-disabled", hidden ? "false" : "true");
      // Votes
      const vp = phases.indexOf("voto") >= 0 ? "voto" : vs.phase;
      if (!this.budgetInit) {
        this.budgetInit = true;
        el.budgetPhase.value = vp;
        el.budget.value = String(voteBudget(vs, cfg, vp));
      }
      const bsig = JSON.stringify(vs.vote_budgets || {});
      if (bsig !== this.ctlBudgetSig) {
        this.ctlBudgetSig = bsig;
        if (document.activeElement !== el.budget) el.budget.value = String(voteBudget(vs, cfg, el.budgetPhase.value));
      }
      const lines = phases.filter((p) => voteBudget(vs, cfg, p) > 0).map((p) => `${phaseLabel(cfg, p)}: ${plural(voteBudget(vs, cfg, p), "voto", "voti")} a testa`);
      setText(el.budgetNow, lines.length ? lines.join(" · ") : "Nessuna fase di voto.");
      // Timer
      const t = vs.timer;
      setText(el.timerNow, !t ? "Timer fermo." : t.state === "paused" ? `In pausa, restano ${mmss(t.remaining_ms)}.` : `In corso: ${spokenDuration(t.duration_ms)} in tutto.`);
      el.pause.hidden = !(t && t.state === "running");
      el.resume.hidden = !(t && t.state === "paused");
      el.stop.hidden = !t;
      // Spotlight
      const spot = vs.spotlight && vs.cards[vs.spotlight];
      setText(el.spotNow, spot ? `In evidenza: «${shorten(cardTitle(spot.content), 80)}»` : "Nessun contributo in evidenza. Usa «Gestisci» su un contributo per metterlo in evidenza.");
      el.spotOff.hidden = !spot;
      // Guests
      const gsig = JSON.stringify([vs.guest_code, cfg.join_url]);
      if (gsig !== this.ctlGuestSig) {
        this.ctlGuestSig = gsig;
        if (vs.guest_code) {
          fill(el.guestNow, 
            h("p", null, "Codice per gli ospiti: ", h("strong", { class: "lv-code", text: vs.guest_code })),
            cfg.join_url ? h("p", null, "Si entra da ", h("a", { href: cfg.join_url, text: absoluteUrl(cfg.join_url) })) : null,
          );
        } else {
          fill(el.guestNow, h("p", { text: "Disattivato: entrano solo le persone iscritte e chi conduce." }));
        }
        setText(el.guest, vs.guest_code ? "Disattiva il codice ospiti" : "Attiva il codice ospiti");
      }
      // Themes
      const cols = (vs.template && vs.template.columns) || [];
      const csig = JSON.stringify(cols.map((c) => c.card_type));
      if (csig !== this.ctlColsSig) {
        this.ctlColsSig = csig;
        fill(el.themeCol, ...cols.map((c) => h("option", { value: c.card_type, text: c.title })));
      }
      const groups = Object.values(vs.groups || {}).sort((a, b) => a.column.localeCompare(b.column) || a.title.localeCompare(b.title, "it"));
      const tsig = JSON.stringify(groups);
      if (tsig !== this.ctlThemesSig) {
        this.ctlThemesSig = tsig;
        const colTitle = (ct) => (cols.find((c) => c.card_type === ct) || { title: ct }).title;
        fill(el.themeList, 
          ...groups.map((g) => {
            const input = h("input", { type: "text", id: `ctl-rinomina-${g.id}`, value: g.title, maxlength: "200", autocomplete: "off", "data-focus": `rename:${g.id}` });
            const form = h(
              "form",
              { class: "lv-ctl__inline", novalidate: true },
              h("div", { class: "field" }, h("label", { class: "field__label", for: input.id }, "Rinomina ", h("span", { class: "visually-hidden", text: `il tema ${g.title}` })), input),
              h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Salva" }),
            );
            form.addEventListener("submit", (e) => {
              e.preventDefault();
              const title = input.value.trim();
              if (title && title !== g.title) this.op({ kind: "rename_group", group_id: g.id, title });
            });
            return h("li", { class: "lv-ctl__theme" }, h("p", null, h("strong", { text: g.title }), h("span", { class: "muted", text: ` · ${colTitle(g.column)}` })), form);
          }),
        );
        el.themeList.hidden = !groups.length;
      }
    },

    renderHidden(vs) {
      const hidden = vs.card_order.map((id) => vs.cards[id]).filter((c) => c && c.state && c.state.state === "hidden");
      const sig = JSON.stringify(hidden.map((c) => [c.id, cardTitle(c.content), c.state]));
      if (sig === this.hiddenSig) return;
      this.hiddenSig = sig;
      this.hiddenEl.hidden = !hidden.length;
      fill(this.hiddenEl, 
        h("h2", { id: "lv-nascosti-titolo", text: `Nascosti (${hidden.length})` }),
        h("p", { class: "muted", text: "Contributi nascosti da chi conduce: i partecipanti non li vedono. Puoi ripristinarli." }),
        h(
          "ul",
          { class: "lv-hidden__list" },
          hidden.map((c) =>
            h(
              "li",
              { class: "lv-hidden__item", "data-card-id": c.id },
              h("p", { class: "lv-hidden__title", text: cardTitle(c.content) }),
              h("p", { class: "muted" }, `Motivo: ${c.state.reason || "—"}`, c.state.by ? ` · nascosto da ${c.state.by}` : ""),
              h("button", {
                type: "button",
                class: "btn btn--secondary btn--small",
                "data-focus": `restore:${c.id}`,
                "aria-label": `Ripristina: ${shorten(cardTitle(c.content), 60)}`,
                text: "Ripristina",
                on: { click: () => this.op({ kind: "restore", card_id: c.id }) },
              }),
            ),
          ),
        ),
      );
    },

    toggleSelected(cardId, on) {
      if (on) this.selected.add(cardId);
      else this.selected.delete(cardId);
      this.schedule();
    },

    renderSelection(vs) {
      for (const id of Array.from(this.selected)) if (!vs.cards[id] || !isActive(vs.cards[id])) this.selected.delete(id);
      const n = this.selected.size;
      const sig = String(n);
      if (sig === this.selSig) return;
      this.selSig = sig;
      this.selectionBar.hidden = !n;
      if (!n) return;
      fill(this.selectionBar, 
        h("p", { class: "lv-selection__count", text: n === 1 ? "1 contributo selezionato: scegline almeno un altro da unire." : `${n} contributi selezionati` }),
        h("button", {
          type: "button",
          class: "btn btn--primary btn--small",
          text: "Unisci i doppioni…",
          "aria-disabled": n < 2 ? "true" : "false",
          "data-focus": "sel:merge",
          on: { click: (e) => (e.currentTarget.getAttribute("aria-disabled") === "true" ? this.announcer.say("Seleziona almeno due contributi.", true) : this.openMerge()) },
        }),
        h("button", {
          type: "button",
          class: "btn btn--link btn--small",
          text: "Annulla la selezione",
          on: {
            click: () => {
              this.selected.clear();
              this.schedule();
            },
          },
        }),
      );
    },

    openMerge() {
      const vs = this.client.viewState();
      const ids = Array.from(this.selected).filter((id) => vs.cards[id] && isActive(vs.cards[id]));
      if (ids.length < 2) return;
      openDialog({
        title: "Unisci i doppioni",
        build: (body, close) => {
          const fs = h("fieldset", { class: "lv-merge" }, h("legend", { text: "Quale contributo resta sulla lavagna?" }));
          ids.forEach((id, i) => {
            const c = vs.cards[id];
            const r = h("input", { type: "radio", name: "into", id: `unisci-${id}`, value: id, checked: i === 0 });
            fs.appendChild(
              h("label", { class: "checkbox", for: r.id }, r, h("span", null, h("strong", { text: shorten(cardTitle(c.content), 120) }), h("span", { class: "muted", text: ` · ${authorLine(c, this.cardCtxBase(vs)).join(" · ")} · ${plural(totalVotes(c), "voto", "voti")}` }))),
            );
          });
          const form = h(
            "form",
            { novalidate: true },
            fs,
            h("p", { class: "muted", text: "Gli altri diventano doppioni di quello scelto: voti e commenti passano a lui." }),
            h("div", { class: "lv-dialog__actions" }, h("button", { type: "submit", class: "btn btn--primary", text: "Unisci" }), h("button", { type: "button", class: "btn btn--secondary", text: "Annulla", on: { click: close } })),
          );
          form.addEventListener("submit", (e) => {
            e.preventDefault();
            const into = form.querySelector("input[name=into]:checked").value;
            this.op({ kind: "merge", into, cards: ids.filter((x) => x !== into) });
            this.selected.clear();
            this.announcer.say("Contributi uniti.", true);
            close();
          });
          body.appendChild(form);
        },
      });
    },

    openManage(cardId) {
      const vs = this.client.viewState();
      const card = vs && vs.cards[cardId];
      if (!card) return;
      const cols = (vs.template && vs.template.columns) || [];
      const title = cardTitle(card.content);
      openDialog({
        title: `Gestisci: ${shorten(title, 60)}`,
        className: "lv-dialog--form",
        build: (body, close) => {
          const who = authorLine(card, this.cardCtxBase(vs)).join(" · ");
          const info = h("p", { class: "muted" }, `Di ${who}`, card.on_behalf_of ? ` · inserito da ${card.author.name}` : "", ` · ${plural(totalVotes(card), "voto", "voti")}`);
          // Spotlight
          const spotOn = vs.spotlight === cardId;
          const spot = h("button", {
            type: "button",
            class: "btn btn--secondary",
            text: spotOn ? "Togli dall'evidenza" : "Metti in evidenza",
            on: {
              click: () => {
                this.op({ kind: "spotlight", card_id: spotOn ? null : cardId });
                close();
              },
            },
          });
          const edit = h("button", {
            type: "button",
            class: "btn btn--secondary",
            text: "Modifica il testo",
            on: {
              click: () => {
                close();
                this.openEdit(cardId);
              },
            },
          });
          // Move
          const moveSel = h("select", { id: `sposta-${cardId}` }, cols.map((c) => h("option", { value: c.card_type, text: c.title, selected: c.card_type === card.column })));
          const moveForm = h(
            "form",
            { class: "lv-ctl__inline", novalidate: true },
            h("div", { class: "field" }, h("label", { class: "field__label", for: moveSel.id, text: "Sposta nella colonna" }), moveSel),
            h("button", { type: "submit", class: "btn btn--secondary", text: "Sposta" }),
          );
          moveForm.addEventListener("submit", (e) => {
            e.preventDefault();
            if (moveSel.value !== card.column) this.op({ kind: "move", card_id: cardId, column: moveSel.value });
            close();
          });
          // Theme
          const groups = Object.values(vs.groups || {}).filter((g) => g.column === card.column).sort((a, b) => a.title.localeCompare(b.title, "it"));
          let themeForm;
          if (groups.length) {
            const themeSel = h("select", { id: `tema-${cardId}` }, h("option", { value: "", text: "Nessun tema" }), groups.map((g) => h("option", { value: g.id, text: g.title, selected: card.group === g.id })));
            themeForm = h(
              "form",
              { class: "lv-ctl__inline", novalidate: true },
              h("div", { class: "field" }, h("label", { class: "field__label", for: themeSel.id, text: "Tema" }), themeSel),
              h("button", { type: "submit", class: "btn btn--secondary", text: "Assegna" }),
            );
            themeForm.addEventListener("submit", (e) => {
              e.preventDefault();
              this.op({ kind: "group", card_id: cardId, group_id: themeSel.value || null });
              close();
            });
          } else {
            themeForm = h("p", { class: "muted", text: "Non ci sono temi in questa colonna: creali nei comandi di conduzione, sezione «Temi»." });
          }
          // Hide with a reason
          const reason = h("textarea", { id: `motivo-${cardId}`, rows: "2", maxlength: "500", required: true, "aria-required": "true", "aria-describedby": `motivo-${cardId}-aiuto` });
          const reasonErr = h("p", { class: "field__error", id: `motivo-${cardId}-errore`, hidden: true });
          const hideForm = h(
            "form",
            { class: "lv-manage__hide", novalidate: true },
            h(
              "div",
              { class: "field" },
              h("label", { class: "field__label", for: reason.id, text: "Motivo per nasconderlo" }),
              h("p", { class: "field__hint", id: `motivo-${cardId}-aiuto`, text: "Resta nella storia dell'incontro; i partecipanti non vedranno più il contributo." }),
              reasonErr,
              reason,
            ),
            h("button", { type: "submit", class: "btn btn--danger", text: "Nascondi il contributo" }),
          );
          hideForm.addEventListener("submit", (e) => {
            e.preventDefault();
            const r = reason.value.trim();
            if (!r) {
              reasonErr.hidden = false;
              reasonErr.textContent = "Indica il motivo.";
              reason.setAttribute("aria-invalid", "true");
              reason.setAttribute("aria-describedby", `motivo-${cardId}-aiuto ${reasonErr.id}`);
              reason.focus();
              return;
            }
            this.op({ kind: "hide", card_id: cardId, reason: r });
            this.announcer.say("Contributo nascosto.", true);
            close();
          });
          body.append(
            info,
            h("div", { class: "lv-dialog__actions" }, spot, edit),
            h("h3", { class: "lv-manage__h", text: "Colonna e tema" }),
            moveForm,
            themeForm,
            h("h3", { class: "lv-manage__h", text: "Moderazione" }),
            hideForm,
          );
        },
      });
    },
  });

  function absoluteUrl(path) {
    try {
      return new URL(path, global.location.href).href;
    } catch (_) {
      return path;
    }
  }

  // --- projector ---------------------------------------------------------------------------

  const TOP_BARS = 10;
  const PROJ_TITLES = 8;

  Object.assign(BoardUI.prototype, {
    buildProjectorChrome() {
      this.projPhase = h("p", { class: "lv-proj__phase" });
      this.projFlags = h("p", { class: "lv-proj__flags", hidden: true });
      this.projTimer = new TimerView(this, { big: true });
      this.projJoin = h("div", { class: "lv-proj__join" });
      const full = h("button", { type: "button", class: "btn btn--secondary btn--small lv-proj__full", text: "Schermo intero" });
      full.addEventListener("click", () => {
        const d = document.documentElement;
        if (document.fullscreenElement) document.exitFullscreen();
        else if (d.requestFullscreen) d.requestFullscreen().catch(() => {});
      });
      this.projSpot = h("section", { class: "lv-proj__spot", "aria-labelledby": "lv-proj-spot-t", hidden: true });
      this.projCols = h("div", { class: "lv-proj__cols" });
      this.projEl = h(
        "div",
        { class: "lv-proj" },
        h("div", { class: "lv-proj__top" }, h("div", { class: "lv-proj__status" }, this.projPhase, this.projFlags, this.projTimer.el), this.projJoin),
        this.projSpot,
        this.projCols,
        h("div", { class: "lv-proj__foot" }, this.conn, full),
      );
      this.root.append(this.alerts, this.projEl);
    },

    renderProjector(vs) {
      const cfg = this.config;
      setText(this.projPhase, phaseLabel(cfg, vs.phase));
      const flags = [];
      if (vs.locked) flags.push("Lavagna bloccata");
      if (vs.blind) flags.push("Contributi nascosti fino alla rivelazione");
      this.projFlags.hidden = !flags.length;
      setText(this.projFlags, flags.join(" · "));
      this.projTimer.update(vs.timer);
      // Join address and guest code
      const jsig = JSON.stringify([cfg.join_url, vs.guest_code]);
      if (jsig !== this.projJoinSig) {
        this.projJoinSig = jsig;
        const bits = [];
        // Enrolled people join from the board address (their private link logs them in);
        // people without an enrollment use the guest page with the code, when enabled.
        if (cfg.board_url) {
          bits.push(h("p", { class: "lv-proj__joinlabel", text: "Partecipa da" }), h("p", { class: "lv-proj__url", text: absoluteUrl(cfg.board_url).replace(/^https?:\/\//, "") }));
        }
        if (cfg.join_url && vs.guest_code) {
          bits.push(h("p", { class: "lv-proj__joinlabel", text: "Ospiti" }), h("p", { class: "lv-proj__url", text: absoluteUrl(cfg.join_url).replace(/^https?:\/\//, "") }));
          bits.push(h("p", { class: "lv-proj__joinlabel", text: "Codice ospite" }), h("p", { class: "lv-proj__code", text: vs.guest_code }));
        }
        fill(this.projJoin, ...bits);
        this.projJoin.hidden = !bits.length;
      }
      // Cards shown in the room: active and revealed only, authors never
      const shown = activeCards(vs).filter((c) => c.revealed);
      const spot = vs.spotlight && vs.cards[vs.spotlight];
      const ssig = spot ? JSON.stringify([spot.id, spot.content, totalVotes(spot), spot.revealed]) : "";
      if (ssig !== this.projSpotSig) {
        this.projSpotSig = ssig;
        this.projSpot.hidden = !spot || !spot.revealed || !isActive(spot);
        if (spot) {
          const rows = cardFieldRows(cfg, spot.content, true).slice(0, 6);
          const votes = totalVotes(spot);
          fill(this.projSpot, 
            h("p", { class: "lv-proj__spotlabel", text: "In evidenza" }),
            h("h2", { class: "lv-proj__spottitle", id: "lv-proj-spot-t", text: shorten(cardTitle(spot.content), 280) }),
            rows.length ? h("dl", { class: "lv-proj__spotfields" }, rows.map(([k, v]) => h("div", null, h("dt", { text: k }), h("dd", { text: shorten(v, 200) })))) : null,
            votes ? h("p", { class: "lv-proj__spotvotes", text: plural(votes, "voto", "voti") }) : null,
          );
        }
      }
      // Columns: titles, or vote results from the voting phase on
      const phases = (vs.template && vs.template.phases) || [];
      const vi = phases.indexOf("voto");
      const results = vi >= 0 ? phases.indexOf(vs.phase) >= vi : voteBudget(vs, cfg, vs.phase) > 0;
      const cols = (vs.template && vs.template.columns) || [];
      const byCol = new Map(cols.map((c) => [c.card_type, []]));
      for (const c of shown) {
        const col = this.columnOf(vs, c);
        if (byCol.has(col)) byCol.get(col).push(c);
      }
      const sig = JSON.stringify([results, cols.map((c) => c.card_type), shown.map((c) => [c.id, c.column, cardTitle(c.content), totalVotes(c), c.group]), vs.groups, vs.spotlight]);
      if (sig === this.projColsSig) return;
      this.projColsSig = sig;
      this.projCols.classList.toggle("lv-proj__cols--results", results);
      fill(this.projCols, 
        ...cols.map((col, i) => {
          const list = byCol.get(col.card_type);
          const head = h("h2", { class: "lv-proj__coltitle" }, col.title, h("span", { class: "lv-proj__n", text: ` ${list.length}` }), h("span", { class: "visually-hidden", text: list.length === 1 ? " contributo" : " contributi" }));
          let content;
          if (results) {
            const top = list.slice().sort((a, b) => totalVotes(b) - totalVotes(a) || a.created_seq - b.created_seq).slice(0, TOP_BARS);
            const max = Math.max(1, ...top.map(totalVotes));
            content = top.length
              ? h(
                  "ol",
                  { class: "lv-bars" },
                  top.map((c) => {
                    const n = totalVotes(c);
                    const fill = h("span", { class: "lv-bars__fill" });
                    fill.style.width = `${((n / max) * 100).toFixed(1)}%`;
                    return h(
                      "li",
                      { class: `lv-bars__item${vs.spotlight === c.id ? " lv-bars__item--spot" : ""}`, "data-card-id": c.id },
                      h("span", { class: "lv-bars__label", text: shorten(cardTitle(c.content), 90) }),
                      h("span", { class: "lv-bars__row" }, h("span", { class: "lv-bars__track", "aria-hidden": "true" }, fill), h("span", { class: "lv-bars__num" }, String(n), h("span", { class: "lv-bars__unit", text: n === 1 ? " voto" : " voti" }))),
                    );
                  }),
                )
              : h("p", { class: "lv-proj__empty", text: "Nessun contributo." });
          } else {
            const recent = list.slice(-PROJ_TITLES).reverse();
            content = h(
              "div",
              null,
              recent.length
                ? h(
                    "ul",
                    { class: "lv-proj__titles" },
                    recent.map((c) => {
                      const g = c.group && vs.groups && vs.groups[c.group];
                      const n = totalVotes(c);
                      return h(
                        "li",
                        { class: `lv-proj__card${vs.spotlight === c.id ? " lv-proj__card--spot" : ""}`, "data-card-id": c.id },
                        g ? h("span", { class: "lv-proj__theme", text: g.title }) : null,
                        h("span", { class: "lv-proj__cardtitle", text: shorten(cardTitle(c.content), 120) }),
                        n ? h("span", { class: "lv-proj__votes", text: plural(n, "voto", "voti") }) : null,
                      );
                    }),
                  )
                : h("p", { class: "lv-proj__empty", text: "Ancora nessun contributo." }),
              list.length > PROJ_TITLES ? h("p", { class: "lv-proj__more", text: `e altri ${list.length - PROJ_TITLES}` }) : null,
            );
          }
          return h("section", { class: `lv-proj__col lv-col--${i % 3}`, "data-column": col.card_type }, head, content);
        }),
      );
    },
  });

  // ==========================================================================
  // 14. Boot and test hook
  // ==========================================================================

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
    const ui = new BoardUI(root, config);
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
    global.tavoloBoard = Object.freeze(hook);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();


  if (typeof module !== "undefined" && module.exports) {
    module.exports = pure;
  }
})(typeof window !== "undefined" ? window : globalThis);
