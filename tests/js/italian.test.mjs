// Italian that agrees, the browser's half (the server's is src/domain/italian.rs, whose tests
// also check that NOUNS here says what the server's registry says). Every count the board, the
// console and the projector write goes through these helpers; each is checked at 0, 1 and 2.
// Run with `node --test tests/js/`.

import assert from "node:assert/strict";
import { test } from "node:test";

import { agree, count, countDigits, form, pick } from "../../static/board/dom.js";

const at012 = (f) => [0, 1, 2].map(f);

test("counts in words: zero is «nessun…», agreeing with the noun's gender", () => {
  assert.deepEqual(at012((n) => count(n, "voto")), ["nessun voto", "1 voto", "2 voti"]);
  assert.deepEqual(at012((n) => count(n, "contributo")), ["nessun contributo", "1 contributo", "2 contributi"]);
  assert.deepEqual(at012((n) => count(n, "persona")), ["nessuna persona", "1 persona", "2 persone"]);
  assert.deepEqual(at012((n) => count(n, "area")), ["nessun'area", "1 area", "2 aree"]);
  assert.deepEqual(at012((n) => count(n, "operazione")), ["nessun'operazione", "1 operazione", "2 operazioni"]);
});

test("counts in digits keep zero plural", () => {
  assert.deepEqual(at012((n) => countDigits(n, "secondo")), ["0 secondi", "1 secondo", "2 secondi"]);
  assert.deepEqual(at012((n) => countDigits(n, "minuto")), ["0 minuti", "1 minuto", "2 minuti"]);
  assert.deepEqual(at012((n) => form(n, "voto")), ["voti", "voto", "voti"]);
});

test("the words around a count agree with it", () => {
  assert.deepEqual(at012((n) => `${count(n, "contributo")} ${agree("simile", n, "contributo")}`), [
    "nessun contributo simile",
    "1 contributo simile",
    "2 contributi simili",
  ]);
  assert.deepEqual(at012((n) => `${count(n, "contributo")} ${agree("selezionato", n, "contributo")}`), [
    "nessun contributo selezionato",
    "1 contributo selezionato",
    "2 contributi selezionati",
  ]);
  assert.deepEqual(at012((n) => agree("nascosto", n, "persona")), ["nascosta", "nascosta", "nascoste"]);
  assert.deepEqual(at012((n) => agree("nascosto", n, "persona", true)), ["nascoste", "nascosta", "nascoste"]);
  // "nessun voto" is singular; "0 voti" in digits is plural.
  assert.deepEqual(at012((n) => pick(n, "resta", "restano")), ["resta", "resta", "restano"]);
  assert.deepEqual(at012((n) => pick(n, "resta", "restano", true)), ["restano", "resta", "restano"]);
  assert.equal(agree("proprio", 2, "voto"), "propri");
  assert.equal(agree("blu", 2, "voto"), "blu");
});

test("a noun the registry lacks is a programming error, not a silent wrong plural", () => {
  assert.throws(() => count(2, "sportello"), /NOUNS/);
});
