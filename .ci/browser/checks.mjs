// Browser and accessibility checks for Tavolo: `node checks.mjs http://127.0.0.1:PORT`.
// Started by .ci/browser/run, which provides the server, a fresh database, and the organiser
// account in TAVOLO_ORG_EMAIL / TAVOLO_ORG_PASSWORD. Headless Debian Chromium driven by
// playwright-core; axe-core for WCAG 2.1 A/AA. Functional checks run under the app's real CSP;
// only the axe contexts bypass it (to inject axe.min.js). Shared helpers are in lib.mjs; the live
// board has its own file, board.mjs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  FORM,
  NARROW,
  SCREENS,
  SLUG,
  WIDE,
  active,
  axePage,
  email,
  goto,
  loginStaff,
  newContext,
  submit,
  tabTo,
  useBrowser,
} from "./lib.mjs";

useBrowser();

async function submitEmptyForm(page) {
  await goto(page, FORM);
  await submit(page, () => page.click("form.form button[type=submit]"), { expect: "errori" });
  await page.waitForSelector("#riepilogo-errori");
}

async function fillFormWithMouse(page, who) {
  await goto(page, FORM);
  await page.fill("#campo-name", "Giulia Verdi");
  await page.fill("#campo-email", email(who));
  await page.selectOption("#campo-role", { index: 1 });
  await page.fill("#campo-ente", "Comune di Bergamo");
  await page.fill("#campo-comune", "Bergamo (BG)");
  if (await page.$("select#campo-ambito")) await page.selectOption("#campo-ambito", { index: 1 });
  else await page.fill("#campo-ambito", "Ambito di Bergamo");
  await page.check("#campo-privacy_ack");
  await submit(page, () => page.click("form.form button[type=submit]"), { expect: "iscrizione" });
  assert.match(new URL(page.url()).pathname, /^\/iscrizione\/[^/]+$/, "dopo l'invio non si arriva alla pagina privata");
}

describe("axe-core WCAG 2.1 A/AA, pagine pubbliche", () => {
  for (const viewport of [WIDE, NARROW]) {
    test(`/ a ${viewport.width}px`, () => axePage("/", { viewport }));
  }
  test("/laboratori/co-programmazione-2021", () => axePage("/laboratori/co-programmazione-2021"));
  test(`/laboratori/${SLUG}`, () => axePage(`/laboratori/${SLUG}`));
  for (const viewport of [WIDE, NARROW]) {
    test(`${FORM} a ${viewport.width}px`, () => axePage(FORM, { viewport }));
    test(`${FORM} dopo un invio vuoto (errori) a ${viewport.width}px`, () =>
      axePage(FORM, { viewport, reach: submitEmptyForm }));
  }
  test("/privacy", () => axePage("/privacy"));
  test("/accessibilita", () => axePage("/accessibilita"));
  test("/accedi", () => axePage("/accedi"));
  test("pagina privata dopo l'iscrizione (/iscrizione/…)", () =>
    axePage(null, {
      reach: async (page) => {
        await fillFormWithMouse(page, "axe");
        assert.match(await page.textContent("main"), /Domanda ricevuta/);
      },
    }));
});

describe("axe-core WCAG 2.1 A/AA, area riservata (organizzazione)", () => {
  let context;
  before(async () => {
    context = await newContext({ bypassCSP: true });
    await loginStaff(context);
  });
  after(() => context?.close());

  for (const path of ["/admin", `/admin/laboratori/${SLUG}/iscrizioni`, "/admin/posta", "/admin/account", "/admin/privacy"]) {
    test(path, () => axePage(path, { context }));
  }
  test("registro presenze collegato da /admin", () =>
    axePage(null, {
      context,
      reach: async (page) => {
        await goto(page, "/admin");
        // Prefer a register of the 2027 edition, which has the enrollments made above.
        const href = await page.evaluate(() => {
          const links = [...document.querySelectorAll('main a[href$="/presenze"]')];
          const in2027 = links.find((a) => a.closest("section")?.textContent.includes("2027"));
          return (in2027 || links[0])?.getAttribute("href");
        });
        assert.ok(href, "nessun link a un registro presenze in /admin");
        await goto(page, href);
      },
    }));
});

// --- keyboard only ---------------------------------------------------------------------------

describe("uso da tastiera", () => {
  test("iscrizione completa con la sola tastiera", async () => {
    const context = await newContext();
    const page = await context.newPage();
    try {
      await goto(page, FORM);

      // The first Tab lands on the skip link, visible while focused; Enter moves focus to main.
      await page.keyboard.press("Tab");
      const first = await active(page);
      assert.equal(first.tag, "a", `il primo Tab va su ${first.tag} «${first.text}»`);
      assert.equal(first.text, "Vai al contenuto principale");
      const box = await page.evaluate(() => {
        const r = document.activeElement.getBoundingClientRect();
        return { top: r.top, left: r.left, width: r.width, height: r.height };
      });
      assert.ok(
        box.width > 1 && box.height > 1 && box.top >= 0 && box.left >= 0 && box.top < 900,
        `il link "Vai al contenuto principale" non è visibile quando ha il focus: ${JSON.stringify(box)}`,
      );
      await page.keyboard.press("Enter");
      assert.equal((await active(page)).id, "contenuto", "dopo il link di salto il focus non è su <main>");

      // Every field, in order, from main.
      await tabTo(page, "campo-name", { max: 25, strict: false });
      await page.keyboard.type("Luca Bianchi");
      await tabTo(page, "campo-email");
      await page.keyboard.type(email("tastiera"));
      await tabTo(page, "campo-role");
      await page.keyboard.press("ArrowDown");
      let role = await page.inputValue("#campo-role");
      if (!role) {
        await page.keyboard.type("Responsabile");
        role = await page.inputValue("#campo-role");
      }
      assert.ok(role, "il ruolo non si sceglie da tastiera (freccia giù o digitando)");
      await tabTo(page, "campo-ente");
      await page.keyboard.type("Comune di Bergamo");
      await tabTo(page, "campo-comune");
      await page.keyboard.type("Bergamo (BG)");
      await tabTo(page, "campo-ambito");
      if ((await active(page)).tag === "select") await page.keyboard.press("ArrowDown");
      else await page.keyboard.type("Ambito di Bergamo");
      await tabTo(page, "campo-privacy_ack");
      await page.keyboard.press("Space");
      assert.ok(await page.isChecked("#campo-privacy_ack"), "la casella privacy non si spunta con Spazio");

      // On to the submit button (past the privacy link), then Enter.
      const path = [];
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press("Tab");
        const a = await active(page);
        path.push(`${a.tag} «${a.text}»`);
        if (a.tag === "button" && a.type === "submit") break;
      }
      const button = await active(page);
      assert.ok(button.tag === "button" && button.type === "submit", `pulsante di invio non raggiunto: ${path.join(" → ")}`);
      await submit(page, () => page.keyboard.press("Enter"), { expect: "iscrizione" });
      assert.match(new URL(page.url()).pathname, /^\/iscrizione\/[^/]+$/, "dopo l'invio non si arriva alla pagina privata");
      assert.match(await page.textContent("main"), /Domanda ricevuta/);
      assert.match(await page.textContent("main"), /Bergamo/);
      assert.deepEqual(context.problems, []);
    } finally {
      await context.close();
    }
  });

  test("dopo un invio vuoto il riepilogo degli errori ha il focus e rimanda ai campi", async () => {
    const context = await newContext();
    const page = await context.newPage();
    try {
      await goto(page, FORM);
      await page.focus("form.form button[type=submit]");
      await submit(page, () => page.keyboard.press("Enter"), { expect: "errori" });
      await page.waitForSelector("#riepilogo-errori");
      // tavolo.js is deferred: give it a moment after load.
      await page.waitForFunction(() => document.activeElement?.id === "riepilogo-errori", null, { timeout: 3000 }).catch(() => {});
      const a = await active(page);
      assert.equal(a.id, "riepilogo-errori", `il focus è su ${a.tag}#${a.id} «${a.text}»`);

      const links = await page.$$eval("#riepilogo-errori a", (as) =>
        as.map((x) => {
          const href = x.getAttribute("href") || "";
          const target = href.startsWith("#") ? document.getElementById(href.slice(1)) : null;
          return { href, text: x.textContent.trim(), target: target && target.tagName.toLowerCase() };
        }),
      );
      assert.ok(links.length >= 4, `attesi almeno 4 errori (nome, e-mail, ruolo, ente, privacy), trovati ${links.length}`);
      for (const l of links) {
        assert.ok(
          ["input", "select", "textarea"].includes(l.target),
          `il collegamento «${l.text}» (${l.href}) non porta a un campo del modulo`,
        );
      }
      // Following the first link by keyboard puts focus in that field.
      await page.keyboard.press("Tab");
      assert.equal((await active(page)).href, links[0].href);
      await page.keyboard.press("Enter");
      await page.waitForFunction((id) => document.activeElement?.id === id, links[0].href.slice(1), { timeout: 3000 })
        .catch(() => {});
      assert.equal((await active(page)).id, links[0].href.slice(1), "il collegamento dell'errore non sposta il focus sul campo");
      assert.deepEqual(context.problems, []);
    } finally {
      await context.close();
    }
  });
});

// --- Comune autocompletion (under the real CSP) ----------------------------------------------

test("il campo Comune suggerisce «Bergamo (BG)» scrivendo «Berga»", async () => {
  const context = await newContext();
  const page = await context.newPage();
  try {
    await goto(page, FORM);
    await page.focus("#campo-comune");
    await page.keyboard.type("Berga", { delay: 30 });
    await page
      .waitForSelector('#comuni-suggeriti option[value="Bergamo (BG)"]', { state: "attached", timeout: 5000 })
      .catch(() => {});
    const options = await page.$$eval("#comuni-suggeriti option", (os) => os.map((o) => o.value));
    assert.ok(options.includes("Bergamo (BG)"), `suggerimenti: ${JSON.stringify(options)}`);
    assert.deepEqual(context.problems, []);
  } finally {
    await context.close();
  }
});

// --- 320 px: no horizontal scrolling (WCAG 1.4.10 Reflow) ---------------------------------------

describe("nessuno scorrimento orizzontale a 320px", () => {
  for (const path of ["/", FORM]) {
    test(path, async () => {
      const context = await newContext({ viewport: NARROW });
      const page = await context.newPage();
      try {
        await goto(page, path);
        const m = await page.evaluate(() => {
          const width = document.documentElement.clientWidth;
          const wide = [];
          for (const el of document.querySelectorAll("body *")) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 0.5 && r.width > 0) {
              const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "";
              wide.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls} (destra a ${Math.round(r.right)}px)`);
            }
          }
          return { scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 10) };
        });
        assert.ok(
          m.scrollWidth <= 320,
          `${path}: scrollWidth ${m.scrollWidth}px > 320px; elementi oltre il bordo: ${m.wide.join(", ")}`,
        );
      } finally {
        await context.close();
      }
    });
  }
});

// An organiser on a phone: the enrollments table becomes one card per person, nothing wider
// than the screen.
test("la tabella delle iscrizioni sta in un telefono (320px)", async () => {
  const context = await newContext({ viewport: NARROW });
  try {
    await loginStaff(context);
    const page = await context.newPage();
    await goto(page, `/admin/laboratori/${SLUG}/iscrizioni`);
    const m = await page.evaluate(() => ({
      rows: document.querySelectorAll("table.table--stack tbody tr").length,
      scrollWidth: document.documentElement.scrollWidth,
      tableRight: Math.round(document.querySelector("table.table--stack")?.getBoundingClientRect().right || 0),
      label: getComputedStyle(document.querySelector("table.table--stack td[data-label]"), "::before").content,
    }));
    assert.ok(m.rows > 0, "nessuna iscrizione nella tabella");
    assert.ok(m.scrollWidth <= 320 && m.tableRight <= 320, `larga ${m.scrollWidth}px, tabella fino a ${m.tableRight}px`);
    assert.match(m.label, /:/, "le celle non mostrano l'intestazione della colonna");
  } finally {
    await context.close();
  }
});

// --- screenshots for review (not asserted) ------------------------------------------------------

test("schermate per la revisione", async () => {
  mkdirSync(SCREENS, { recursive: true });
  const pages = [
    ["catalogo", "/"],
    ["laboratorio", `/laboratori/${SLUG}`],
    ["iscrizione", FORM],
  ];
  for (const viewport of [WIDE, NARROW]) {
    const context = await newContext({ viewport });
    const page = await context.newPage();
    try {
      for (const [name, path] of pages) {
        await goto(page, path);
        await page.screenshot({ path: join(SCREENS, `${name}-${viewport.width}.png`), fullPage: true });
      }
    } finally {
      await context.close();
    }
  }
  console.log(`schermate in ${SCREENS}`);
});
