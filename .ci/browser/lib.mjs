// Shared helpers of the browser checks (checks.mjs, board.mjs): the browser, contexts that
// collect browser-side problems, navigation, axe-core, form submission, keyboard focus, staff
// login. Each test file is its own process (node --test) and launches its own Chromium.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
export const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

// `node checks.mjs http://127.0.0.1:PORT`, or TAVOLO_BASE (set by run for `node --test`).
export const BASE = (process.argv[2] || process.env.TAVOLO_BASE || "").replace(/\/$/, "");
if (!BASE) {
  console.error("uso: node checks.mjs http://127.0.0.1:PORT (oppure TAVOLO_BASE=http://127.0.0.1:PORT)");
  process.exit(2);
}
export const ORG_EMAIL = process.env.TAVOLO_ORG_EMAIL || "org@example.it";
export const ORG_PASSWORD = process.env.TAVOLO_ORG_PASSWORD || "";
export const SCREENS = process.env.TAVOLO_SCREENSHOTS || "/tmp/tavolo-screens";

export const SLUG = "co-programmazione-2027";
export const FORM = `/laboratori/${SLUG}/iscrizione`;
export const WIDE = { width: 1280, height: 900 };
export const NARROW = { width: 320, height: 720 };

let uniq = 0;
export const email = (who) => `${who}.${process.pid}.${++uniq}@comune.bergamo.it`;

let browser;

/** Launches Chromium before the file's tests and closes it after; `extraArgs` are appended. */
export function useBrowser({ extraArgs = [] } = {}) {
  before(async () => {
    browser = await chromium.launch({
      executablePath: process.env.TAVOLO_CHROMIUM || "/usr/bin/chromium",
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        ...extraArgs,
      ],
      timeout: 60_000,
    });
  });
  after(async () => {
    await browser?.close();
  });
}

// A context that reports browser-side problems (CSP refusals, script errors, failed requests to
// the app) so the functional checks fail on them, not only on their assertions.
export async function newContext({ viewport = WIDE, bypassCSP = false } = {}) {
  assert.ok(browser, "Chromium non avviato (useBrowser() manca nel file di test?)");
  const context = await browser.newContext({
    viewport,
    bypassCSP,
    locale: "it-IT",
    timezoneId: "Europe/Rome",
    reducedMotion: "reduce",
  });
  context.setDefaultTimeout(10_000);
  context.problems = [];
  context.on("page", (page) => watch(page, context.problems));
  return context;
}

export function watch(page, problems) {
  page.on("pageerror", (e) => problems.push(`errore JavaScript: ${e.message}`));
  page.on("console", (m) => {
    // Chromium logs every 4xx document as "Failed to load resource" (a form re-shown with its
    // errors is a 422): failed subresources are caught below instead.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(`console.error: ${m.text()}`);
    }
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== "document") {
      problems.push(`${r.status()} per ${r.request().resourceType()} ${r.url().replace(BASE, "")}`);
    }
  });
  page.on("requestfailed", (r) => {
    const why = r.failure()?.errorText || "";
    if (!why.includes("ERR_ABORTED")) problems.push(`richiesta fallita: ${r.url()} (${why})`);
  });
}

export async function goto(page, path) {
  const res = await page.goto(BASE + path, { waitUntil: "load" });
  assert.ok(res, `nessuna risposta per ${path}`);
  assert.ok(res.status() < 400, `${path} ha risposto ${res.status()}`);
  return res;
}

// --- axe-core -------------------------------------------------------------------------------

export function describeViolations(where, violations) {
  const lines = [];
  for (const v of violations) {
    lines.push(`  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`);
    for (const n of v.nodes) {
      lines.push(`      at ${n.target.join(" ")}`);
      lines.push(`         ${n.html.replace(/\s+/g, " ").slice(0, 200)}`);
      const summary = (n.failureSummary || "").replace(/\s+/g, " ").trim();
      if (summary) lines.push(`         ${summary.slice(0, 300)}`);
    }
  }
  return `axe-core: ${violations.length} violazioni su ${where}\n${lines.join("\n")}`;
}

export async function axeCheck(page, where) {
  await page.addScriptTag({ content: AXE_SOURCE });
  const result = await page.evaluate(
    (tags) =>
      window.axe.run(document, {
        runOnly: { type: "tag", values: tags },
        resultTypes: ["violations"],
      }),
    AXE_TAGS,
  );
  const violations = result.violations;
  if (violations.length) {
    const text = describeViolations(where, violations);
    console.log(text);
    assert.fail(text);
  }
}

// Opens `path` (or runs `reach` to get there) in a CSP-bypassing context and runs axe.
export async function axePage(path, { viewport = WIDE, reach, context: shared } = {}) {
  const context = shared || (await newContext({ viewport, bypassCSP: true }));
  const page = await context.newPage();
  try {
    if (shared) await page.setViewportSize(viewport);
    if (reach) await reach(page);
    else await goto(page, path);
    await axeCheck(page, `${page.url().replace(BASE, "")} a ${viewport.width}px`);
  } finally {
    await page.close();
    if (!shared) await context.close();
  }
}

// Submits a form with `action` (a click or a key press) and waits for the resulting page. A
// refused POST fails here with its status and body, not later with a missing element.
export async function submit(page, action, { expect = "page" } = {}) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), action()]);
  assert.ok(res, "l'invio del modulo non ha prodotto una pagina");
  if (res.status() === 403 || res.status() >= 500 || !(await page.$("main"))) {
    const body = (await res.text().catch(() => "")).replace(/\s+/g, " ").slice(0, 300);
    const req = res.request();
    const origin = (await req.allHeaders()).origin;
    assert.fail(
      `${req.method()} ${new URL(req.url()).pathname} (${expect}) ha risposto ${res.status()}` +
        `${origin !== undefined ? ` [Origin inviato dal browser: ${origin}]` : ""}: ${body}`,
    );
  }
  return res;
}

/** Logs the organiser (TAVOLO_ORG_EMAIL / TAVOLO_ORG_PASSWORD) in within `context`. */
export async function loginStaff(context) {
  assert.ok(ORG_PASSWORD, "TAVOLO_ORG_PASSWORD non impostata (la imposta .ci/browser/run)");
  const page = await context.newPage();
  try {
    await goto(page, "/accedi");
    await page.fill("#campo-email", ORG_EMAIL);
    await page.fill("#campo-password", ORG_PASSWORD);
    await submit(page, () => page.click("main form button[type=submit]"), { expect: "accesso" });
    assert.doesNotMatch(new URL(page.url()).pathname, /^\/accedi/, "accesso non riuscito");
  } finally {
    await page.close();
  }
}

// --- keyboard only ---------------------------------------------------------------------------

export async function active(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: "body", id: "", text: "" };
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      text: (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 80),
      href: el.getAttribute("href"),
      type: el.getAttribute("type"),
      focus: el.dataset ? el.dataset.focus || "" : "",
      label: el.getAttribute("aria-label") || "",
      column: el.closest("[data-column]")?.dataset.column || "",
      inDialog: !!el.closest("dialog"),
    };
  });
}

/** How a focused element reads in a failure message. */
export function describeActive(a) {
  if (a.tag === "body") return "<body> (nessun elemento ha il focus)";
  if (a.id) return `${a.tag}#${a.id}`;
  if (a.label) return `${a.tag} [${a.label}]`;
  return `${a.tag} «${a.text.slice(0, 40)}»`;
}

// Presses Tab until the element with `id` has focus. Links on the way are fine; another form
// control first means the tab order skips or reorders fields. Fails naming the path taken.
export async function tabTo(page, id, { max = 6, strict = true } = {}) {
  const path = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const a = await active(page);
    if (a.id === id) return;
    path.push(a.id ? `${a.tag}#${a.id}` : `${a.tag} «${a.text}»`);
    if (strict && ["input", "select", "textarea", "button"].includes(a.tag)) break;
  }
  assert.fail(`#${id} non raggiunto con il tasto Tab; focus su: ${path.join(" → ")}`);
}

/**
 * Presses Tab (or Shift+Tab) until `matches(activeElementInfo)` holds, at most `max` times.
 * Returns the number of presses; fails with the path of focused elements.
 */
export async function tabUntil(page, matches, { max = 40, what = "l'elemento cercato", back = false } = {}) {
  const path = [];
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    const a = await active(page);
    if (matches(a)) return i;
    path.push(describeActive(a));
  }
  assert.fail(`${what} non raggiunto con ${max} pressioni di ${back ? "Maiusc+Tab" : "Tab"}; focus su: ${path.join(" → ")}`);
}
