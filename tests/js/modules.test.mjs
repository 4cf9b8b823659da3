// Every module of the browser client loads (syntax, imports and exports agree): a module that
// fails to load leaves the board blank, with the error only in the browser's console.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";

const dir = new URL("../../static/board/", import.meta.url);

test("ogni modulo della lavagna si carica", async () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".js"));
  assert.ok(files.length > 10, `solo ${files.length} moduli in static/board/`);
  // main.js starts the board when the page has loaded: a page still loading, for it to wait.
  globalThis.document ??= { readyState: "loading", addEventListener() {} };
  for (const f of files) {
    await assert.doesNotReject(import(new URL(f, dir)), `static/board/${f}`);
  }
});
