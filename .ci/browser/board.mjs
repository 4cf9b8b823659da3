// Browser checks of the live board (issue 3): real time between pages, offline queue, WCAG 2.1
// A/AA of the four board views, keyboard-only use, guest access from the projector's code.
// `TAVOLO_BASE=http://127.0.0.1:PORT node --test board.mjs`, started by .ci/browser/run with the
// organiser account in TAVOLO_ORG_EMAIL / TAVOLO_ORG_PASSWORD. Each part uses its own meeting of
// the 2027 workshop, so the parts do not see each other's cards.
//
// Participants are enrolled through the API and log in by opening their private link; staff log
// in at /accedi. Functional checks run under the app's real CSP; only the axe contexts bypass it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  BASE,
  SCREENS,
  SLUG,
  WIDE,
  active,
  axeCheck,
  axePage,
  describeActive,
  email,
  goto,
  loginStaff,
  newContext,
  submit,
  tabUntil,
  useBrowser,
} from "./lib.mjs";

// The offline reload serves the page through page.route (see that test): Chromium gives such a
// document no IP address space and would then refuse its websocket to 127.0.0.1 as a "local
// network access". The app is same-origin either way, so the check is switched off here.
useBrowser({ extraArgs: ["--disable-features=LocalNetworkAccessChecks"] });

const PHONE = { width: 390, height: 844 };
const RUN = Date.now().toString(36).slice(-5);
const TITLE_FIELD = { bisogno: "text", proposta: "title", indicatore: "name" };
const OFFLINE_NOISE = /ERR_INTERNET_DISCONNECTED/; // B's requests and websocket attempts while offline
const T = { timeout: 90_000 };

let meetings = [];

before(async () => {
  const res = await fetch(`${BASE}/api/v1/workshops/${SLUG}`);
  assert.equal(res.status, 200, `GET /api/v1/workshops/${SLUG} ha risposto ${res.status}`);
  const w = await res.json();
  assert.equal(w.window, "open", `le iscrizioni a ${SLUG} non sono aperte (window=${w.window})`);
  meetings = w.modules.flatMap((m) => m.meetings.map((x) => x.id));
  assert.ok(meetings.length >= 4, `servono almeno 4 incontri in ${SLUG}, trovati ${meetings.length}`);
});

// --- people ---------------------------------------------------------------------------------

/** Enrolls someone through the API (a confirmed seat) and returns the path of the private link. */
async function enroll(name) {
  const res = await fetch(`${BASE}/api/v1/workshops/${SLUG}/enrollments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name,
      email: email(name.toLowerCase().replace(/\W+/g, ".")),
      role: "responsabile-ufficio-di-piano",
      ente: "Comune di Bergamo",
      privacy_ack: true,
    }),
  });
  const body = await res.text();
  assert.equal(res.status, 201, `iscrizione di ${name} via API: ${res.status} ${body.slice(0, 300)}`);
  const json = JSON.parse(body);
  assert.equal(json.status, "confirmed", `${name} non ha un posto confermato: ${body}`);
  return new URL(json.manage_url).pathname;
}

/** A browser context logged in as a new confirmed participant (private link → session cookie). */
async function participant(name, opts = {}) {
  const link = await enroll(name);
  const context = await newContext(opts);
  const page = await context.newPage();
  try {
    await goto(page, link);
  } finally {
    await page.close();
  }
  context.who = name;
  return context;
}

async function staff(opts = {}) {
  const context = await newContext(opts);
  await loginStaff(context);
  context.who = "organizzatrice";
  return context;
}

function assertNoProblems(...contexts) {
  const all = [];
  for (const c of contexts) {
    if (!c) continue;
    for (const p of c.problems) if (!(c.allowed || []).some((re) => re.test(p))) all.push(`${c.who}: ${p}`);
  }
  if (all.length) assert.fail(`problemi nel browser:\n${all.join("\n")}`);
}

// --- board pages ----------------------------------------------------------------------------

const boardPath = (id, view = "") => `/incontri/${id}${view ? `/${view}` : ""}`;

async function boardInfo(page) {
  return page
    .evaluate(() => {
      const b = window.tavoloBoard;
      const q = (s) => document.querySelector(s)?.textContent.replace(/\s+/g, " ").trim() || null;
      return {
        url: location.pathname,
        hook: !!b,
        status: b?.status,
        lastSeq: b?.lastSeq,
        phase: b?.state?.phase,
        pending: b?.pending?.length,
        conn: q(".lv-conn"),
        alert: q(".lv-alert") || q(".lv-console__status:not([hidden])"),
      };
    })
    .catch((e) => ({ error: e.message }));
}

/** Opens a board view and waits until it is connected and rendered. */
async function openBoard(context, path, label) {
  const page = await context.newPage();
  page.label = label;
  await goto(page, path);
  await waitOpen(page);
  return page;
}

async function waitOpen(page, timeout = 10_000) {
  try {
    await page.waitForFunction(
      () => {
        const b = window.tavoloBoard;
        return b && b.status === "open" && b.state && !document.querySelector(".lv-loading") &&
          !!document.querySelector("#lavagna section[data-column], #lavagna section[data-area]");
      },
      null,
      { timeout },
    );
  } catch {
    assert.fail(`${page.label}: la lavagna non è connessa e disegnata entro ${timeout} ms: ${JSON.stringify(await boardInfo(page))}`);
  }
}

async function waitPhase(page, phase) {
  try {
    await page.waitForFunction((p) => window.tavoloBoard?.state?.phase === p, phase, { timeout: 5000 });
  } catch {
    assert.fail(`${page.label}: la fase non è diventata «${phase}» entro 5 s: ${JSON.stringify(await boardInfo(page))}`);
  }
}

/** Sets the phase with the console's controls (select + "Imposta la fase") and waits for it. */
async function setPhase(consolePage, phase, others = []) {
  await consolePage.selectOption("#ctl-fase", phase);
  await consolePage.locator("form:has(#ctl-fase) button[type=submit]").click();
  await waitPhase(consolePage, phase);
  for (const p of others) await waitPhase(p, phase);
}

/** Opens the add form of a column with the mouse and returns its title field. */
async function openAddForm(page, column) {
  const toggle = page.locator(`section[data-column="${column}"] .lv-add__toggle`);
  try {
    await toggle.waitFor({ state: "visible", timeout: 5000 });
  } catch {
    assert.fail(`${page.label}: il pulsante per aggiungere nella colonna ${column} non è visibile: ${JSON.stringify(await boardInfo(page))}`);
  }
  if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click();
  const field = page.locator(`#nuovo-${column}-${TITLE_FIELD[column]}`);
  await field.waitFor({ state: "visible", timeout: 5000 });
  return field;
}

/** Adds a card through the column's form (mouse). `extra` fills more fields by name. */
async function addCard(page, column, text, extra = {}) {
  const field = await openAddForm(page, column);
  await field.fill(text);
  for (const [name, value] of Object.entries(extra)) await page.fill(`#nuovo-${column}-${name}`, value);
  await page.locator(`form[data-column="${column}"] button[type=submit]`).click();
}

const cardsWith = (page, text) => page.locator("#lavagna [data-card-id]", { hasText: text });

/** Waits until `page` shows a (non-pending) card with `text`; returns its id. */
async function waitCard(page, text, { timeout = 5000, settled = true } = {}) {
  const sel = settled ? "#lavagna [data-card-id]:not(.lv-card--pending)" : "#lavagna [data-card-id]";
  try {
    await page.locator(sel, { hasText: text }).first().waitFor({ state: "visible", timeout });
  } catch {
    const shown = await cardsWith(page, text).count();
    assert.fail(
      `${page.label}: nessun contributo «${text}»${settled ? " confermato" : ""} visibile entro ${timeout} ms ` +
        `(${shown} trovati in tutto); ${JSON.stringify(await boardInfo(page))}`,
    );
  }
  return page.locator(sel, { hasText: text }).first().getAttribute("data-card-id");
}

/** Active cards titled `text` in the page's authoritative state (tavoloBoard.state). */
function stateCount(page, text) {
  return page.evaluate(
    (t) =>
      Object.values(window.tavoloBoard.state.cards).filter((c) => {
        const x = c.content || {};
        return c.state?.state === "active" && (x.text || x.title || x.name) === t;
      }).length,
    text,
  );
}

/** Rows of the history page (/storia) that record adding a card titled `text`. */
async function historyRows(context, meetingId, text) {
  const page = await context.newPage();
  try {
    await goto(page, boardPath(meetingId, "storia"));
    return await page.$$eval(
      "table.lv-history tbody tr",
      (rows, t) => rows.map((r) => r.textContent.replace(/\s+/g, " ").trim()).filter((x) => x.includes(`«${t}»`) && x.includes("ha aggiunto")),
      text,
    );
  } finally {
    await page.close();
  }
}

// Init script: keeps the page's websockets in window.__testSockets so a test can close them.
function trackSockets() {
  const Native = window.WebSocket;
  const sockets = [];
  window.__testSockets = sockets;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      sockets.push(this);
    }
  };
}

// Records, in the page, the wall-clock time at which a [data-card-id] with `text` appears.
function watchForCard(page, text) {
  return page.evaluate((t) => {
    window.__seen = window.__seen || {};
    delete window.__seen[t];
    const found = () => [...document.querySelectorAll("#lavagna [data-card-id]")].some((el) => el.textContent.includes(t));
    const obs = new MutationObserver(() => {
      if (found()) {
        window.__seen[t] = Date.now();
        obs.disconnect();
      }
    });
    if (found()) window.__seen[t] = Date.now();
    else obs.observe(document.body, { childList: true, subtree: true, characterData: true });
  }, text);
}

async function seenAt(page, text, timeout = 5000) {
  try {
    const h = await page.waitForFunction((t) => window.__seen && window.__seen[t], text, { timeout });
    return await h.jsonValue();
  } catch {
    return null;
  }
}

// =============================================================================================
// 1–2. Real time between three browsers, and the offline queue
// =============================================================================================

describe("lavagna in tempo reale: due partecipanti e chi conduce", () => {
  let meeting, fac, ctxA, ctxB, consolePage, pageA, pageB;

  before(async () => {
    meeting = meetings[0];
    [fac, ctxA, ctxB] = await Promise.all([staff(), participant("Anna Rossi"), participant("Bruno Neri")]);
    ctxB.allowed = [OFFLINE_NOISE];
    await ctxB.addInitScript(trackSockets);
    consolePage = await openBoard(fac, boardPath(meeting, "conduzione"), `conduzione ${boardPath(meeting, "conduzione")}`);
    pageA = await openBoard(ctxA, boardPath(meeting), `A (Anna Rossi) ${boardPath(meeting)}`);
    pageB = await openBoard(ctxB, boardPath(meeting), `B (Bruno Neri) ${boardPath(meeting)}`);
  });
  after(async () => {
    await Promise.all([fac, ctxA, ctxB].map((c) => c?.close()));
  });

  test("la fase «raccolta» dalla conduzione; il contributo di A arriva a B e alla conduzione in meno di 1 s", T, async () => {
    await setPhase(consolePage, "raccolta", [pageA, pageB]);
    for (const p of [pageA, pageB]) {
      const title = await p.textContent(".lv-phase__title");
      assert.match(title, /Raccolta/, `${p.label}: il titolo della fase dice «${title}»`);
    }

    const text = `Trasporto sociale per anziani soli nelle valli (${RUN}-1)`;
    await Promise.all([watchForCard(pageB, text), watchForCard(consolePage, text)]);
    const field = await openAddForm(pageA, "bisogno");
    await field.fill(text);
    await pageA.evaluate(() => document.addEventListener("submit", () => (window.__submitAt = Date.now()), { capture: true, once: true }));
    await pageA.locator('form[data-column="bisogno"] button[type=submit]').click();
    const submitAt = await pageA.evaluate(() => window.__submitAt);
    assert.ok(submitAt, `${pageA.label}: il modulo «Aggiungi un bisogno» non è stato inviato`);

    const [atB, atConsole] = await Promise.all([seenAt(pageB, text), seenAt(consolePage, text)]);
    const ms = (t) => (t === null ? "mai (entro 5 s)" : `${t - submitAt} ms`);
    console.log(`# latenza dall'invio di A: B ${ms(atB)}, conduzione ${ms(atConsole)}`);
    const problems = [];
    if (atB === null || atB - submitAt >= 1000) problems.push(`${pageB.label}: contributo visibile dopo ${ms(atB)}; ${JSON.stringify(await boardInfo(pageB))}`);
    if (atConsole === null || atConsole - submitAt >= 1000) problems.push(`${consolePage.label}: contributo visibile dopo ${ms(atConsole)}; ${JSON.stringify(await boardInfo(consolePage))}`);
    if (problems.length) problems.push(`${pageA.label}: ${JSON.stringify(await boardInfo(pageA))}`);
    if (problems.length) assert.fail(`il contributo di A non è arrivato entro 1 s:\n${problems.join("\n")}`);

    // A sees it confirmed, everyone has it once.
    await waitCard(pageA, text);
    for (const p of [pageA, pageB, consolePage]) {
      assert.equal(await cardsWith(p, text).count(), 1, `${p.label}: il contributo compare più di una volta`);
    }
    assertNoProblems(fac, ctxA, ctxB);
  });

  test("A apre «Presenti»: vede quante persone sono collegate e i loro nomi", T, async () => {
    // Participants' sockets carry only the count; opening the list reads the names.
    await pageA.waitForFunction(() => /Presenti: 3/.test(document.querySelector(".lv-presence__summary")?.textContent || ""), null, { timeout: 5000 })
      .catch(async () => assert.fail(`${pageA.label}: la barra dice «${await pageA.textContent(".lv-presence__summary")}», non «Presenti: 3»`));
    await pageA.locator(".lv-presence__summary").click();
    await pageA.waitForFunction(() => /Bruno Neri/.test(document.querySelector(".lv-presence__list")?.textContent || ""), null, { timeout: 5000 })
      .catch(async () => assert.fail(`${pageA.label}: aperto «Presenti», l'elenco è «${await pageA.textContent(".lv-presence__list")}»`));
    const items = await pageA.locator(".lv-presence__list li").count();
    assert.equal(items, 3, `${pageA.label}: l'elenco dei presenti ha ${items} voci invece di 3`);
    await pageA.locator(".lv-presence__summary").click();
    assertNoProblems(fac, ctxA, ctxB);
  });

  test("senza rete B scrive un contributo: resta in attesa, anche ricaricando la pagina, e arriva una sola volta", T, async () => {
    if ((await pageB.evaluate(() => window.tavoloBoard.state.phase)) !== "raccolta") {
      await setPhase(consolePage, "raccolta", [pageA, pageB]);
    }
    const text = `Sportello unico per il Terzo settore (${RUN}-2)`;
    const sent = []; // op frames B's sockets sent for this card (resending is allowed: op_id dedup)
    const countFrames = (ws) =>
      ws.on("framesent", (f) => {
        try {
          const m = JSON.parse(String(f.payload));
          if (m.type === "op" && m.op?.kind === "add_card" && m.op.text === text) sent.push(m.op_id);
        } catch {
          /* not JSON */
        }
      });
    pageB.on("websocket", countFrames);

    // 1. Cut B's network. Chromium's offline emulation blocks new connections but leaves an
    //    open websocket alone: the app closes it on the window's "offline" event. Should it not,
    //    that is recorded and the socket is closed from the test (trackSockets), so the rest of
    //    the scenario still runs offline. The server's presence list proves the drop.
    const soft = []; // failures that do not stop the scenario, reported at the end
    await ctxB.setOffline(true);
    const offlineStates = ["lost", "reconnecting", "connecting"];
    const noticed = await pageB
      .waitForFunction((s) => s.includes(window.tavoloBoard.status), offlineStates, { timeout: 3000 })
      .then(() => true, () => false);
    if (!noticed) {
      soft.push(`${pageB.label}: 3 s dopo context.setOffline(true) tavoloBoard.status è ancora «open» (l'evento "offline" della finestra non chiude il websocket): ${JSON.stringify(await boardInfo(pageB))}`);
      await pageB.evaluate(() => window.__testSockets.forEach((s) => s.close()));
      await pageB.waitForFunction((s) => s.includes(window.tavoloBoard.status), offlineStates, { timeout: 3000 })
        .catch(async () => assert.fail(`${pageB.label}: nemmeno chiudendo il websocket lo stato lascia «open»: ${JSON.stringify(await boardInfo(pageB))}`));
    }
    const conn = await pageB.textContent(".lv-conn__text");
    if (!/Connessione persa/.test(conn)) soft.push(`${pageB.label}: senza rete la barra di stato dice «${conn}», non «Connessione persa…»`);
    try {
      await consolePage.waitForFunction(
        (name) => !document.querySelector(".lv-presence__list")?.textContent.includes(name),
        "Bruno Neri",
        { timeout: 5000 },
      );
    } catch {
      assert.fail(`${consolePage.label}: Bruno Neri è ancora tra i presenti 5 s dopo la disconnessione: il websocket di B non si è chiuso lato server`);
    }

    // 2. Type and submit while offline: kept as pending (page and localStorage).
    await addCard(pageB, "bisogno", text);
    await waitCard(pageB, text, { settled: false });
    const pendingCard = cardsWith(pageB, text).first();
    assert.match(await pendingCard.getAttribute("class"), /lv-card--pending/, `${pageB.label}: il contributo scritto senza rete non è segnato come in attesa`);
    assert.match(await pendingCard.textContent(), /In attesa di invio/);
    const pending = await pageB.evaluate(() => window.tavoloBoard.pending);
    assert.equal(pending.length, 1, `${pageB.label}: tavoloBoard.pending = ${JSON.stringify(pending)}`);
    assert.equal(pending[0].op.kind, "add_card");
    const opId = pending[0].op_id;
    const stored = await pageB.evaluate((id) => localStorage.getItem(`tavolo:pending:${id}`) || "", meeting);
    assert.ok(stored.includes(opId), `${pageB.label}: l'operazione in attesa non è in localStorage (tavolo:pending:${meeting})`);
    await pageA.waitForTimeout(1000);
    assert.equal(await cardsWith(pageA, text).count(), 0, `${pageA.label}: il contributo di B è arrivato mentre B era senza rete`);

    // 3. Reload B while still offline. The browser stays offline (its websocket cannot connect);
    //    only the page's HTTP requests are served through page.route from node, as a cache would.
    const everything = () => true;
    const serveFromNode = async (route) => route.fulfill({ response: await route.fetch() });
    await pageB.route(everything, serveFromNode);
    await pageB.reload({ waitUntil: "load" });
    await pageB.unroute(everything, serveFromNode);
    await pageB.waitForFunction(() => !!window.tavoloBoard, null, { timeout: 5000 });
    await pageB.waitForTimeout(500);
    const afterReload = await pageB.evaluate(() => ({
      status: window.tavoloBoard.status,
      pending: window.tavoloBoard.pending.map((p) => p.op_id),
      queue: document.querySelector(".lv-conn__queue")?.textContent || "",
    }));
    assert.notEqual(afterReload.status, "open", `${pageB.label}: connesso dopo il ricaricamento senza rete?`);
    assert.deepEqual(afterReload.pending, [opId], `${pageB.label}: dopo il ricaricamento senza rete l'operazione in attesa non è stata ripresa da localStorage`);
    assert.match(afterReload.queue, /1 operazione in attesa di invio/, `${pageB.label}: la barra di stato non dice che 1 operazione è in attesa («${afterReload.queue}»)`);

    // 4. Network back: the op goes out, the server stores it once.
    await ctxB.setOffline(false);
    try {
      await pageB.waitForFunction(() => window.tavoloBoard.status === "open" && window.tavoloBoard.pending.length === 0, null, { timeout: 15_000 });
    } catch {
      assert.fail(`${pageB.label}: tornata la rete, l'operazione non è stata confermata entro 15 s: ${JSON.stringify(await boardInfo(pageB))}`);
    }
    await waitCard(pageA, text);
    await waitCard(consolePage, text);
    await waitCard(pageB, text);
    await pageA.waitForTimeout(1000); // a duplicate would arrive now
    const counts = {
      [`${pageA.label} (pagina)`]: await cardsWith(pageA, text).count(),
      [`${consolePage.label} (pagina)`]: await cardsWith(consolePage, text).count(),
      [`${pageB.label} (pagina)`]: await cardsWith(pageB, text).count(),
      [`${pageA.label} (tavoloBoard.state)`]: await stateCount(pageA, text),
      [`${consolePage.label} (tavoloBoard.state)`]: await stateCount(consolePage, text),
    };
    const rows = await historyRows(fac, meeting, text);
    counts[`${boardPath(meeting, "storia")} (eventi registrati)`] = rows.length;
    console.log(`# frame "op" inviati da B per questo contributo: ${sent.length} (op_id ${[...new Set(sent)].join(", ")})`);
    const wrong = Object.entries(counts).filter(([, n]) => n !== 1);
    if (wrong.length) assert.fail(`il contributo scritto senza rete non compare esattamente una volta: ${JSON.stringify(counts)}; storia: ${JSON.stringify(rows)}`);
    assert.ok(sent.every((id) => id === opId), `B ha inviato op_id diversi per lo stesso contributo: ${JSON.stringify(sent)}`);
    pageB.off("websocket", countFrames);
    if (soft.length) assert.fail(`problemi durante la prova senza rete:\n${soft.join("\n")}`);
    assertNoProblems(fac, ctxA, ctxB);
  });
});

// =============================================================================================
// 3. axe-core on board, list, console and projector, with cards, in "raccolta" and "voto"
// =============================================================================================

describe("in sala: un telefono, riscontri visibili", () => {
  let meeting, fac, phone, consolePage, phonePage;
  const SMALL = { width: 360, height: 780 };

  before(async () => {
    meeting = meetings[5] ?? meetings[meetings.length - 1];
    [fac, phone] = await Promise.all([staff(), participant("Carla Bianchi", { viewport: SMALL })]);
    consolePage = await openBoard(fac, boardPath(meeting, "conduzione"), `conduzione ${boardPath(meeting, "conduzione")}`);
    await setPhase(consolePage, "raccolta");
    phonePage = await openBoard(phone, boardPath(meeting), `telefono ${boardPath(meeting)}`);
  });
  after(async () => {
    await Promise.all([fac, phone].map((c) => c?.close()));
  });

  test("a 360×780 il pulsante per aggiungere è nello schermo appena si apre la lavagna", T, async () => {
    await waitPhase(phonePage, "raccolta");
    const btn = phonePage.locator(".lv-quickadd__btn").first();
    await btn.waitFor({ state: "visible", timeout: 5000 });
    const box = await btn.boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= SMALL.height, `pulsante fuori dallo schermo: ${JSON.stringify(box)}`);
    assert.equal(await phonePage.evaluate(() => window.scrollY), 0);
  });

  test("dopo «Pubblica» il modulo si chiude, il proprio contributo è sullo schermo e un messaggio lo dice", T, async () => {
    const text = `Sportello unico per i caregiver (${RUN}-telefono)`;
    await phonePage.locator(".lv-quickadd__btn").first().click();
    const field = phonePage.locator(`#nuovo-bisogno-${TITLE_FIELD.bisogno}`);
    await field.waitFor({ state: "visible", timeout: 5000 });
    await field.fill(text);
    await phonePage.locator('form[data-column="bisogno"] button[type=submit]').click();
    await waitCard(phonePage, text);
    await phonePage.waitForFunction(() => document.activeElement?.matches("[data-card-id]"), null, { timeout: 5000 });
    const m = await phonePage.evaluate((t) => {
      const card = [...document.querySelectorAll("#lavagna [data-card-id]")].find((c) => c.textContent.includes(t));
      const r = card.getBoundingClientRect();
      const toast = document.querySelector(".lv-toast");
      return {
        formOpen: !document.querySelector('section[data-column="bisogno"] .lv-add__form').hidden,
        top: r.top, bottom: r.bottom, height: innerHeight,
        toast: toast && !toast.hidden ? toast.textContent : null,
      };
    }, text);
    assert.equal(m.formOpen, false, "il modulo è rimasto aperto");
    assert.ok(m.top < m.height && m.bottom > 0, `il contributo non è sullo schermo: ${JSON.stringify(m)}`);
    assert.match(m.toast || "", /pubblicato/, `nessun messaggio visibile: ${JSON.stringify(m)}`);
  });

  test("con i totali nascosti il partecipante vota e non vede i totali; mostrati, li vede", T, async () => {
    const text = `Trasporto per le visite mediche (${RUN}-voto)`;
    await addCard(phonePage, "bisogno", text);
    const id = await waitCard(consolePage, text);
    await setPhase(consolePage, "voto", [phonePage]);
    const toggle = consolePage.locator("button.lv-toggle", { hasText: "Totali dei voti nascosti" });
    await toggle.click();
    await phonePage.waitForFunction(() => window.tavoloBoard.state.votes_hidden === true, null, { timeout: 5000 });
    // The facilitator votes twice; the participant once.
    for (let i = 0; i < 2; i++) await consolePage.locator(`[data-focus="vote:${id}"]`).click();
    await phonePage.locator(`[data-focus="vote:${id}"]`).click();
    // Every vote on the card in a page's board (functions passed to the page: its CSP
    // forbids evaluating strings).
    const sum = (cid) => {
      const c = window.tavoloBoard.state.cards[cid];
      return c ? Object.values(c.votes || {}).reduce((a, b) => a + b, 0) : -1;
    };
    await consolePage.waitForFunction((cid) => {
      const c = window.tavoloBoard.state.cards[cid];
      const n = c ? Object.values(c.votes || {}).reduce((a, b) => a + b, 0) : -1;
      return n === 3 && window.tavoloBoard.pending.length === 0;
    }, id, { timeout: 5000 });
    const seq = await consolePage.evaluate(() => window.tavoloBoard.state.seq);
    await phonePage.waitForFunction((s) => window.tavoloBoard.state.seq >= s && window.tavoloBoard.pending.length === 0, seq, { timeout: 5000 });
    // The other votes never reached the participant's browser: only their own is there.
    const held = await phonePage.evaluate((cid) => window.tavoloBoard.state.cards[cid].votes, id);
    assert.equal(Object.keys(held).length, 1, `voti nel browser del partecipante: ${JSON.stringify(held)}`);
    assert.deepEqual(Object.values(held), [1], `voti nel browser del partecipante: ${JSON.stringify(held)}`);
    const card = phonePage.locator(`#lavagna [data-card-id="${id}"]`);
    // The state changes first; the card is drawn on the next frame.
    await card.filter({ hasText: "1 voto tuo" }).waitFor({ timeout: 5000 });
    const hiddenText = await card.textContent();
    assert.doesNotMatch(hiddenText, /3 voti/, `il totale è sullo schermo: ${hiddenText}`);
    assert.match(hiddenText, /1 voto tuo/);
    assert.match(hiddenText, /Totali nascosti|totali nascosti/);
    mkdirSync(SCREENS, { recursive: true });
    await card.screenshot({ path: join(SCREENS, "telefono-voto-totali-nascosti.png") });
    // Shown again: the total is there.
    await toggle.click();
    await card.filter({ hasText: "3 voti" }).waitFor({ timeout: 5000 });
    assert.equal(await phonePage.evaluate(sum, id), 3);
    await setPhase(consolePage, "raccolta", [phonePage]);
  });

  test("a 1440×900 la conduzione mostra un contributo senza scorrere", T, async () => {
    const page = await openBoard(fac, boardPath(meeting, "conduzione"), "conduzione 1440");
    try {
      await page.setViewportSize({ width: 1440, height: 900 });
      const card = page.locator("#lavagna [data-card-id]").first();
      await card.waitFor({ state: "visible", timeout: 5000 });
      await page.evaluate(() => window.scrollTo(0, 0));
      const box = await card.boundingBox();
      assert.ok(box && box.y + 40 < 900, `il primo contributo comincia a ${box && Math.round(box.y)}px, sotto lo schermo (900px)`);
    } finally {
      await page.close();
    }
  });

  test("il proiettore con 100 contributi sta nello schermo a 1280×720 e a 1920×1080", T, async () => {
    // 100 needs written over the facilitator's own websocket, at the pace the rate allows.
    const written = await consolePage.evaluate(async ({ meeting, run }) => {
      const ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/ws/meetings/${meeting}`);
      await new Promise((ok, ko) => { ws.onopen = ok; ws.onerror = ko; });
      let acked = 0;
      ws.onmessage = (m) => { if (JSON.parse(m.data).type === "ack") acked++; };
      ws.send(JSON.stringify({ type: "hello", last_seq: 0 }));
      for (let i = 0; i < 100; i++) {
        ws.send(JSON.stringify({ type: "op", op_id: `fit-${run}-${i}`, op: { kind: "add_card", card_id: `fit${run}x${i}`, card_type: "bisogno", text: `Bisogno numero ${i + 1} scritto per riempire lo schermo del proiettore in sala`, policy_area: "Anziani" } }));
        await new Promise((r) => setTimeout(r, 110));
      }
      for (let t = 0; t < 50 && acked < 100; t++) await new Promise((r) => setTimeout(r, 100));
      ws.close();
      return acked;
    }, { meeting, run: RUN });
    assert.equal(written, 100, "non tutti i contributi sono stati scritti");
    for (const viewport of [{ width: 1280, height: 720 }, { width: 1920, height: 1080 }]) {
      const page = await openBoard(fac, boardPath(meeting, "proiettore"), `proiettore ${viewport.width}`);
      try {
        await page.setViewportSize(viewport);
        await page.waitForFunction(() => document.querySelectorAll(".lv-proj__col").length > 0, null, { timeout: 5000 });
        await page.waitForTimeout(300);
        const m = await page.evaluate(() => {
          const out = [];
          for (const el of document.querySelectorAll("#lavagna *")) {
            const r = el.getBoundingClientRect();
            if (r.width && r.height && (r.bottom > innerHeight + 1 || r.right > innerWidth + 1)) out.push(`${el.tagName.toLowerCase()}.${el.className} (${Math.round(r.right)}×${Math.round(r.bottom)})`);
          }
          const cols = [...document.querySelectorAll(".lv-proj__col")].map((c) => `${c.dataset.column}:${c.querySelectorAll("li").length}:${Math.round(c.getBoundingClientRect().bottom)}`);
          return { out: out.slice(0, 5), cols, ih: innerHeight, more: document.querySelector('[data-column="bisogno"] .lv-proj__more')?.textContent };
        });
        assert.deepEqual(m.out, [], `${viewport.width}×${viewport.height}: elementi fuori dallo schermo (${JSON.stringify(m)})`);
        assert.match(m.more || "", /e altri \d+/, `${viewport.width}: manca «e altri N»`);
      } finally {
        await page.close();
      }
    }
  });

  test("chi ha scritto un contributo nascosto da chi conduce legge il motivo", T, async () => {
    const text = `Sportello unico per i caregiver (${RUN}-telefono)`;
    const id = await waitCard(consolePage, text);
    await consolePage.locator(`[data-focus="manage:${id}"]`).click();
    await consolePage.fill(`#motivo-${id}`, "Contiene dati personali");
    await consolePage.locator(".lv-manage__hide button[type=submit]").click();
    await phonePage.waitForFunction(() => {
      const t = document.querySelector(".lv-toast");
      return t && !t.hidden && /nascosto il tuo contributo/.test(t.textContent);
    }, null, { timeout: 5000 }).catch(async () => assert.fail(`nessun messaggio visibile: ${await phonePage.textContent(".lv-toast")}`));
    assert.match(await phonePage.textContent(".lv-toast"), /Motivo: Contiene dati personali/);
    // The card leaves the board (the render follows the message within a frame).
    await cardsWith(phonePage, text).first().waitFor({ state: "detached", timeout: 5000 });
    assertNoProblems(fac, phone);
  });
});

describe("dal proiettore, un telefono senza sessione", () => {
  test("l'indirizzo della lavagna spiega come entrare, rimanda il link e porta agli ospiti; axe pulito", T, async () => {
    const path = boardPath(meetings[0]);
    await axePage(path, { viewport: PHONE });
    const context = await newContext({ viewport: PHONE });
    try {
      const page = await context.newPage();
      await goto(page, path);
      assert.match(await page.textContent("h1"), /Partecipa all'incontro/);
      await page.fill("#campo-email", email("telefono-senza-link"));
      await submit(page, () => page.click('form[action$="/link"] button[type=submit]'));
      assert.match(await page.textContent("main"), /Richiesta ricevuta/);
      await page.click(`a[href="/incontri/${meetings[0]}/ospite"]`);
      await page.waitForSelector("#campo-code");
    } finally {
      await context.close();
    }
  });
});

describe("axe-core WCAG 2.1 A/AA sulle viste della lavagna", () => {
  let meeting, fac, part, consolePage;
  const texts = [];

  before(async () => {
    meeting = meetings[1];
    [fac, part] = await Promise.all([staff({ bypassCSP: true }), participant("Carla Bianchi", { bypassCSP: true })]);
    consolePage = await openBoard(fac, boardPath(meeting, "conduzione"), `conduzione ${boardPath(meeting, "conduzione")}`);
    await setPhase(consolePage, "raccolta");
    const page = await openBoard(part, boardPath(meeting), `partecipante ${boardPath(meeting)}`);
    try {
      texts.push(`Posti insufficienti nei centri diurni per disabili (${RUN}-3)`);
      await addCard(page, "bisogno", texts.at(-1), {
        target_group: "Persone con disabilità e famiglie",
        territory: "Ambito di Bergamo",
        evidence: "Liste d'attesa dei servizi sociali comunali, 2026",
      });
      await waitCard(page, texts.at(-1));
      texts.push(`Tavolo tecnico permanente con gli enti del Terzo settore (${RUN}-4)`);
      await addCard(page, "proposta", texts.at(-1), { description: "Incontri mensili con verbale pubblico." });
      await waitCard(page, texts.at(-1));
    } finally {
      await page.close();
    }
    texts.push(`Utenti SAD ogni 100 residenti over 65 (${RUN}-5)`);
    await addCard(consolePage, "indicatore", texts.at(-1), { unit: "utenti ogni 100 residenti", source: "Cartella sociale" });
    await waitCard(consolePage, texts.at(-1));
  });
  after(async () => {
    await Promise.all([fac, part].map((c) => c?.close()));
  });

  /** Opens a view in `context`, waits for the cards, runs axe, keeps a screenshot. `dialog`
   *  is a selector of a button that opens a dialog to check open. */
  async function axeView(context, view, viewport, phase, dialog) {
    const path = boardPath(meeting, view);
    const page = await context.newPage();
    page.label = path;
    try {
      await page.setViewportSize(viewport);
      await goto(page, path);
      if (view === "proiettore") {
        await page.waitForFunction(() => window.tavoloBoard?.status === "open" && !document.querySelector(".lv-loading"), null, { timeout: 10_000 })
          .catch(async () => assert.fail(`${path}: il proiettore non si è connesso: ${JSON.stringify(await boardInfo(page))}`));
        await page.waitForFunction((n) => document.querySelectorAll(".lv-proj [data-card-id]").length >= n, texts.length, { timeout: 5000 })
          .catch(() => assert.fail(`${path}: il proiettore non mostra i ${texts.length} contributi`));
      } else {
        await waitOpen(page);
        for (const t of texts) await waitCard(page, t);
      }
      await waitPhase(page, phase);
      await page.waitForTimeout(200); // let the render settle (16 ms debounce, announcements)
      let where = `${path} (fase ${phase}, ${viewport.width}px)`;
      if (dialog) {
        await page.locator(dialog).first().click();
        await page.locator("dialog[open]").waitFor({ state: "visible", timeout: 3000 })
          .catch(() => assert.fail(`${path}: il clic su ${dialog} non apre un dialogo`));
        where += ` con il dialogo «${(await page.textContent("dialog[open] h2")).trim()}» aperto`;
      }
      await axeCheck(page, where);
      mkdirSync(SCREENS, { recursive: true });
      const name = `lavagna-${view || "partecipante"}-${phase}-${viewport.width}${dialog ? "-dialogo" : ""}.png`;
      await page.screenshot({ path: join(SCREENS, name), fullPage: true });
    } finally {
      await page.close();
    }
  }

  for (const phase of ["raccolta", "voto"]) {
    describe(`fase ${phase}`, () => {
      before(async () => {
        if (phase === "raccolta") return;
        await setPhase(consolePage, phase);
        // One vote, so the vote counts and the projector's bars are not empty.
        const page = await openBoard(part, boardPath(meeting), `partecipante ${boardPath(meeting)}`);
        try {
          await waitPhase(page, phase);
          await cardsWith(page, texts[0]).locator(".lv-votes__btn.btn--primary").click();
          await page.waitForFunction(() => {
            const b = window.tavoloBoard;
            return b.pending.length === 0 && Object.values(b.state.spent.voto || {}).some((n) => n > 0);
          }, null, { timeout: 5000 });
        } finally {
          await page.close();
        }
      });
      test(`lavagna del partecipante a ${WIDE.width}px`, T, () => axeView(part, "", WIDE, phase));
      test(`lavagna del partecipante a ${PHONE.width}px`, T, () => axeView(part, "", PHONE, phase));
      test("versione testuale (/elenco)", T, () => axeView(part, "elenco", WIDE, phase));
      test("conduzione (/conduzione)", T, () => axeView(fac, "conduzione", WIDE, phase));
      test("proiettore (/proiettore)", T, () => axeView(fac, "proiettore", WIDE, phase));
      if (phase === "raccolta") {
        test("lavagna del partecipante con il dialogo «Modifica» aperto", T, () =>
          axeView(part, "", WIDE, phase, '#lavagna [data-card-id] button[data-focus^="edit:"]'));
        test("conduzione con il dialogo «Gestisci» aperto", T, () =>
          axeView(fac, "conduzione", WIDE, phase, '#lavagna [data-card-id] button[data-focus^="manage:"]'));
      }
    });
  }
});

// =============================================================================================
// 4. Keyboard only
// =============================================================================================

describe("lavagna con la sola tastiera", () => {
  let meeting, fac, kb, consolePage, board;
  let cardId;
  const text = `Centro per le famiglie aperto anche il sabato (${RUN}-6)`;

  before(async () => {
    meeting = meetings[2];
    [fac, kb] = await Promise.all([staff(), participant("Davide Conti")]);
    consolePage = await openBoard(fac, boardPath(meeting, "conduzione"), `conduzione ${boardPath(meeting, "conduzione")}`);
    await setPhase(consolePage, "raccolta");
    board = await openBoard(kb, boardPath(meeting), `lavagna ${boardPath(meeting)}`);
  });
  after(async () => {
    await Promise.all([fac, kb].map((c) => c?.close()));
  });

  /** From wherever the focus is: Tab to the column's add button, open it, type, Tab to submit. */
  async function addWithKeyboard(page, column, value, key) {
    await tabUntil(page, (a) => a.tag === "button" && a.column === column && /Aggiungi un bisogno/.test(a.text), {
      max: 40,
      what: `${page.label}: il pulsante «Aggiungi un bisogno» della colonna Bisogni`,
    });
    await page.keyboard.press(key);
    const field = `nuovo-${column}-${TITLE_FIELD[column]}`;
    await page.waitForFunction((id) => document.activeElement?.id === id, field, { timeout: 2000 }).catch(() => {});
    const a = await active(page);
    assert.equal(a.id, field, `${page.label}: aperto il modulo con ${key}, il focus è su ${describeActive(a)} invece che sul campo del testo`);
    await page.keyboard.type(value);
    await tabUntil(page, (x) => x.tag === "button" && x.type === "submit" && x.column === column, {
      max: 15,
      what: `${page.label}: il pulsante «Pubblica il bisogno»`,
    });
    await page.keyboard.press(key);
  }

  test("Tab fino al modulo dei Bisogni, testo, invio con Invio: il contributo compare", T, async () => {
    await board.evaluate(() => document.activeElement?.blur());
    await addWithKeyboard(board, "bisogno", text, "Enter");
    cardId = await waitCard(board, text);
    await waitCard(consolePage, text);
    // The form closes and the focus is on the new card, in view.
    await board.waitForFunction((id) => document.activeElement?.getAttribute("data-card-id") === id, cardId, { timeout: 2000 }).catch(() => {});
    const a = await active(board);
    const focused = await board.evaluate(() => document.activeElement?.getAttribute("data-card-id"));
    assert.equal(focused, cardId, `${board.label}: dopo la pubblicazione il focus è su ${describeActive(a)}, non sul nuovo contributo`);
    assert.equal(await board.evaluate(() => document.querySelector('section[data-column="bisogno"] .lv-add__form').hidden), true, `${board.label}: il modulo è rimasto aperto`);
    assertNoProblems(fac, kb);
  });

  test("«Modifica» del proprio contributo apre un dialogo; Esc lo chiude e il focus torna al pulsante", T, async () => {
    assert.ok(cardId, "manca il contributo del test precedente");
    await tabUntil(board, (a) => a.focus === `edit:${cardId}`, { max: 30, what: `${board.label}: il pulsante «Modifica» del proprio contributo` });
    await board.keyboard.press("Enter");
    try {
      await board.locator("dialog[open]").waitFor({ state: "visible", timeout: 3000 });
    } catch {
      assert.fail(`${board.label}: Invio su «Modifica» non apre il dialogo`);
    }
    const inside = await active(board);
    assert.ok(inside.inDialog, `${board.label}: aperto il dialogo, il focus è su ${describeActive(inside)}, fuori dal dialogo`);
    const title = await board.locator("dialog[open] h2").textContent();
    assert.match(title, /Modifica/, `titolo del dialogo: «${title}»`);
    await board.keyboard.press("Escape");
    try {
      await board.locator("dialog").waitFor({ state: "detached", timeout: 3000 });
    } catch {
      assert.fail(`${board.label}: Esc non chiude il dialogo «${title}»`);
    }
    const back = await active(board);
    assert.equal(back.focus, `edit:${cardId}`, `${board.label}: chiuso il dialogo con Esc, il focus è su ${describeActive(back)} invece che sul pulsante «Modifica»`);
    assertNoProblems(fac, kb);
  });

  test("versione testuale (/elenco): stesso inserimento da tastiera, con la barra spaziatrice", T, async () => {
    const list = await openBoard(kb, boardPath(meeting, "elenco"), `elenco ${boardPath(meeting, "elenco")}`);
    try {
      const listText = `Educativa di strada nei quartieri periferici (${RUN}-7)`;
      await addWithKeyboard(list, "bisogno", listText, "Space");
      await waitCard(list, listText);
      await waitCard(board, listText);
      await waitCard(consolePage, listText);
    } finally {
      await list.close();
    }
    assertNoProblems(fac, kb);
  });

  test("in fase «voto» si vota e si toglie il voto da tastiera", T, async () => {
    assert.ok(cardId, "manca il contributo del primo test");
    await setPhase(consolePage, "voto", [board]);
    await tabUntil(board, (a) => a.focus === `vote:${cardId}`, { max: 60, what: `${board.label}: il pulsante «Vota» del contributo` });
    const voted = (n) =>
      board
        .waitForFunction(
          ([id, n]) => {
            const b = window.tavoloBoard;
            return b.pending.length === 0 && (b.state.cards[id]?.votes?.[b.you.id] || 0) === n;
          },
          [cardId, n],
          { timeout: 5000 },
        )
        .catch(async () => assert.fail(`${board.label}: dopo il tasto i voti propri non sono ${n}: ${JSON.stringify(await boardInfo(board))}`));
    await board.keyboard.press("Enter");
    await voted(1);
    await board.keyboard.press("Space");
    await voted(2);
    await board.waitForTimeout(100);
    let a = await active(board);
    assert.equal(a.focus, `vote:${cardId}`, `${board.label}: dopo aver votato il focus è su ${describeActive(a)}, non più su «Vota»`);
    const count = await cardsWith(board, text).locator(".lv-votes__count").textContent();
    assert.match(count, /2 voti, di cui 2 tuoi/, `conteggio mostrato: «${count}»`);
    assert.match(await board.textContent(".lv-votesleft"), /Ti restano 3 voti/);
    await board.keyboard.press("Shift+Tab");
    a = await active(board);
    assert.equal(a.focus, `unvote:${cardId}`, `${board.label}: Maiusc+Tab da «Vota» va su ${describeActive(a)}, non su «Togli voto»`);
    await board.keyboard.press("Enter");
    await voted(1);
    assertNoProblems(fac, kb);
  });
});

// =============================================================================================
// 5. Guests: the projector shows where to join and the code; a guest joins and adds a card
// =============================================================================================

describe("ospiti: indirizzo e codice sul proiettore", () => {
  let meeting, fac, guest, consolePage, projector;

  before(async () => {
    meeting = meetings[3];
    fac = await staff();
    consolePage = await openBoard(fac, boardPath(meeting, "conduzione"), `conduzione ${boardPath(meeting, "conduzione")}`);
    await setPhase(consolePage, "raccolta");
    projector = await fac.newPage();
    projector.label = `proiettore ${boardPath(meeting, "proiettore")}`;
    await goto(projector, boardPath(meeting, "proiettore"));
    await projector.waitForFunction(() => window.tavoloBoard?.status === "open" && !document.querySelector(".lv-loading"), null, { timeout: 10_000 })
      .catch(async () => assert.fail(`${projector.label}: non connesso: ${JSON.stringify(await boardInfo(projector))}`));
  });
  after(async () => {
    await Promise.all([fac, guest].map((c) => c?.close()));
  });

  test("attivato il codice ospiti, un ospite entra con il codice del proiettore e aggiunge un contributo", T, async () => {
    const joinPath = boardPath(meeting, "ospite");
    const joinShown = new URL(BASE).host + joinPath;
    // Before the code: the projector already shows the board's address for enrolled people.
    const boardShown = new URL(BASE).host + boardPath(meeting);
    const early = await projector.evaluate(() => [...document.querySelectorAll(".lv-proj__url")].map((e) => e.textContent.trim()));
    assert.deepEqual(early, [boardShown], `${projector.label}: indirizzi mostrati prima del codice ospiti`);
    // The facilitator enables the guest code with the console's button.
    const btn = consolePage.locator('button[data-focus="ctl:guest"]');
    assert.match(await btn.textContent(), /Attiva il codice ospiti/);
    await btn.click();
    await consolePage.waitForFunction(() => !!window.tavoloBoard.state.guest_code, null, { timeout: 5000 })
      .catch(async () => assert.fail(`${consolePage.label}: il codice ospiti non si è attivato: ${JSON.stringify(await boardInfo(consolePage))}`));
    const code = (await consolePage.textContent(".lv-code")).trim();
    assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}$/, `codice mostrato nella conduzione: «${code}»`);

    // The projector shows the join address and the code.
    try {
      await projector.locator(".lv-proj__code", { hasText: code }).waitFor({ state: "visible", timeout: 3000 });
    } catch {
      assert.fail(`${projector.label}: il codice ${code} non compare entro 3 s; riquadro: «${await projector.locator(".lv-proj__join").textContent().catch(() => "")}»`);
    }
    const urls = await projector.evaluate(() => [...document.querySelectorAll(".lv-proj__url")].map((e) => e.textContent.trim()));
    assert.ok(urls.includes(joinShown), `${projector.label}: indirizzi mostrati ${JSON.stringify(urls)}, atteso anche «${joinShown}»`);
    const projCode = (await projector.textContent(".lv-proj__code")).trim();

    // A guest types the code read on the projector.
    guest = await newContext();
    guest.who = "ospite";
    const page = await guest.newPage();
    page.label = `ospite ${boardPath(meeting)}`;
    await goto(page, joinPath);
    await page.fill("#campo-code", projCode.toLowerCase());
    await page.fill("#campo-name", "Elena Ospite");
    await page.fill("#campo-organisation", "Cooperativa sociale Il Ponte");
    await submit(page, () => page.click("main form button[type=submit]"), { expect: "ingresso ospite" });
    const path = new URL(page.url()).pathname;
    if (path !== boardPath(meeting)) {
      const errors = await page.locator(".error-summary, .field__error").allTextContents();
      assert.fail(`ingresso ospite con il codice ${projCode}: si resta su ${path}; errori: ${errors.join(" | ")}`);
    }
    await waitOpen(page);
    const you = await page.evaluate(() => window.tavoloBoard.you);
    assert.equal(you.kind, "guest", `l'ospite è entrato come ${JSON.stringify(you)}`);

    const text = `Consulta giovani dell'Ambito (${RUN}-8)`;
    await addCard(page, "bisogno", text);
    await waitCard(page, text);
    await waitCard(consolePage, text);
    const meta = await cardsWith(consolePage, text).locator(".lv-card__author").textContent();
    assert.match(meta, /Elena Ospite/, `autore mostrato nella conduzione: «${meta}»`);
    try {
      await projector.locator(".lv-proj__card", { hasText: text }).waitFor({ state: "visible", timeout: 3000 });
    } catch {
      assert.fail(`${projector.label}: il contributo dell'ospite non compare sul proiettore`);
    }
    assertNoProblems(fac, guest);
  });
});

// =============================================================================================
// 6. The synthesis: the console writes an area's synthesis, creates an objective with a linked
//    need and a line of resources, marks a card; a participant sees all of it and comments
// =============================================================================================

describe("sintesi: obiettivi con bisogni collegati e risorse, dalla conduzione ai partecipanti", () => {
  let meeting, fac, part, axeFac, consolePage, board;
  const need = `Anziani soli senza trasporto nelle frazioni (${RUN}-9)`;
  const title = `Trasporto sociale a chiamata (${RUN}-10)`;
  const AREA = "Anziani";
  const synthesisText = `Il trasporto è la priorità dell'area (${RUN}).`;

  before(async () => {
    meeting = meetings[4];
    [fac, part, axeFac] = await Promise.all([staff(), participant("Franca Sintesi"), staff({ bypassCSP: true })]);
    consolePage = await openBoard(fac, boardPath(meeting, "conduzione"), `conduzione ${boardPath(meeting, "conduzione")}`);
    await setPhase(consolePage, "raccolta");
    board = await openBoard(part, boardPath(meeting), `partecipante ${boardPath(meeting)}`);
    await addCard(board, "bisogno", need, { target_group: "Over 75 soli" });
    await waitCard(consolePage, need);
    await setPhase(consolePage, "sintesi", [board]);
  });
  after(async () => {
    await Promise.all([fac, part, axeFac].map((c) => c?.close()));
  });

  test("la sintesi di un'area scritta in conduzione arriva al partecipante", T, async () => {
    const block = consolePage.locator(`.lv-synthesis__block[data-area="${AREA}"]`);
    await block.locator(".lv-synthesis__editor > summary").click();
    const text = synthesisText;
    await block.locator("textarea").fill(text);
    await block.getByRole("button", { name: "Salva la sintesi" }).click();
    await board.locator(`.lv-synthesis__block[data-area="${AREA}"] .lv-synthesis__prose`, { hasText: text }).waitFor({ timeout: 5000 })
      .catch(async () => assert.fail(`${board.label}: la sintesi dell'area ${AREA} non compare: ${JSON.stringify(await boardInfo(board))}`));
    assertNoProblems(fac, part);
  });

  test("la conduzione crea un obiettivo con un bisogno collegato e una risorsa; il partecipante lo vede", T, async () => {
    const needId = await waitCard(consolePage, need);
    await consolePage.getByRole("button", { name: "Nuovo obiettivo" }).click();
    const dialog = consolePage.locator("dialog[open]");
    await dialog.waitFor({ state: "visible", timeout: 3000 });
    await dialog.locator("#obiettivo-nuovo-title").fill(title);
    await dialog.locator("#obiettivo-nuovo-policy_area").selectOption(AREA);
    await dialog.getByLabel(need, { exact: false }).check();
    await dialog.getByRole("button", { name: "Aggiungi una risorsa economica" }).click();
    const amount = dialog.getByLabel("Importo in euro");
    // An amount written the English way is refused next to its field, and nothing is sent.
    await amount.fill("12500.50");
    await dialog.getByLabel("Fondo").selectOption("fnps");
    await dialog.getByRole("button", { name: "Crea l'obiettivo" }).click();
    const err = dialog.locator(".lv-resource .field__error:not([hidden])");
    await err.waitFor({ timeout: 2000 }).catch(() => assert.fail("l'importo «12500.50» non è stato segnalato accanto al campo"));
    assert.match(await err.textContent(), /Risorsa 1: importo non valido/);
    assert.equal(await amount.getAttribute("aria-invalid"), "true");
    assert.equal(await consolePage.evaluate(() => window.tavoloBoard.pending.length), 0, "un obiettivo con un importo sbagliato è partito");
    // In Italian it is accepted.
    await amount.fill("12.500,00");
    await dialog.getByRole("button", { name: "Crea l'obiettivo" }).click();
    await dialog.waitFor({ state: "detached", timeout: 3000 }).catch(() => assert.fail("il dialogo «Nuovo obiettivo» non si è chiuso"));

    const objective = board.locator(".lv-objective", { hasText: title });
    await objective.waitFor({ timeout: 5000 })
      .catch(async () => assert.fail(`${board.label}: l'obiettivo non compare: ${JSON.stringify(await boardInfo(board))}`));
    const shown = (await objective.textContent()).replace(/\s+/g, " ");
    assert.match(shown, /\/O01/, `riferimento dell'obiettivo: «${shown}»`);
    assert.ok(shown.includes(need), `il bisogno collegato non è mostrato: «${shown}»`);
    assert.match(shown, /€\s12\.500,00/, `importo: «${shown}»`);
    assert.match(shown, /FNPS/);
    // What the participant's board holds, as the server sent it.
    const o = await board.evaluate((t) => Object.values(window.tavoloBoard.state.objectives).find((x) => x.content.title === t), title);
    assert.deepEqual(o.content.needs, [needId]);
    assert.deepEqual(o.content.resources, [{ amount_cents: 1_250_000, fund: "fnps", description: null }]);
    assert.equal(o.content.policy_area, AREA);
    assertNoProblems(fac, part);
  });

  test("il partecipante commenta l'obiettivo; chi conduce segna il bisogno come questione aperta", T, async () => {
    const objective = board.locator(".lv-objective", { hasText: title });
    await objective.locator(".lv-comments__summary").click();
    const comment = `Le ODV hanno due mezzi (${RUN})`;
    await objective.getByLabel("Il tuo commento sull'obiettivo").fill(comment);
    await objective.getByRole("button", { name: "Commenta" }).click();
    await consolePage.locator(".lv-objective", { hasText: title }).locator(".lv-comment__text", { hasText: comment }).waitFor({ state: "attached", timeout: 5000 })
      .catch(() => assert.fail("il commento sull'obiettivo non arriva alla conduzione"));

    await cardsWith(consolePage, need).locator('button[data-focus^="manage:"]').click();
    const dialog = consolePage.locator("dialog[open]");
    await dialog.getByLabel("Questione aperta").check();
    await dialog.getByLabel(/^Nota/).fill("Chi paga dopo il 2027?");
    await dialog.getByRole("button", { name: "Salva il segno" }).click();
    await cardsWith(board, need).locator(".lv-badge--mark-questione_aperta").waitFor({ timeout: 5000 })
      .catch(() => assert.fail(`${board.label}: il bisogno non è segnato come questione aperta`));
    assert.match(await cardsWith(board, need).locator(".lv-card__mark").textContent(), /Chi paga dopo il 2027\?/);
    assertNoProblems(fac, part);
  });

  test("un obiettivo tolto dal piano sparisce per il partecipante e, rimesso nel piano, torna con i suoi commenti", T, async () => {
    const inConsole = consolePage.locator(".lv-objectives .lv-objective", { hasText: title });
    await inConsole.getByRole("button", { name: /^Togli dal piano/ }).click();
    const confirm = consolePage.locator("dialog[open]");
    await confirm.getByRole("button", { name: "Togli dal piano" }).click();
    await board.locator(".lv-objective", { hasText: title }).waitFor({ state: "detached", timeout: 5000 })
      .catch(() => assert.fail(`${board.label}: l'obiettivo tolto dal piano è ancora sulla lavagna`));
    const removed = consolePage.locator(".lv-synthesis__removed");
    await removed.locator("summary").click();
    mkdirSync(SCREENS, { recursive: true });
    await removed.screenshot({ path: join(SCREENS, "conduzione-obiettivi-tolti.png") });
    await removed.getByRole("button", { name: /^Rimetti nel piano l'obiettivo \S+\/O01$/ }).click();
    const back = board.locator(".lv-objective", { hasText: title });
    await back.waitFor({ timeout: 5000 })
      .catch(async () => assert.fail(`${board.label}: l'obiettivo rimesso nel piano non torna: ${JSON.stringify(await boardInfo(board))}`));
    const shown = (await back.textContent()).replace(/\s+/g, " ");
    assert.match(shown, /\/O01/, `riferimento: «${shown}»`);
    const comments = await board.evaluate((t) => Object.values(window.tavoloBoard.state.objectives).find((x) => x.content.title === t)?.comments.map((k) => k.text), title);
    assert.deepEqual(comments, [`Le ODV hanno due mezzi (${RUN})`], "i commenti dell'obiettivo rimesso nel piano");
    await removed.waitFor({ state: "hidden", timeout: 5000 }).catch(() => assert.fail("l'elenco degli obiettivi tolti è ancora visibile"));
    assertNoProblems(fac, part);
  });

  test("il proiettore mostra per area la sintesi e gli obiettivi, al posto delle colonne dei contributi", T, async () => {
    const proj = await openBoard(fac, boardPath(meeting, "proiettore"), `proiettore ${boardPath(meeting, "proiettore")}`);
    try {
      const col = proj.locator(`.lv-proj__col[data-area="${AREA}"]`);
      await col.locator(".lv-proj__objectives > li", { hasText: title }).waitFor({ timeout: 5000 })
        .catch(async () => assert.fail(`${proj.label}: l'obiettivo non compare sul proiettore: ${JSON.stringify(await boardInfo(proj))}`));
      const shown = (await col.textContent()).replace(/\s+/g, " ");
      assert.match(shown, /Obiettivo \S+\/O01/, `riferimento sul proiettore: «${shown}»`);
      assert.ok(shown.includes(synthesisText), `la sintesi dell'area non è sul proiettore: «${shown}»`);
      assert.ok(!shown.includes("Franca Sintesi") && !shown.includes("scritta da"), `il proiettore nomina qualcuno: «${shown}»`);
      assert.equal(await proj.locator(".lv-proj__col[data-column]").count(), 0, "le colonne dei contributi sono ancora sul proiettore");
      const fits = await proj.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1);
      assert.ok(fits, `${proj.label}: il proiettore non sta nello schermo`);
      mkdirSync(SCREENS, { recursive: true });
      await proj.screenshot({ path: join(SCREENS, "proiettore-sintesi.png") });
    } finally {
      await proj.close();
    }
    assertNoProblems(fac);
  });

  test("axe-core: la conduzione con la sintesi, il dialogo dell'obiettivo e la lavagna del partecipante", T, async () => {
    const page = await openBoard(axeFac, boardPath(meeting, "conduzione"), `conduzione (axe) ${boardPath(meeting, "conduzione")}`);
    try {
      await page.locator(".lv-objective", { hasText: title }).waitFor({ timeout: 5000 });
      await page.locator(`.lv-synthesis__block[data-area="${AREA}"] .lv-synthesis__editor > summary`).click();
      await axeCheck(page, `${boardPath(meeting, "conduzione")} (fase sintesi, con l'editor della sintesi aperto)`);
      await page.locator(".lv-objective", { hasText: title }).getByRole("button", { name: "Modifica" }).click();
      await page.locator("dialog[open]").waitFor({ timeout: 3000 });
      await axeCheck(page, `${boardPath(meeting, "conduzione")} con il dialogo «Modifica l'obiettivo» aperto`);
      mkdirSync(SCREENS, { recursive: true });
      await page.screenshot({ path: join(SCREENS, "lavagna-conduzione-sintesi-dialogo.png"), fullPage: true });
      await page.keyboard.press("Escape");
    } finally {
      await page.close();
    }
    const proj = await openBoard(axeFac, boardPath(meeting, "proiettore"), `${boardPath(meeting, "proiettore")} (axe)`);
    try {
      await proj.locator(".lv-proj__objectives > li", { hasText: title }).waitFor({ timeout: 5000 });
      await axeCheck(proj, `${boardPath(meeting, "proiettore")} (fase sintesi, con un obiettivo)`);
    } finally {
      await proj.close();
    }
    for (const view of ["", "elenco"]) {
      const p = await openBoard(axeFac, boardPath(meeting, view), `${boardPath(meeting, view)} (axe)`);
      try {
        await p.locator(".lv-objective", { hasText: title }).waitFor({ timeout: 5000 });
        await axeCheck(p, `${boardPath(meeting, view)} (fase sintesi, con un obiettivo)`);
        await p.screenshot({ path: join(SCREENS, `lavagna-${view || "partecipante"}-sintesi.png`), fullPage: true });
      } finally {
        await p.close();
      }
    }
  });
});
