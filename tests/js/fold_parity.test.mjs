// One fold, proven twice — the browser's half (the Rust half is tests/fold_parity.rs). The
// browser's fold (static/board/model.js) folds the stored events of
// tests/fixtures/board-fold/events.json from its own empty board, and must reach the same
// committed states as the server's `apply`. Run with `node --test tests/js/` (node ≥ 20.19: the
// board's modules are `.js` files with ES module syntax, which node recognises by itself).
// Test files live here, outside static/, so that they are never served.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { apply, emptyState } from "../../static/board/model.js";

const fixtures = new URL("../fixtures/board-fold/", import.meta.url);
const read = (name) => JSON.parse(readFileSync(new URL(name, fixtures), "utf8"));

/**
 * The state as plain JSON with object keys sorted. The only normalisation, and it is pure
 * representation: a JS object keeps keys in insertion order, serde_json writes maps sorted
 * (BTreeMap), and neither order means anything. Arrays keep their order (card_order, comments,
 * history, merged are ordered in both folds). Going through JSON also drops `undefined`, so a
 * field the browser forgot to set shows up as missing.
 */
function canonical(value) {
  const sort = (v) => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      const out = {};
      for (const k of Object.keys(v).sort()) out[k] = sort(v[k]);
      return out;
    }
    return v;
  };
  return sort(JSON.parse(JSON.stringify(value)));
}

const fixture = read("events.json");

test("the browser's empty board is BoardState::new serialised", () => {
  assert.deepEqual(canonical(emptyState(fixture.meeting_id, fixture.template)), canonical(read("initial.json")));
});

test("the browser's fold of every event kind reaches the server's state", () => {
  const state = emptyState(fixture.meeting_id, fixture.template);
  // The events arrive as the server sends them; the fold must not keep references into them.
  for (const rec of structuredClone(fixture.events)) apply(state, rec);
  assert.deepEqual(canonical(state), canonical(read("expected.json")));
});
