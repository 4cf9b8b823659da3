// Hidden vote totals: participants' boards hold only their own votes while a facilitator hides
// the totals; the frame that shows them again (or closes the vote) carries every total, and the
// one that hides them carries none. The server's half: tests/board.rs
// `hidden_vote_totals_never_reach_participants_until_shown`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { apply } from "../../static/board/model.js";

function board() {
  const card = (id, votes) => ({ id, column: "bisogno", content: { card_type: "bisogno", text: id }, author: { id: "e:1" }, state: { state: "active" }, revealed: true, votes, comments: [], number: 1 });
  return {
    seq: 10, phase: "voto", votes_hidden: false, cards: { c1: card("c1", { "e:2": 2, "*": 1 }), c2: card("c2", { "*": 4 }), c3: card("c3", {}) },
    card_order: ["c1", "c2", "c3"], groups: {}, spent: {}, vote_budgets: {}, history: [], syntheses: {}, objectives: {}, objective_order: [],
  };
}

const frame = (seq, event, totals) => ({ type: "event", seq, op_id: `o${seq}`, at: 0, actor: { id: "a:1", name: "Silvia" }, event, totals });

test("hiding the totals keeps one's own votes and drops everyone else's", () => {
  const s = board();
  apply(s, frame(11, { kind: "votes_hidden_set", hidden: true }, {}));
  assert.equal(s.votes_hidden, true);
  assert.deepEqual(s.cards.c1.votes, { "e:2": 2 });
  assert.deepEqual(s.cards.c2.votes, {});
  assert.equal(s.seq, 11);
});

test("showing them (or closing the vote) sets every count from the totals", () => {
  const s = board();
  apply(s, frame(11, { kind: "votes_hidden_set", hidden: true }, {}));
  apply(s, frame(12, { kind: "redacted" }));
  apply(s, frame(13, { kind: "phase_set", phase: "sintesi" }, { c1: 5, c3: 1 }));
  assert.equal(s.phase, "sintesi");
  assert.deepEqual(s.cards.c1.votes, { "e:2": 2, "*": 3 });
  assert.deepEqual(s.cards.c2.votes, {});
  assert.deepEqual(s.cards.c3.votes, { "*": 1 });
});

test("a frame without totals leaves the counts alone", () => {
  const s = board();
  apply(s, frame(11, { kind: "phase_set", phase: "voto" }));
  assert.deepEqual(s.cards.c1.votes, { "e:2": 2, "*": 1 });
});
