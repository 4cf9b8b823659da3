// Amounts typed in Italian, read into cents, and written back (static/board/money.js); the
// server writes the same "€ 12.500,00" (src/domain/money.rs, whose test has the same cases).
import assert from "node:assert/strict";
import { test } from "node:test";

import { amountText, formatEuro, parseEuro } from "../../static/board/money.js";

const MAX = 100_000_000_000;

test("amounts are written the Italian way, as the server writes them", () => {
  for (const [cents, written] of [
    [0, "0,00"],
    [5, "0,05"],
    [100, "1,00"],
    [99_999, "999,99"],
    [100_000, "1.000,00"],
    [1_250_000, "12.500,00"],
    [123_456_789, "1.234.567,89"],
    [MAX, "1.000.000.000,00"],
  ]) {
    assert.equal(formatEuro(cents), `€\u00a0${written}`, String(cents));
    assert.equal(amountText(cents), written);
    assert.deepEqual(parseEuro(written, MAX), { cents }, written);
  }
});

test("what people type in euro is read into cents", () => {
  for (const [typed, cents] of [
    ["12.500,00", 1_250_000],
    ["12500", 1_250_000],
    ["12.500", 1_250_000],
    [" € 12.500,5 ", 1_250_050],
    ["300 euro", 30_000],
    ["0", 0],
    ["1.000.000.000", MAX],
  ]) {
    assert.deepEqual(parseEuro(typed, MAX), { cents }, typed);
  }
});

test("what is not an amount in euro is refused with a reason", () => {
  for (const [typed, words] of [
    ["", "indica l'importo"],
    ["-100", "negativo"],
    ["12.5", "non valido"],
    ["12500.00", "non valido"],
    ["12,500", "non valido"],
    ["dodicimila", "non valido"],
    ["1,2,3", "non valido"],
    ["1.000.000.000,01", "supera"],
    ["99999999999999999999", "supera"],
  ]) {
    const r = parseEuro(typed, MAX);
    assert.equal(r.cents, undefined, typed);
    assert.match(r.error, new RegExp(words), typed);
  }
  assert.equal(parseEuro("  ", MAX).empty, true);
});
