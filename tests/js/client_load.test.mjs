// BoardClient when the welcome says `load`: the board is read over HTTP, the events arriving
// meanwhile are kept and applied after it (only those past the loaded seq), a state older than
// the welcome is asked again, and operations wait for the board before they are sent.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BoardClient } from "../../static/board/client.js";

class FakeSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    this.sent = [];
    FakeSocket.last = this;
    queueMicrotask(() => this.onopen && this.onopen());
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {}
  receive(frame) {
    this.onmessage({ data: JSON.stringify(frame) });
  }
}

function state(seq, cards) {
  const s = {
    seq, phase: "raccolta", template: { name: "t", columns: [], phases: [] }, locked: false,
    cards: {}, card_order: [], groups: {}, spent: {}, vote_budgets: {}, history: [],
    syntheses: {}, objectives: {}, objective_order: [],
  };
  for (const id of cards) {
    s.cards[id] = { id, column: "bisogno", content: { card_type: "bisogno", text: id }, author: { id: "p:1" }, state: { state: "active" }, votes: {}, comments: [], number: 1 };
    s.card_order.push(id);
  }
  return s;
}

function added(seq, id) {
  return {
    type: "event", seq, op_id: `op-${id}`, actor: { id: "p:2", kind: "participant", name: "B" }, at: 1,
    event: { kind: "card_added", card_id: id, column: "bisogno", content: { card_type: "bisogno", text: id }, anonymous: false, number: seq },
  };
}

/** A fetch whose answers are given by the test, one per call. */
function scriptedFetch() {
  const calls = [];
  const fetch = (url, opts) =>
    new Promise((resolve) => {
      calls.push({ url, opts, resolve });
    });
  const answer = (i, status, body, etag) =>
    calls[i].resolve({ status, ok: status >= 200 && status < 300, json: async () => body, headers: { get: (h) => (h === "etag" ? etag : null) } });
  return { fetch, calls, answer };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function client(fetch) {
  return new BoardClient({
    config: { meeting_id: 7 },
    WebSocket: FakeSocket,
    fetch,
    storage: null,
    location: { protocol: "http:", host: "x" },
    setTimeout: (f) => setTimeout(f, 0),
    clearTimeout: (t) => clearTimeout(t),
    random: () => 0.5,
  });
}

test("il client carica la lavagna via HTTP e applica gli eventi arrivati nel frattempo", async () => {
  const f = scriptedFetch();
  const c = client(f.fetch);
  c.start();
  await tick();
  const ws = FakeSocket.last;
  assert.deepEqual(ws.sent[0], { type: "hello", last_seq: 0 });
  c.send({ kind: "add_card", card_id: "mine" });
  assert.equal(ws.sent.length, 1, "no operation before the board is here");
  ws.receive({ type: "welcome", load: true, seq: 5, state: null, server_time: 0, you: { id: "p:1" } });
  assert.equal(f.calls.length, 1);
  assert.equal(f.calls[0].url, "/api/v1/meetings/7/board");
  assert.equal(c.status === "open", false);
  // Events during the load: 6 is in the state that will come, 7 and 8 are not.
  ws.receive(added(6, "c6"));
  ws.receive(added(7, "c7"));
  ws.receive(added(8, "c8"));
  f.answer(0, 200, state(6, ["c1", "c6"]), '"6-p"');
  await tick();
  await tick();
  assert.equal(c.status, "open");
  assert.equal(c.lastSeq, 8);
  assert.deepEqual(c.state.card_order, ["c1", "c6", "c7", "c8"]);
  // The queued operation leaves once the board is loaded.
  assert.equal(ws.sent.at(-1).type, "op");
  assert.equal(ws.sent.at(-1).op.card_id, "mine");
});

test("uno stato più vecchio del welcome viene chiesto di nuovo", async () => {
  const f = scriptedFetch();
  const c = client(f.fetch);
  c.start();
  await tick();
  const ws = FakeSocket.last;
  ws.receive({ type: "welcome", load: true, seq: 9, state: null, server_time: 0, you: { id: "p:1" } });
  f.answer(0, 200, state(4, ["c1"]), '"4-p"');
  await tick();
  await tick();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(f.calls.length, 2, "asked again");
  assert.equal(c.status === "open", false);
  f.answer(1, 200, state(9, ["c1", "c9"]), '"9-p"');
  await tick();
  await tick();
  assert.equal(c.status, "open");
  assert.equal(c.lastSeq, 9);
});

test("un welcome con lo stato dentro non chiede nulla via HTTP", async () => {
  const f = scriptedFetch();
  const c = client(f.fetch);
  c.start();
  await tick();
  FakeSocket.last.receive({ type: "welcome", load: false, seq: 2, state: state(2, ["a"]), server_time: 0, you: { id: "p:1" } });
  assert.equal(f.calls.length, 0);
  assert.equal(c.status, "open");
  assert.equal(c.lastSeq, 2);
});
