// Tavolo board client — ConsoleView, the facilitator's console (data-view "console"): the board
// with every card manageable (spotlight, move, theme, hide, merge duplicates) and the controls
// of the session (phase, lock, anonymity, blind collection and reveal, timer, votes, guests,
// themes, cards carried over from an earlier meeting).

import { newId } from "./client.js";
import { authorLine } from "./card.js";
import { openDialog } from "./dialogs.js";
import { absoluteUrl, agree, count, fill, groupedCode, h, setText, shorten } from "./dom.js";
import { activeCards, cardTitle, isActive, phaseLabel, totalVotes, voteBudget } from "./model.js";
import { BoardView } from "./participant.js";
import { ConsoleSynthesisView, markSection } from "./synthesis-console.js";
import { mmss, spokenDuration } from "./timer.js";

/** A two-state button (aria-pressed) with a constant label and a visible Sì/No. */
function toggleButton(label, onClick) {
  const state = h("span", { class: "lv-toggle__state", "aria-hidden": "true" });
  const el = h("button", { type: "button", class: "lv-toggle", "aria-pressed": "false" }, h("span", { class: "lv-toggle__label", text: label }), state);
  el.addEventListener("click", () => onClick(el.getAttribute("aria-pressed") !== "true"));
  return {
    el,
    set(on) {
      el.setAttribute("aria-pressed", on ? "true" : "false");
      setText(state, on ? "Sì" : "No");
    },
  };
}

function ctlSection(title, id, ...children) {
  return h("section", { class: "lv-ctl", "aria-labelledby": id }, h("h3", { class: "lv-ctl__title", id, text: title }), ...children);
}

export class ConsoleView extends BoardView {
  constructor(root, config) {
    super(root, config);
    this.console = true;
  }

  makeSynthesis() {
    return new ConsoleSynthesisView(this);
  }

  placeMain(main) {
    this.buildConsole();
    this.hiddenEl = h("section", { class: "lv-hidden", "aria-labelledby": "lv-nascosti-titolo", hidden: true });
    main.appendChild(this.hiddenEl);
    this.selectionBar = h("div", { class: "lv-selection", hidden: true, role: "region", "aria-label": "Contributi selezionati" });
    this.root.append(this.phaseEl, h("div", { class: "lv-console-layout" }, main, this.consoleEl), this.selectionBar);
  }

  renderView(vs) {
    super.renderView(vs);
    this.renderConsole(vs);
    this.renderHidden(vs);
    this.renderSelection(vs);
  }

  /** A refused control operation (see `op`) is reported in the console's status line. */
  onOpError(d) {
    if (d.entry && d.entry.ctx && d.entry.ctx.control) {
      this.announcer.say(`Non riuscito: ${d.message}`, true);
      this.consoleStatus.hidden = false;
      this.consoleStatus.textContent = `Non riuscito: ${d.message}`;
    } else {
      super.onOpError(d);
    }
  }

  /** Sends a control operation; a refusal shows in the console's status line. */
  op(op, label) {
    if (this.consoleStatus) {
      this.consoleStatus.hidden = true;
      this.consoleStatus.textContent = "";
    }
    this.client.send(op, { control: label || op.kind });
    this.schedule();
  }

  buildConsole() {
    const cfg = this.config;
    const el = {};
    this.ctl = el;
    this.consoleStatus = h("p", { class: "notice notice--error lv-console__status", hidden: true, role: "alert" });

    // Phase
    el.phaseNow = h("p", { class: "lv-ctl__now" });
    el.phaseSelect = h("select", { id: "ctl-fase" });
    el.phaseNext = h("button", { type: "button", class: "btn btn--primary btn--small", "data-focus": "ctl:next" });
    el.phaseNext.addEventListener("click", () => {
      const next = el.phaseNext.dataset.phase;
      if (next) this.op({ kind: "set_phase", phase: next });
    });
    const phaseForm = h(
      "form",
      { class: "lv-ctl__form", novalidate: true },
      h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-fase", text: "Scegli la fase" }), el.phaseSelect),
      h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Imposta la fase" }),
    );
    phaseForm.addEventListener("submit", (e) => {
      e.preventDefault();
      if (el.phaseSelect.value) this.op({ kind: "set_phase", phase: el.phaseSelect.value });
    });

    // Participation
    el.lock = toggleButton("Lavagna bloccata", (on) => this.op({ kind: "lock", locked: on }));
    el.anon = toggleButton("Contributi anonimi ammessi", (on) => this.op({ kind: "set_anonymous", allowed: on }));
    el.blind = toggleButton("Nuovi contributi nascosti finché non li riveli", (on) => this.op({ kind: "set_blind", blind: on }));
    el.reveal = h("button", { type: "button", class: "btn btn--secondary btn--small", "data-focus": "ctl:reveal" });
    el.reveal.addEventListener("click", () => {
      if (el.reveal.getAttribute("aria-disabled") === "true") return this.announcer.say("Non ci sono contributi da rivelare.", true);
      this.op({ kind: "reveal" });
    });

    // Votes
    el.budgetPhase = h("select", { id: "ctl-voti-fase" }, ((this.client.state.template || {}).phases || []).map((p) => h("option", { value: p, text: phaseLabel(cfg, p) })));
    el.budget = h("input", { type: "number", id: "ctl-voti", min: "0", max: String(cfg.limits.vote_budget), step: "1", inputmode: "numeric" });
    el.budgetNow = h("p", { class: "lv-ctl__now" });
    // Against bandwagon voting: totals off the participants' screens and the projector until
    // the facilitator shows them or moves to the next phase.
    el.hideVotes = toggleButton("Totali dei voti nascosti fino alla chiusura", (on) => this.op({ kind: "set_votes_hidden", hidden: on }));
    const budgetForm = h(
      "form",
      { class: "lv-ctl__form", novalidate: true },
      h(
        "div",
        { class: "lv-ctl__row" },
        h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-voti-fase", text: "Fase" }), el.budgetPhase),
        h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-voti", text: "Voti a testa" }), el.budget),
      ),
      h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Imposta i voti" }),
    );
    el.budgetPhase.addEventListener("change", () => {
      el.budget.value = String(voteBudget(this.client.state, cfg, el.budgetPhase.value));
    });
    budgetForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const n = parseInt(el.budget.value, 10);
      if (!(n >= 0 && n <= 50)) {
        this.consoleStatus.hidden = false;
        this.consoleStatus.textContent = "Indica un numero di voti da 0 a 50.";
        el.budget.focus();
        return;
      }
      this.op({ kind: "set_vote_budget", phase: el.budgetPhase.value, budget: n });
    });

    // Timer
    el.timerNow = h("p", { class: "lv-ctl__now" });
    const presets = h(
      "div",
      { class: "lv-ctl__buttons", role: "group", "aria-label": "Avvia il timer" },
      [2, 5, 10, 15].map((m) =>
        h("button", { type: "button", class: "btn btn--secondary btn--small", on: { click: () => this.op({ kind: "timer", action: "start", seconds: m * 60 }) } }, `${m} min`, h("span", { class: "visually-hidden", text: ` (avvia il timer di ${m} minuti)` })),
      ),
    );
    el.customMin = h("input", { type: "number", id: "ctl-timer-minuti", min: "1", max: String(cfg.limits.timer_minutes), step: "1", inputmode: "numeric" });
    const customForm = h(
      "form",
      { class: "lv-ctl__form lv-ctl__inline", novalidate: true },
      h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-timer-minuti", text: "Altra durata (minuti)" }), el.customMin),
      h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Avvia" }),
    );
    customForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const m = parseFloat(String(el.customMin.value).replace(",", "."));
      if (!(m > 0 && m <= cfg.limits.timer_minutes)) {
        this.consoleStatus.hidden = false;
        this.consoleStatus.textContent = `Indica una durata da 1 a ${cfg.limits.timer_minutes} minuti.`;
        el.customMin.focus();
        return;
      }
      this.op({ kind: "timer", action: "start", seconds: Math.round(m * 60) });
    });
    el.pause = h("button", { type: "button", class: "btn btn--secondary btn--small", text: "Pausa", "data-focus": "ctl:pause", on: { click: () => this.op({ kind: "timer", action: "pause" }) } });
    el.resume = h("button", { type: "button", class: "btn btn--secondary btn--small", text: "Riprendi", "data-focus": "ctl:resume", on: { click: () => this.op({ kind: "timer", action: "resume" }) } });
    el.stop = h("button", { type: "button", class: "btn btn--secondary btn--small", text: "Ferma", "data-focus": "ctl:stop", on: { click: () => this.op({ kind: "timer", action: "stop" }) } });

    // Spotlight
    el.spotNow = h("p", { class: "lv-ctl__now" });
    el.spotOff = h("button", { type: "button", class: "btn btn--secondary btn--small", text: "Togli dall'evidenza", "data-focus": "ctl:spotoff", on: { click: () => this.op({ kind: "spotlight", card_id: null }) } });

    // Guests
    el.guestNow = h("div", { class: "lv-ctl__now" });
    el.guest = h("button", { type: "button", class: "btn btn--secondary btn--small", "data-focus": "ctl:guest" });
    el.guest.addEventListener("click", () => this.op({ kind: "set_guest_code", enabled: !this.client.state.guest_code }));

    // Themes
    el.themeCol = h("select", { id: "ctl-tema-colonna" });
    el.themeTitle = h("input", { type: "text", id: "ctl-tema-titolo", maxlength: String(cfg.limits.theme_title), autocomplete: "off" });
    const themeForm = h(
      "form",
      { class: "lv-ctl__form", novalidate: true },
      h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-tema-colonna", text: "Colonna" }), el.themeCol),
      h("div", { class: "field" }, h("label", { class: "field__label", for: "ctl-tema-titolo", text: "Nome del nuovo tema" }), el.themeTitle),
      h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Crea il tema" }),
    );
    themeForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const title = el.themeTitle.value.trim();
      if (!title) {
        this.consoleStatus.hidden = false;
        this.consoleStatus.textContent = "Indica il nome del tema.";
        el.themeTitle.focus();
        return;
      }
      this.op({ kind: "create_group", group_id: newId("t"), title, column: el.themeCol.value });
      el.themeTitle.value = "";
      this.announcer.say(`Tema «${title}» creato.`, true);
    });
    el.themeList = h("ul", { class: "lv-ctl__themes" });

    // Carry over (low priority: plain inputs)
    el.carryMeeting = h("input", { type: "number", id: "ctl-riporta-incontro", min: "1", inputmode: "numeric" });
    el.carryCards = h("textarea", { id: "ctl-riporta-contributi", rows: "2", "aria-describedby": "ctl-riporta-aiuto" });
    const carryForm = h(
      "form",
      { class: "lv-ctl__form", novalidate: true },
      h("div", { class: "field" }, h("label", { class: "field__label", for: el.carryMeeting.id, text: "Identificativo dell'incontro precedente" }), el.carryMeeting),
      h(
        "div",
        { class: "field" },
        h("label", { class: "field__label", for: el.carryCards.id, text: "Identificativi dei contributi" }),
        h("p", { class: "field__hint", id: "ctl-riporta-aiuto", text: "Uno per riga o separati da virgole." }),
        el.carryCards,
      ),
      h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Riporta i contributi" }),
    );
    carryForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const from = parseInt(el.carryMeeting.value, 10);
      const ids = el.carryCards.value.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
      if (!(from > 0) || !ids.length) {
        this.consoleStatus.hidden = false;
        this.consoleStatus.textContent = "Indica l'incontro e almeno un contributo da riportare.";
        return;
      }
      this.op({ kind: "carry_over", from_meeting: from, cards: ids });
      el.carryCards.value = "";
    });

    this.consoleEl = h(
      "aside",
      { class: "lv-console", "aria-labelledby": "lv-conduzione-titolo" },
      h("h2", { class: "lv-console__title", id: "lv-conduzione-titolo", text: "Comandi di conduzione" }),
      this.consoleStatus,
      ctlSection("Fase", "ctl-h-fase", el.phaseNow, el.phaseNext, phaseForm),
      ctlSection("Partecipazione", "ctl-h-partecipazione", h("div", { class: "lv-ctl__toggles" }, el.lock.el, el.anon.el, el.blind.el), el.reveal),
      ctlSection("Timer", "ctl-h-timer", el.timerNow, presets, customForm, h("div", { class: "lv-ctl__buttons" }, el.pause, el.resume, el.stop)),
      ctlSection("Voto", "ctl-h-voto", el.budgetNow, h("div", { class: "lv-ctl__toggles" }, el.hideVotes.el), budgetForm),
      ctlSection("In evidenza", "ctl-h-evidenza", el.spotNow, el.spotOff),
      ctlSection("Accesso ospiti", "ctl-h-ospiti", el.guestNow, el.guest),
      ctlSection("Temi", "ctl-h-temi", themeForm, el.themeList),
      h("details", { class: "lv-ctl lv-ctl--more" }, h("summary", { class: "lv-ctl__title", text: "Riporta contributi da un incontro precedente" }), carryForm),
    );
  }

  renderConsole(vs) {
    const el = this.ctl;
    const cfg = this.config;
    const phases = (vs.template && vs.template.phases) || [];
    // Phase
    setText(el.phaseNow, `Fase attuale: ${phaseLabel(cfg, vs.phase)}`);
    const psig = JSON.stringify([phases, vs.phase]);
    if (psig !== this.ctlPhaseSig) {
      this.ctlPhaseSig = psig;
      fill(el.phaseSelect, ...phases.map((p) => h("option", { value: p, text: phaseLabel(cfg, p), selected: p === vs.phase })));
      el.phaseSelect.value = vs.phase;
      const next = phases[phases.indexOf(vs.phase) + 1];
      el.phaseNext.hidden = !next;
      el.phaseNext.dataset.phase = next || "";
      setText(el.phaseNext, next ? `Passa a: ${phaseLabel(cfg, next)}` : "");
    }
    // Participation
    el.lock.set(!!vs.locked);
    el.anon.set(!!vs.anonymous_allowed);
    el.blind.set(!!vs.blind);
    el.hideVotes.set(!!vs.votes_hidden);
    const hidden = activeCards(vs).filter((c) => !c.revealed).length;
    setText(el.reveal, hidden ? `Rivela i contributi (${hidden} ${agree("nascosto", hidden, "contributo")})` : "Rivela i contributi (nessuno nascosto)");
    el.reveal.setAttribute("aria-disabled", hidden ? "false" : "true");
    // Votes
    const vp = phases.indexOf("voto") >= 0 ? "voto" : vs.phase;
    if (!this.budgetInit) {
      this.budgetInit = true;
      el.budgetPhase.value = vp;
      el.budget.value = String(voteBudget(vs, cfg, vp));
    }
    const bsig = JSON.stringify(vs.vote_budgets || {});
    if (bsig !== this.ctlBudgetSig) {
      this.ctlBudgetSig = bsig;
      if (document.activeElement !== el.budget) el.budget.value = String(voteBudget(vs, cfg, el.budgetPhase.value));
    }
    const lines = phases.filter((p) => voteBudget(vs, cfg, p) > 0).map((p) => `${phaseLabel(cfg, p)}: ${count(voteBudget(vs, cfg, p), "voto")} a testa`);
    setText(el.budgetNow, lines.length ? lines.join(" · ") : "Nessuna fase di voto.");
    // Timer
    const t = vs.timer;
    setText(el.timerNow, !t ? "Timer fermo." : t.state === "paused" ? `In pausa, restano ${mmss(t.remaining_ms)}.` : `In corso: ${spokenDuration(t.duration_ms)} in tutto.`);
    el.pause.hidden = !(t && t.state === "running");
    el.resume.hidden = !(t && t.state === "paused");
    el.stop.hidden = !t;
    // Spotlight
    const spot = vs.spotlight && vs.cards[vs.spotlight];
    setText(el.spotNow, spot ? `In evidenza: «${shorten(cardTitle(spot.content), 80)}»` : "Nessun contributo in evidenza. Usa «Gestisci» su un contributo per metterlo in evidenza.");
    el.spotOff.hidden = !spot;
    // Guests
    const gsig = JSON.stringify([vs.guest_code, cfg.join_url]);
    if (gsig !== this.ctlGuestSig) {
      this.ctlGuestSig = gsig;
      if (vs.guest_code) {
        fill(el.guestNow, 
          h("p", null, "Codice per gli ospiti: ", h("strong", { class: "lv-code", text: groupedCode(vs.guest_code) })),
          cfg.join_url ? h("p", null, "Si entra da ", h("a", { href: cfg.join_url, text: absoluteUrl(cfg.join_url) })) : null,
        );
      } else {
        fill(el.guestNow, h("p", { text: "Disattivato: entrano solo le persone iscritte e chi conduce." }));
      }
      setText(el.guest, vs.guest_code ? "Disattiva il codice ospiti" : "Attiva il codice ospiti");
    }
    // Themes
    const cols = (vs.template && vs.template.columns) || [];
    const csig = JSON.stringify(cols.map((c) => c.card_type));
    if (csig !== this.ctlColsSig) {
      this.ctlColsSig = csig;
      fill(el.themeCol, ...cols.map((c) => h("option", { value: c.card_type, text: c.title })));
    }
    const groups = Object.values(vs.groups || {}).sort((a, b) => a.column.localeCompare(b.column) || a.title.localeCompare(b.title, "it"));
    const tsig = JSON.stringify(groups);
    if (tsig !== this.ctlThemesSig) {
      this.ctlThemesSig = tsig;
      const colTitle = (ct) => (cols.find((c) => c.card_type === ct) || { title: ct }).title;
      fill(el.themeList, 
        ...groups.map((g) => {
          const input = h("input", { type: "text", id: `ctl-rinomina-${g.id}`, value: g.title, maxlength: String(this.config.limits.theme_title), autocomplete: "off", "data-focus": `rename:${g.id}` });
          const form = h(
            "form",
            { class: "lv-ctl__inline", novalidate: true },
            h("div", { class: "field" }, h("label", { class: "field__label", for: input.id }, "Rinomina ", h("span", { class: "visually-hidden", text: `il tema ${g.title}` })), input),
            h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Salva" }),
          );
          form.addEventListener("submit", (e) => {
            e.preventDefault();
            const title = input.value.trim();
            if (title && title !== g.title) this.op({ kind: "rename_group", group_id: g.id, title });
          });
          return h("li", { class: "lv-ctl__theme" }, h("p", null, h("strong", { text: g.title }), h("span", { class: "muted", text: ` · ${colTitle(g.column)}` })), form);
        }),
      );
      el.themeList.hidden = !groups.length;
    }
  }

  renderHidden(vs) {
    const hidden = vs.card_order.map((id) => vs.cards[id]).filter((c) => c && c.state && c.state.state === "hidden");
    const sig = JSON.stringify(hidden.map((c) => [c.id, cardTitle(c.content), c.state]));
    if (sig === this.hiddenSig) return;
    this.hiddenSig = sig;
    this.hiddenEl.hidden = !hidden.length;
    fill(this.hiddenEl, 
      h("h2", { id: "lv-nascosti-titolo", text: `Nascosti (${hidden.length})` }),
      h("p", { class: "muted", text: "Contributi nascosti da chi conduce: i partecipanti non li vedono. Puoi ripristinarli." }),
      h(
        "ul",
        { class: "lv-hidden__list" },
        hidden.map((c) =>
          h(
            "li",
            { class: "lv-hidden__item", "data-card-id": c.id },
            h("p", { class: "lv-hidden__title", text: cardTitle(c.content) }),
            h("p", { class: "muted" }, `Motivo: ${c.state.reason || "—"}`, c.state.by ? ` · nascosto da ${c.state.by}` : ""),
            h("button", {
              type: "button",
              class: "btn btn--secondary btn--small",
              "data-focus": `restore:${c.id}`,
              "aria-label": `Ripristina: ${shorten(cardTitle(c.content), 60)}`,
              text: "Ripristina",
              on: { click: () => this.op({ kind: "restore", card_id: c.id }) },
            }),
          ),
        ),
      ),
    );
  }

  toggleSelected(cardId, on) {
    if (on) this.selected.add(cardId);
    else this.selected.delete(cardId);
    this.schedule();
  }

  renderSelection(vs) {
    for (const id of Array.from(this.selected)) if (!vs.cards[id] || !isActive(vs.cards[id])) this.selected.delete(id);
    const n = this.selected.size;
    const sig = String(n);
    if (sig === this.selSig) return;
    this.selSig = sig;
    this.selectionBar.hidden = !n;
    if (!n) return;
    fill(this.selectionBar, 
      h("p", { class: "lv-selection__count", text: n === 1 ? "1 contributo selezionato: scegline almeno un altro da unire." : `${count(n, "contributo")} ${agree("selezionato", n, "contributo")}` }),
      h("button", {
        type: "button",
        class: "btn btn--primary btn--small",
        text: "Unisci i doppioni…",
        "aria-disabled": n < 2 ? "true" : "false",
        "data-focus": "sel:merge",
        on: { click: (e) => (e.currentTarget.getAttribute("aria-disabled") === "true" ? this.announcer.say("Seleziona almeno due contributi.", true) : this.openMerge()) },
      }),
      h("button", {
        type: "button",
        class: "btn btn--link btn--small",
        text: "Annulla la selezione",
        on: {
          click: () => {
            this.selected.clear();
            this.schedule();
          },
        },
      }),
    );
  }

  openMerge() {
    const vs = this.client.viewState();
    const ids = Array.from(this.selected).filter((id) => vs.cards[id] && isActive(vs.cards[id]));
    if (ids.length < 2) return;
    openDialog({
      title: "Unisci i doppioni",
      build: (body, close) => {
        const fs = h("fieldset", { class: "lv-merge" }, h("legend", { text: "Quale contributo resta sulla lavagna?" }));
        ids.forEach((id, i) => {
          const c = vs.cards[id];
          const r = h("input", { type: "radio", name: "into", id: `unisci-${id}`, value: id, checked: i === 0 });
          fs.appendChild(
            h("label", { class: "checkbox", for: r.id }, r, h("span", null, h("strong", { text: shorten(cardTitle(c.content), 120) }), h("span", { class: "muted", text: ` · ${authorLine(c, this.cardCtxBase(vs)).join(" · ")} · ${count(totalVotes(c), "voto")}` }))),
          );
        });
        const form = h(
          "form",
          { novalidate: true },
          fs,
          h("p", { class: "muted", text: "Gli altri diventano doppioni di quello scelto: voti e commenti passano a lui." }),
          h("div", { class: "lv-dialog__actions" }, h("button", { type: "submit", class: "btn btn--primary", text: "Unisci" }), h("button", { type: "button", class: "btn btn--secondary", text: "Annulla", on: { click: close } })),
        );
        form.addEventListener("submit", (e) => {
          e.preventDefault();
          const into = form.querySelector("input[name=into]:checked").value;
          this.op({ kind: "merge", into, cards: ids.filter((x) => x !== into) });
          this.selected.clear();
          this.announcer.say("Contributi uniti.", true);
          close();
        });
        body.appendChild(form);
      },
    });
  }

  openManage(cardId) {
    const vs = this.client.viewState();
    const card = vs && vs.cards[cardId];
    if (!card) return;
    const cols = (vs.template && vs.template.columns) || [];
    const title = cardTitle(card.content);
    openDialog({
      title: `Gestisci: ${shorten(title, 60)}`,
      className: "lv-dialog--form",
      build: (body, close) => {
        const who = authorLine(card, this.cardCtxBase(vs)).join(" · ");
        const info = h("p", { class: "muted" }, `Di ${who}`, card.on_behalf_of ? ` · inserito da ${card.author.name}` : "", ` · ${count(totalVotes(card), "voto")}`);
        // Spotlight
        const spotOn = vs.spotlight === cardId;
        const spot = h("button", {
          type: "button",
          class: "btn btn--secondary",
          text: spotOn ? "Togli dall'evidenza" : "Metti in evidenza",
          on: {
            click: () => {
              this.op({ kind: "spotlight", card_id: spotOn ? null : cardId });
              close();
            },
          },
        });
        const edit = h("button", {
          type: "button",
          class: "btn btn--secondary",
          text: "Modifica il testo",
          on: {
            click: () => {
              close();
              this.openEdit(cardId);
            },
          },
        });
        // Move
        const moveSel = h("select", { id: `sposta-${cardId}` }, cols.map((c) => h("option", { value: c.card_type, text: c.title, selected: c.card_type === card.column })));
        const moveForm = h(
          "form",
          { class: "lv-ctl__inline", novalidate: true },
          h("div", { class: "field" }, h("label", { class: "field__label", for: moveSel.id, text: "Sposta nella colonna" }), moveSel),
          h("button", { type: "submit", class: "btn btn--secondary", text: "Sposta" }),
        );
        moveForm.addEventListener("submit", (e) => {
          e.preventDefault();
          if (moveSel.value !== card.column) this.op({ kind: "move", card_id: cardId, column: moveSel.value });
          close();
        });
        // Theme
        const groups = Object.values(vs.groups || {}).filter((g) => g.column === card.column).sort((a, b) => a.title.localeCompare(b.title, "it"));
        let themeForm;
        if (groups.length) {
          const themeSel = h("select", { id: `tema-${cardId}` }, h("option", { value: "", text: "Nessun tema" }), groups.map((g) => h("option", { value: g.id, text: g.title, selected: card.group === g.id })));
          themeForm = h(
            "form",
            { class: "lv-ctl__inline", novalidate: true },
            h("div", { class: "field" }, h("label", { class: "field__label", for: themeSel.id, text: "Tema" }), themeSel),
            h("button", { type: "submit", class: "btn btn--secondary", text: "Assegna" }),
          );
          themeForm.addEventListener("submit", (e) => {
            e.preventDefault();
            this.op({ kind: "group", card_id: cardId, group_id: themeSel.value || null });
            close();
          });
        } else {
          themeForm = h("p", { class: "muted", text: "Non ci sono temi in questa colonna: creali nei comandi di conduzione, sezione «Temi»." });
        }
        // Hide with a reason
        const reason = h("textarea", { id: `motivo-${cardId}`, rows: "2", maxlength: String(this.config.limits.hide_reason), required: true, "aria-required": "true", "aria-describedby": `motivo-${cardId}-aiuto` });
        const reasonErr = h("p", { class: "field__error", id: `motivo-${cardId}-errore`, hidden: true });
        const hideForm = h(
          "form",
          { class: "lv-manage__hide", novalidate: true },
          h(
            "div",
            { class: "field" },
            h("label", { class: "field__label", for: reason.id, text: "Motivo per nasconderlo" }),
            h("p", { class: "field__hint", id: `motivo-${cardId}-aiuto`, text: "Resta nella storia dell'incontro. Chi l'ha scritto legge il motivo; gli altri non vedranno più il contributo." }),
            reasonErr,
            reason,
          ),
          h("button", { type: "submit", class: "btn btn--danger", text: "Nascondi il contributo" }),
        );
        hideForm.addEventListener("submit", (e) => {
          e.preventDefault();
          const r = reason.value.trim();
          if (!r) {
            reasonErr.hidden = false;
            reasonErr.textContent = "Indica il motivo.";
            reason.setAttribute("aria-invalid", "true");
            reason.setAttribute("aria-describedby", `motivo-${cardId}-aiuto ${reasonErr.id}`);
            reason.focus();
            return;
          }
          this.op({ kind: "hide", card_id: cardId, reason: r });
          this.announcer.say("Contributo nascosto.", true);
          close();
        });
        body.append(
          info,
          h("div", { class: "lv-dialog__actions" }, spot, edit),
          h("h3", { class: "lv-manage__h", text: "Colonna e tema" }),
          moveForm,
          themeForm,
          ...markSection(this, vs, card, close),
          h("h3", { class: "lv-manage__h", text: "Moderazione" }),
          hideForm,
        );
      },
    });
  }
}
