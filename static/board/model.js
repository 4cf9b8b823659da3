// Tavolo board client — the state model: the fold of board events and the optimistic overlay.
//
// Pure (no DOM, no network): the browser imports it, and so does node (`node --test`, see
// tests/js/). The state is `BoardState` of src/domain/board.rs as the server serialises it (the
// `welcome` frame); `apply()` folds one event record into it exactly as `apply()` there does,
// plus the public variants participants receive (redacted, card_removed, cards_revealed,
// objective_shown). The fold parity test (tests/fold_parity.rs and
// tests/js/fold_parity.test.mjs, one fixture in tests/fixtures/board-fold/) keeps the two folds
// equal.

/** The author shown for an anonymous card (board.rs `anonymous_actor`). */
export const ANONYMOUS_ID = "anonimo";
/** The voter key under which participants see other people's votes (board.rs `view_for`). */
const OTHERS_VOTES = "*";

/** A phase the page's configuration does not describe allows participants nothing here: the
 *  configuration lists every phase of the board's template, and the server decides anyway. */
const NO_RULES = { permissions: [], budget: 0 };

/** What participants may do in a phase and their vote budget, from the page's configuration
 *  (`phase_rules`, built by src/domain/board_config.rs from board.rs `phase_rules`). */
export function phaseRules(config, phase) {
  const fromConfig = config && config.phase_rules && config.phase_rules[phase];
  if (!fromConfig) return NO_RULES;
  return {
    permissions: Array.isArray(fromConfig.permissions) ? fromConfig.permissions : [],
    budget: typeof fromConfig.budget === "number" ? fromConfig.budget : 0,
  };
}

/** The Italian name of a phase, from the page's configuration (`phase_labels`). */
export function phaseLabel(config, phase) {
  const labels = (config && config.phase_labels) || {};
  if (labels[phase]) return labels[phase];
  const p = String(phase || "");
  return p.charAt(0).toUpperCase() + p.slice(1);
}

/** The one-line title of a card's content (CardContent::title). */
export function cardTitle(content) {
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

export function isActive(card) {
  return !!card && !!card.state && card.state.state === "active";
}

export function totalVotes(card) {
  let n = 0;
  for (const k in card.votes || {}) n += card.votes[k] || 0;
  return n;
}

export function votesOf(card, voterId) {
  return (card.votes && card.votes[voterId]) || 0;
}

/** BoardState::vote_budget */
export function voteBudget(state, config, phase) {
  const set = state.vote_budgets || {};
  if (Object.prototype.hasOwnProperty.call(set, phase)) return set[phase];
  return phaseRules(config, phase).budget;
}

/** Whether vote totals stay off the screens now: a facilitator hid them and the current phase
 *  is a vote (moving on to the next phase closes the vote and shows them). Screens show only
 *  one's own votes meanwhile. */
export function totalsHidden(state, config) {
  return !!state.votes_hidden && phaseRules(config, state.phase).permissions.indexOf("vote") >= 0;
}

/** BoardState::votes_spent */
export function votesSpent(state, phase, voter) {
  const m = state.spent && state.spent[phase];
  return (m && m[voter]) || 0;
}

export function isFacilitator(you) {
  return !!you && (you.is_facilitator || you.kind === "facilitator" || you.kind === "organiser");
}

/** What `you` may do now: mirror of BoardState::participant_may (the server decides). */
export function may(state, config, you, permission) {
  if (!state || !you || you.read_only) return false;
  if (isFacilitator(you)) return true;
  if (state.locked) return false;
  return phaseRules(config, state.phase).permissions.indexOf(permission) >= 0;
}

/** Active cards in board order. */
export function activeCards(state) {
  const out = [];
  for (const id of state.card_order || []) {
    const c = state.cards[id];
    if (c && isActive(c)) out.push(c);
  }
  return out;
}

/** The template column a card is shown in: its own, else the column of its kind, else the
 *  first (a card carried over from a board with other columns). */
export function columnOf(state, card) {
  const cols = (state.template && state.template.columns) || [];
  if (cols.some((c) => c.card_type === card.column)) return card.column;
  const byType = cols.find((c) => c.card_type === card.content.card_type);
  return byType ? byType.card_type : cols[0] && cols[0].card_type;
}

export function deepClone(x) {
  if (x === undefined || x === null) return x;
  if (typeof structuredClone === "function") return structuredClone(x);
  return JSON.parse(JSON.stringify(x));
}

/** An empty board, as `BoardState::new(meeting_id, template)` serialises it: the first phase
 *  of the template (or "raccolta" for a template without phases), nothing else set. */
export function emptyState(meetingId, template) {
  const t = template || { name: "", columns: [], phases: [] };
  return {
    meeting_id: meetingId,
    seq: 0,
    template: deepClone(t),
    phase: (t.phases && t.phases[0]) || "raccolta",
    locked: false,
    anonymous_allowed: false,
    blind: false,
    votes_hidden: false,
    vote_budgets: {},
    spent: {},
    cards: {},
    card_order: [],
    groups: {},
    timer: null,
    spotlight: null,
    guest_code: null,
    history: [],
    syntheses: {},
    objectives: {},
    objective_order: [],
  };
}

// --- the fold -------------------------------------------------------------------------------

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

/** The letter of a kind of card, as in references ("M3-1/B01"): src/domain/board/reference.rs. */
export function letterOf(content) {
  switch (content && content.card_type) {
    case "bisogno":
      return "B";
    case "proposta":
      return "P";
    case "indicatore":
      return "I";
    default:
      return "C";
  }
}

/** The number the next card of a letter takes (cards never leave a board). */
function nextNumber(state, letter) {
  let n = 0;
  for (const c of Object.values(state.cards || {})) if (letterOf(c.content) === letter) n += 1;
  return n + 1;
}

/** An objective's reference in the meeting with code `meetingCode`: "M3-1/O01"
 *  (reference.rs `OBJECTIVE`). */
export function objectiveReference(objective, meetingCode) {
  return `${meetingCode}/O${String(objective.number || 0).padStart(2, "0")}`;
}

/** Whether the synthesis is open in the board's phase (`synthesis_phases` of the page's
 *  configuration, from src/domain/board/synthesis.rs `synthesis_open`). */
export function synthesisOpen(state, config) {
  const phases = (config && config.synthesis_phases) || [];
  return !!state && phases.indexOf(state.phase) >= 0;
}

/** The card `id`, or the card it was merged into (BoardState::resolve_card): how a link from
 *  an objective is read. */
export function resolveCard(state, id) {
  let card = state.cards[id];
  for (let i = 0; card && i < 64 && card.state && card.state.state === "merged"; i++) {
    const next = state.cards[card.state.into];
    if (!next) break;
    card = next;
  }
  return card || null;
}

/** Objectives of the plan, in the order they were created (removed ones only with `all`). */
export function objectivesOf(state, all) {
  const out = [];
  for (const id of state.objective_order || []) {
    const o = (state.objectives || {})[id];
    if (o && (all || (o.state && o.state.state === "active"))) out.push(o);
  }
  return out;
}

/** A card's reference in the meeting with code `meetingCode`: "M3-1/B01". */
export function referenceOf(card, meetingCode) {
  const n = String(card.number || 0).padStart(2, "0");
  return `${meetingCode}/${letterOf(card.content)}${n}`;
}

/**
 * Applies one event record `{seq, op_id, actor, at, event}` to `state`, in place, then the
 * vote totals the frame carries, if any.
 * Events that no longer fit leave the state unchanged, as in board.rs.
 */
export function apply(state, rec) {
  applyEvent(state, rec);
  if (rec.totals) applyTotals(state, rec.totals);
}

/** The vote totals a participant may see now (a frame's `totals`, sent when a facilitator
 *  shows or hides them or the vote opens or closes; empty while hidden): other people's count
 *  of each card becomes its total less one's own votes (visibility.rs `public_totals`). */
export function applyTotals(state, totals) {
  for (const c of Object.values(state.cards || {})) {
    const votes = c.votes || {};
    let own = 0;
    for (const [voter, n] of Object.entries(votes)) if (voter !== OTHERS_VOTES) own += n;
    delete votes[OTHERS_VOTES];
    const total = totals[c.id] || 0;
    if (total > 0) votes[OTHERS_VOTES] = Math.max(0, total - own);
    c.votes = votes;
  }
}

function applyEvent(state, rec) {
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
  state.syntheses = state.syntheses || {};
  state.objectives = state.objectives || {};
  state.objective_order = state.objective_order || [];
  switch (ev.kind) {
    case "card_added": {
      if (state.cards[ev.card_id]) return;
      // The number is computed before the card joins the board (see reference.rs).
      const number = ev.number != null ? ev.number : nextNumber(state, letterOf(ev.content));
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
        number,
        carried_from: null,
        merged: [],
        mark: null,
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
        // The author of an anonymous card answering under it stays anonymous (as board.rs):
        // the public receives both under the id "anonimo", the author and staff the real one.
        const anonymous = !!c.anonymous && !!c.author && c.author.id === actor.id;
        c.comments.push({ id: ev.comment_id, author: deepClone(actor), text: ev.text, at, anonymous });
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
    case "votes_hidden_set":
      state.votes_hidden = !!ev.hidden;
      return;
    case "vote_budget_set":
      state.vote_budgets[ev.phase] = ev.budget;
      return;
    case "cards_carried_over":
      for (const c of ev.cards || []) {
        if (state.cards[c.card_id]) continue;
        const number = c.number != null ? c.number : nextNumber(state, letterOf(c.content));
        state.card_order.push(c.card_id);
        state.cards[c.card_id] = {
          id: c.card_id,
          column: c.column,
          content: deepClone(c.content),
          author: deepClone(c.author),
          on_behalf_of: c.on_behalf_of ? deepClone(c.on_behalf_of) : null,
          anonymous: !!c.anonymous,
          state: { state: "active" },
          group: null,
          votes: {},
          comments: [],
          revealed: true,
          created_seq: rec.seq,
          created_at: at,
          updated_at: at,
          number,
          carried_from: {
            meeting: ev.from_meeting,
            card: c.from_card,
            reference: c.from_reference != null ? c.from_reference : null,
            created_at: c.created_at != null ? c.created_at : null,
            comments: deepClone(c.comments || []),
            merged: deepClone(c.merged || []),
          },
          merged: [],
          mark: null,
        };
      }
      return;
    // --- the synthesis (src/domain/board/synthesis.rs) ---
    case "synthesis_written":
      if (!ev.text) delete state.syntheses[ev.policy_area];
      else state.syntheses[ev.policy_area] = { policy_area: ev.policy_area, text: ev.text, by: actor.name, at };
      return;
    case "objective_created":
      if (state.objectives[ev.objective_id]) return;
      state.objective_order.push(ev.objective_id);
      state.objectives[ev.objective_id] = {
        id: ev.objective_id,
        number: ev.number,
        content: deepClone(ev.objective),
        state: { state: "active" },
        created_by: actor.name,
        created_seq: rec.seq,
        created_at: at,
        updated_by: actor.name,
        updated_at: at,
        comments: [],
      };
      return;
    case "objective_edited": {
      const o = state.objectives[ev.objective_id];
      if (o) {
        o.content = deepClone(ev.objective);
        o.updated_by = actor.name;
        o.updated_at = at;
      }
      return;
    }
    case "objective_removed": {
      const o = state.objectives[ev.objective_id];
      if (o) {
        o.state = { state: "removed", by: actor.name };
        o.updated_by = actor.name;
        o.updated_at = at;
      }
      return;
    }
    case "objective_restored": {
      const o = state.objectives[ev.objective_id];
      if (o) {
        o.state = { state: "active" };
        o.updated_by = actor.name;
        o.updated_at = at;
      }
      return;
    }
    case "objective_commented": {
      const o = state.objectives[ev.objective_id];
      if (o) o.comments.push({ id: ev.comment_id, author: deepClone(actor), text: ev.text, at, anonymous: false });
      return;
    }
    case "card_marked": {
      const c = state.cards[ev.card_id];
      if (c) c.mark = { kind: ev.mark, note: ev.note == null ? null : ev.note, by: actor.name, at };
      return;
    }
    case "card_unmarked": {
      const c = state.cards[ev.card_id];
      if (c) c.mark = null;
      return;
    }
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
    case "objective_shown":
      // An objective back in the plan: boards of participants dropped it when it left.
      if (ev.objective) {
        state.objectives = state.objectives || {};
        state.objectives[ev.objective.id] = deepClone(ev.objective);
        state.objective_order = (ev.objective_order || []).slice();
      }
      return;
    default:
      // An unknown kind from a newer server: only the seq moves.
      return;
  }
}


// --- optimistic overlay: our own pending operations shown before the server confirms ---------

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
    case "comment_objective":
      return { kind: "objective_commented", objective_id: op.objective_id, comment_id: op.comment_id, text: op.text };
    default:
      return null;
  }
}

const OP_ENVELOPE = ["kind", "card_id", "column", "anonymous", "on_behalf_of"];
/** The card content of a flat add_card/edit_card op. */
export function contentOfOp(op) {
  const content = {};
  for (const k in op) if (OP_ENVELOPE.indexOf(k) < 0) content[k] = op[k];
  return content;
}

/**
 * The state as this browser should show it: the authoritative state plus our pending
 * add/edit/withdraw/vote/comment operations, marked `_pending`. Returns `state` itself when
 * nothing is pending.
 */
export function withPending(state, pending, you, now) {
  if (!state) return state;
  const shown = (pending || []).filter((p) => p.op && !p.failed);
  if (!shown.length || !you) return state;
  const view = deepClone(state);
  for (const p of shown) {
    const ev = optimisticEvent(p.op, view);
    if (!ev) continue;
    if (ev.kind === "objective_commented") {
      const o = view.objectives && view.objectives[ev.objective_id];
      if (!o || o.comments.some((c) => c.id === ev.comment_id)) continue;
      apply(view, { seq: view.seq, op_id: p.op_id, actor: you, at: p.at || now, event: ev });
      o.comments[o.comments.length - 1]._pending = true;
      continue;
    }
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
