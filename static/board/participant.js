// Tavolo board client — BoardView, the participants' board and its accessible text version
// (data-view "board" | "list"): the phase and what it allows, the columns with their add forms,
// themes and cards, voting, comments, editing and withdrawing one's own cards, and the spoken
// announcements of other people's changes. ConsoleView (console.js) extends it.

import { STATUS, draftKey, newId } from "./client.js";
import { CardView } from "./card.js";
import { confirmDialog, openDialog } from "./dialogs.js";
import { agree, count, fill, form, h, pick, setText, shorten, syncChildren } from "./dom.js";
import { nounOf } from "./fields.js";
import { CardForm } from "./forms.js";
import {
  ANONYMOUS_ID,
  cardTitle,
  columnOf,
  contentOfOp,
  isActive,
  isFacilitator,
  may,
  phaseLabel,
  phaseRules,
  totalsHidden,
  voteBudget,
  votesSpent,
} from "./model.js";
import { BoardShell } from "./shell.js";
import { SynthesisView } from "./synthesis-view.js";
import { spokenDuration } from "./timer.js";

export class BoardView extends BoardShell {
  constructor(root, config) {
    super(root, config, { timer: { announce: true } });
    /** The console adds the facilitator's controls to every card and form. */
    this.console = false;
    this.built = false;
    /** CardView by card id, theme sections and columns by key: kept across renders. */
    this.cards = new Map();
    this.themeEls = new Map();
    this.columns = new Map();
    /** Card ids ticked for merging (console only; empty elsewhere). */
    this.selected = new Set();
    /** Add forms by key ("nuovo:<column>"), to find the form of a refused operation. */
    this.forms = new Map();
  }

  buildChrome() {
    this.votesLeft = h("p", { class: "lv-votesleft", hidden: true });
    this.presence = h("details", { class: "lv-presence" }, h("summary", { class: "lv-presence__summary", text: "Presenti: 0" }), h("ul", { class: "lv-presence__list" }));
    this.presence.addEventListener("toggle", () => {
      if (this.presence.open) this.loadPresence();
    });
    this.bar = h("div", { class: "lv-bar" }, this.conn, this.timerView.el, this.votesLeft, this.presence);
    this.root.append(this.bar, this.alerts);
  }

  renderView(vs) {
    if (!this.built) this.buildMain();
    this.renderBar(vs);
    this.renderPhase(vs);
    this.renderColumns(vs);
    this.synthesis.render(vs);
  }

  votingInfo(vs) {
    const you = this.you;
    const budget = voteBudget(vs, this.config, vs.phase);
    const voting = budget > 0 && may(vs, this.config, you, "vote");
    const spent = votesSpent(vs, vs.phase, you.id);
    return { voting, budget, remaining: Math.max(0, budget - spent) };
  }

  renderBar(vs) {
    const v = this.votingInfo(vs);
    this.votesLeft.hidden = !v.voting;
    if (v.voting) {
      setText(this.votesLeft, v.remaining ? `Ti ${pick(v.remaining, "resta", "restano")} ${count(v.remaining, "voto")}` : "Hai usato tutti i tuoi voti");
      this.votesLeft.classList.toggle("lv-votesleft--none", v.remaining === 0);
    }
    this.renderPresence();
  }

  // Reads who is present (participants' sockets carry only the count). Called when the list
  // is opened, and again while it is open when the count changes.
  loadPresence() {
    if (this.presenceLoading || this.client.presenceListed) return;
    this.presenceLoading = true;
    this.presenceLoadedCount = this.client.presenceCount;
    fetch(`/api/v1/meetings/${this.client.meetingId}/presence`, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        if (data && Array.isArray(data.people) && !this.client.presenceListed) {
          this.client.presence = data.people;
          this.client.presenceCount = data.count;
        }
      })
      .catch(() => {})
      .finally(() => {
        this.presenceLoading = false;
        this.renderPresence();
      });
  }

  renderPresence() {
    if (this.presence.open && !this.client.presenceListed && this.client.presenceCount !== this.presenceLoadedCount) {
      if (!this.presenceReload) {
        this.presenceReload = setTimeout(() => {
          this.presenceReload = null;
          this.loadPresence();
        }, 1000);
      }
    }
    const people = this.client.presence || [];
    const sig = JSON.stringify([this.client.presenceCount, people.map((p) => [p.id, p.name, p.organisation])]);
    if (sig !== this.presenceSig) {
      this.presenceSig = sig;
      setText(this.presence.querySelector("summary"), `Presenti: ${this.client.presenceCount || people.length}`);
      const sorted = people.slice().sort((a, b) => String(a.name).localeCompare(String(b.name), "it"));
      fill(this.presence.querySelector("ul"), 
        ...sorted.map((p) => h("li", null, p.name || "—", p.organisation ? h("span", { class: "muted", text: ` · ${p.organisation}` }) : null, p.kind === "guest" ? h("span", { class: "muted", text: " (ospite)" }) : null)),
        this.client.presenceCount > sorted.length && sorted.length ? h("li", { class: "muted", text: this.client.presenceCount - sorted.length === 1 ? "e un'altra persona" : `e altre ${count(this.client.presenceCount - sorted.length, "persona")}` }) : null,
      );
    }
  }

  buildMain() {
    this.built = true;
    this.phaseTitle = h("h2", { class: "lv-phase__title", id: "lv-fase-titolo" });
    this.phaseHelp = h("p", { class: "lv-phase__help" });
    this.phaseFlags = h("ul", { class: "lv-phase__flags", hidden: true });
    this.phaseSteps = h("ol", { class: "lv-steps", "aria-label": "Fasi dell'incontro" });
    this.phaseEl = h("section", { class: "lv-phase", "aria-labelledby": "lv-fase-titolo" }, this.phaseTitle, this.phaseHelp, this.phaseFlags, this.phaseSteps);
    this.jump = h("nav", { class: "lv-jump", "aria-label": "Parti della lavagna" }, h("ul"));
    this.colsEl = h("div", { class: "lv-columns" });
    this.synthesis = this.makeSynthesis();
    const main = h("div", { class: "lv-main" }, this.jump, this.colsEl, this.synthesis.el);
    this.placeMain(main);
    if (this.view === "board") {
      // On a phone the add buttons stay at hand at the bottom of the screen (board.css shows
      // this bar on narrow screens only).
      this.quickAdd = h("nav", { class: "lv-quickadd", "aria-label": "Aggiungi un contributo", hidden: true }, h("ul"));
      this.root.appendChild(this.quickAdd);
    }
  }

  /** The synthesis under the columns (the console's has its editors). */
  makeSynthesis() {
    return new SynthesisView(this);
  }

  /** Puts the phase and the columns in the page (the console adds its controls beside). */
  placeMain(main) {
    this.root.append(this.phaseEl, main);
  }

  renderPhase(vs) {
    const cfg = this.config;
    const you = this.you;
    const label = phaseLabel(cfg, vs.phase);
    setText(this.phaseTitle, `Fase: ${label}`);
    setText(this.phaseHelp, this.phaseHelpText(vs));
    const flags = [];
    if (vs.locked) flags.push(["locked", "Lavagna bloccata da chi conduce"]);
    if (vs.blind) flags.push(["blind", "I nuovi contributi restano nascosti agli altri finché chi conduce non li rivela"]);
    if (vs.anonymous_allowed) flags.push(["anon", "Contributi anonimi ammessi"]);
    if (totalsHidden(vs, this.config)) flags.push(["votes", "Totali dei voti nascosti fino alla chiusura del voto"]);
    if (you.read_only) flags.push(["ro", "Sola lettura"]);
    const sig = JSON.stringify(flags);
    if (sig !== this.flagsSig) {
      this.flagsSig = sig;
      this.phaseFlags.hidden = !flags.length;
      fill(this.phaseFlags, ...flags.map(([k, t]) => h("li", { class: `badge lv-flag lv-flag--${k}`, text: t })));
    }
    const phases = (vs.template && vs.template.phases) || [];
    const stepSig = JSON.stringify([phases, vs.phase]);
    if (stepSig !== this.stepSig) {
      this.stepSig = stepSig;
      const cur = phases.indexOf(vs.phase);
      fill(this.phaseSteps, 
        ...phases.map((p, i) =>
          h(
            "li",
            { class: `lv-steps__item${i === cur ? " lv-steps__item--current" : i < cur ? " lv-steps__item--done" : ""}`, "aria-current": i === cur ? "step" : null },
            h("span", { class: "lv-steps__num", "aria-hidden": "true", text: String(i + 1) }),
            h("span", { class: "lv-steps__label", text: phaseLabel(cfg, p) }),
            i < cur ? h("span", { class: "visually-hidden", text: " (conclusa)" }) : null,
            i === cur ? h("span", { class: "visually-hidden", text: " (in corso)" }) : null,
          ),
        ),
      );
    }
  }

  phaseHelpText(vs) {
    const you = this.you;
    const cfg = this.config;
    const rules = phaseRules(cfg, vs.phase);
    const budget = voteBudget(vs, cfg, vs.phase);
    const can = [];
    const p = rules.permissions;
    if (p.indexOf("add_card") >= 0) can.push("aggiungere contributi");
    if (p.indexOf("edit_own_card") >= 0) can.push("modificare o ritirare i propri");
    if (p.indexOf("vote") >= 0 && budget > 0) can.push(`votare le priorità (${count(budget, "voto")} a testa, anche più d'uno sullo stesso contributo)`);
    if (p.indexOf("comment") >= 0) can.push("commentare");
    const list = can.length > 1 ? `${can.slice(0, -1).join(", ")} e ${can[can.length - 1]}` : can[0];
    if (you.read_only) return "Stai guardando la lavagna in sola lettura.";
    if (isFacilitator(you)) {
      const base = "Conduci tu: puoi agire in ogni fase.";
      if (vs.locked) return `${base} La lavagna è bloccata: i partecipanti per ora possono solo leggere.`;
      return can.length ? `${base} In questa fase i partecipanti possono ${list}.` : `${base} In questa fase i partecipanti possono solo leggere.`;
    }
    if (vs.locked) return "La lavagna è bloccata da chi conduce: per ora puoi solo leggere.";
    if (vs.phase === "chiuso") return "L'incontro è chiuso: la lavagna resta consultabile.";
    if (vs.phase === "preparazione") return "L'incontro non è ancora iniziato: per ora puoi leggere la lavagna.";
    if (!can.length) return "In questa fase puoi leggere la lavagna.";
    return `Ora puoi ${list.replace("i propri", "i tuoi")}.`;
  }

  ensureColumn(col, index) {
    let c = this.columns.get(col.card_type);
    if (c) return c;
    const id = `colonna-${col.card_type}`;
    const count = h("span", { class: "lv-col__count" });
    const heading = h("h2", { class: "lv-col__title", id: `${id}-titolo`, tabindex: "-1" }, h("span", { class: "lv-col__name", text: col.title }), " ", count);
    const prompt = h("p", { class: "lv-col__prompt", text: col.prompt });
    const noun = nounOf(col.card_type);
    const formId = `${id}-modulo`;
    const toggle = h("button", { type: "button", class: "btn btn--primary lv-add__toggle", "aria-expanded": "false", "aria-controls": formId }, h("span", { "aria-hidden": "true", text: "+ " }), noun.add);
    const form = new CardForm({
      ui: this,
      cardType: col.card_type,
      column: col.card_type,
      prefix: `nuovo-${col.card_type}`,
      submitLabel: noun.publish,
      cancelLabel: "Chiudi il modulo",
      onCancel: () => this.setFormOpen(c, false, true),
      draftKey: draftKey(this.config.meeting_id, `nuovo:${col.card_type}`),
      onBehalf: this.console,
      mode: "add",
      onSubmit: (content, extras) => this.addCard(col.card_type, content, extras, form),
    });
    form.form.id = formId;
    const formWrap = h("div", { class: "lv-add__form", hidden: true }, form.form);
    toggle.addEventListener("click", () => this.setFormOpen(c, toggle.getAttribute("aria-expanded") !== "true", false));
    const add = h("div", { class: "lv-add", hidden: true }, toggle, formWrap);
    const body = h("div", { class: "lv-col__body" });
    const empty = h("p", { class: "lv-col__empty muted", text: "Ancora nessun contributo." });
    const section = h("section", { class: `lv-col lv-col--${index % 3}`, id, "data-column": col.card_type, "aria-labelledby": heading.id }, h("div", { class: "lv-col__head" }, heading, prompt), add, empty, body);
    c = { col, section, heading, count, add, toggle, form, formWrap, body, empty };
    this.columns.set(col.card_type, c);
    this.forms.set(`nuovo:${col.card_type}`, c);
    if (form.restoredDraft) {
      this.setFormOpen(c, true, false, true);
      form.setStatus("Abbiamo ripristinato il testo che avevi scritto e non avevi ancora inviato.");
    }
    return c;
  }

  setFormOpen(c, open, returnFocus, quiet) {
    c.formWrap.hidden = !open;
    c.toggle.setAttribute("aria-expanded", open ? "true" : "false");
    c.toggle.classList.toggle("lv-add__toggle--open", open);
    if (open && !quiet) c.form.focusFirst();
    if (!open && returnFocus) c.toggle.focus();
  }

  cardCtxBase(vs) {
    const you = this.you;
    const v = this.votingInfo(vs);
    return {
      you,
      facilitator: isFacilitator(you),
      variant: this.view === "list" ? "list" : "board",
      console: this.console,
      spotlight: vs.spotlight,
      voting: v.voting,
      remaining: v.remaining,
      canComment: may(vs, this.config, you, "comment"),
      totalsHidden: !isFacilitator(you) && totalsHidden(vs, this.config),
      canEditOwn: may(vs, this.config, you, "edit_own_card"),
    };
  }

  renderColumns(vs) {
    const cols = (vs.template && vs.template.columns) || [];
    const base = this.cardCtxBase(vs);
    const you = this.you;
    const canAdd = may(vs, this.config, you, "add_card");
    const byCol = new Map(cols.map((c) => [c.card_type, []]));
    for (const id of vs.card_order) {
      const card = vs.cards[id];
      if (!card || !isActive(card)) continue;
      const col = columnOf(vs, card);
      if (byCol.has(col)) byCol.get(col).push(card);
    }
    const sections = [];
    const jumpItems = [];
    cols.forEach((col, i) => {
      const c = this.ensureColumn(col, i);
      sections.push(c.section);
      const list = byCol.get(col.card_type);
      setText(c.count, `(${count(list.length, "contributo")})`);
      jumpItems.push([col, list.length]);
      // Add form: visible when allowed, or when it holds text that must not vanish.
      c.form.setAnonymousAllowed(!!vs.anonymous_allowed);
      const hasText = !c.form.isEmpty();
      c.add.hidden = !(canAdd || hasText) || !!you.read_only;
      c.form.setBlocked(canAdd ? null : "In questa fase non si possono aggiungere contributi: il testo resta salvato su questo dispositivo come bozza.");
      c.empty.hidden = list.length > 0;
      this.renderColumnBody(vs, c, list, base);
    });
    syncChildren(this.colsEl, sections);
    this.renderQuickAdd(cols, canAdd && !you.read_only);
    const synthesis = this.synthesis.visible(vs);
    const jsig = JSON.stringify([jumpItems.map(([c, n]) => [c.card_type, c.title, n]), synthesis]);
    if (jsig !== this.jumpSig) {
      this.jumpSig = jsig;
      fill(this.jump.firstChild, 
        ...jumpItems.map(([c, n]) => h("li", null, h("a", { href: `#colonna-${c.card_type}`, class: "lv-jump__link" }, c.title, h("span", { class: "lv-jump__n", text: ` ${n}` }), h("span", { class: "visually-hidden", text: ` ${form(n, "contributo")}` })))),
        synthesis ? h("li", null, h("a", { href: "#sintesi", class: "lv-jump__link", text: "Sintesi e obiettivi" })) : null,
      );
    }
  }

  renderQuickAdd(cols, show) {
    if (!this.quickAdd) return;
    const sig = JSON.stringify([show, cols.map((c) => c.card_type)]);
    if (sig === this.quickSig) return;
    this.quickSig = sig;
    this.quickAdd.hidden = !show;
    fill(this.quickAdd.firstChild,
      ...cols.map((col) => {
        const noun = nounOf(col.card_type);
        const label = noun.one.charAt(0).toUpperCase() + noun.one.slice(1);
        const b = h("button", { type: "button", class: "btn btn--primary btn--small lv-quickadd__btn", "aria-label": noun.add }, h("span", { "aria-hidden": "true", text: "+ " }), label);
        b.addEventListener("click", () => {
          const c = this.columns.get(col.card_type);
          if (c) this.setFormOpen(c, true, false);
        });
        return h("li", null, b);
      }),
    );
  }

  renderColumnBody(vs, c, list, base) {
    const col = c.col.card_type;
    const groups = Object.values(vs.groups || {})
      .filter((g) => g.column === col)
      .sort((a, b) => a.title.localeCompare(b.title, "it"));
    const groupIds = new Set(groups.map((g) => g.id));
    const level = groups.length ? 4 : 3;
    const buckets = new Map(groups.map((g) => [g.id, []]));
    const loose = [];
    for (const card of list) {
      if (card.group && groupIds.has(card.group)) buckets.get(card.group).push(card);
      else loose.push(card);
    }
    const parts = [];
    for (const g of groups) {
      const sec = this.themeSection(`tema:${g.id}`, g.title, buckets.get(g.id).length, true);
      this.fillList(sec.list, buckets.get(g.id), Object.assign({ level, column: col }, base), vs);
      parts.push(sec.el);
    }
    if (!groups.length) {
      const sec = this.themeSection(`tutti:${col}`, null, loose.length, false);
      this.fillList(sec.list, loose, Object.assign({ level, column: col }, base), vs);
      parts.push(sec.el);
    } else if (loose.length) {
      const sec = this.themeSection(`senza:${col}`, "Senza tema", loose.length, true);
      this.fillList(sec.list, loose, Object.assign({ level, column: col }, base), vs);
      parts.push(sec.el);
    }
    syncChildren(c.body, parts);
  }

  themeSection(key, title, n, titled) {
    let s = this.themeEls.get(key);
    if (!s) {
      const list = h("ol", { class: "lv-cards", role: "list" });
      const heading = titled ? h("h3", { class: "lv-theme__title" }) : null;
      const el = h("section", { class: `lv-theme${titled ? "" : " lv-theme--plain"}`, "data-theme": key }, heading, list);
      if (!titled) el.setAttribute("aria-label", "Contributi");
      s = { el, list, heading };
      this.themeEls.set(key, s);
    }
    if (s.heading) {
      fill(s.heading, h("span", { class: "lv-theme__kicker", text: key.startsWith("senza:") ? "" : "Tema: " }), title, h("span", { class: "lv-theme__n", text: ` (${n})` }));
    }
    return s;
  }

  fillList(listEl, cards, ctxBase, vs) {
    const els = cards.map((card) => {
      let v = this.cards.get(card.id);
      if (!v) {
        v = new CardView(this, card.id);
        this.cards.set(card.id, v);
        if (this.built && this.seenFirstRender && !card._pending) v.el.classList.add("lv-card--new");
      }
      const ctx = Object.assign({}, ctxBase, {
        selected: this.selected.has(card.id),
        columnOther: card.content.card_type !== ctxBase.column,
      });
      v.update(card, ctx);
      if (card.id === this.revealCard) {
        this.revealCard = null;
        const el = v.el;
        el.classList.add("lv-card--new");
        requestAnimationFrame(() => {
          el.scrollIntoView({ block: "center" });
          if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
          el.focus({ preventScroll: true });
        });
      }
      return v.el;
    });
    syncChildren(listEl, els);
    this.seenFirstRender = true;
  }

  // --- actions (participants) ---------------------------------------------------------------

  addCard(column, content, extras, form) {
    const op = Object.assign({ kind: "add_card", card_id: newId("c"), column }, content, extras);
    this.client.send(op, { form: `nuovo:${column}` });
    form.clear();
    const offline = this.client.status !== STATUS.open;
    const msg = offline
      ? "Contributo salvato su questo dispositivo: partirà appena torna la rete."
      : "Contributo pubblicato: eccolo nella sua colonna.";
    if (this.console) {
      // Facilitators often write several in a row, for others: the form stays open.
      form.setStatus(msg);
      this.announcer.say(msg, true);
      form.focusFirst();
    } else {
      // The form closes and the page brings the new card into view.
      const c = this.columns.get(column);
      if (c) this.setFormOpen(c, false, false);
      this.revealCard = op.card_id;
      this.notify(msg);
    }
    this.schedule();
    return true;
  }

  vote(cardId, up, btn) {
    if (btn.getAttribute("aria-disabled") === "true") {
      const vs = this.client.viewState();
      const v = this.votingInfo(vs);
      this.announcer.say(up ? (v.remaining === 0 ? "Hai usato tutti i tuoi voti: togline uno da un altro contributo per votare questo." : "Non puoi votare ora.") : "Non hai voti su questo contributo.", true);
      return;
    }
    this.client.send({ kind: up ? "vote" : "unvote", card_id: cardId }, { card: cardId });
    this.schedule();
  }

  comment(cardId, text) {
    this.client.send({ kind: "comment", card_id: cardId, comment_id: newId("k"), text }, { card: cardId });
    this.announcer.say(this.client.status === STATUS.open ? "Commento inviato." : "Commento salvato su questo dispositivo: partirà appena torna la rete.", true);
    this.schedule();
    return true;
  }

  openEdit(cardId, failedContent) {
    const vs = this.client.viewState();
    const card = vs && vs.cards[cardId];
    if (!card) return;
    const key = draftKey(this.config.meeting_id, `modifica:${cardId}`);
    let form;
    openDialog({
      title: `Modifica: ${shorten(cardTitle(card.content), 60)}`,
      className: "lv-dialog--form",
      build: (body, close) => {
        form = new CardForm({
          ui: this,
          cardType: card.content.card_type,
          prefix: `modifica-${cardId}`,
          submitLabel: "Salva le modifiche",
          cancelLabel: "Annulla",
          onCancel: () => {
            form.dropDraft();
            close();
          },
          draftKey: failedContent ? null : key,
          values: failedContent || card.content,
          mode: "edit",
          onSubmit: (content) => {
            this.client.send(Object.assign({ kind: "edit_card", card_id: cardId }, content), { form: `modifica:${cardId}`, card: cardId });
            this.announcer.say(this.client.status === STATUS.open ? "Modifica inviata." : "Modifica salvata su questo dispositivo: partirà appena torna la rete.", true);
            form.dropDraft();
            close();
            this.schedule();
            return true;
          },
        });
        if (failedContent) form.draftKey = key;
        if (form.restoredDraft) form.setStatus("Abbiamo ripristinato le modifiche che non avevi ancora salvato.");
        body.appendChild(form.form);
      },
    });
    if (form && this.pendingFormErrors && this.pendingFormErrors.cardId === cardId) {
      form.showErrors(this.pendingFormErrors.fields, this.pendingFormErrors.message);
      this.pendingFormErrors = null;
    }
  }

  async withdraw(cardId) {
    const vs = this.client.viewState();
    const card = vs && vs.cards[cardId];
    if (!card) return;
    const ok = await confirmDialog({
      title: "Ritirare il contributo?",
      text: `«${shorten(cardTitle(card.content), 120)}» non sarà più sulla lavagna. Chi conduce potrà comunque vederlo nella storia dell'incontro.`,
      confirmLabel: "Ritira il contributo",
      danger: true,
    });
    if (!ok) return;
    this.client.send({ kind: "withdraw_card", card_id: cardId }, { card: cardId });
    this.announcer.say("Contributo ritirato.", true);
    this.schedule();
  }

  onAck(entry) {
    if (!entry || !entry.ctx) return;
    const f = entry.ctx.form && this.forms.get(entry.ctx.form);
    if (f && entry.op.kind === "add_card") {
      f.form.setStatus("Contributo pubblicato sulla lavagna.");
    }
  }

  onOpError({ entry, message, fields }) {
    this.announcer.say(`Non riuscito: ${message}`, true);
    if (this.synthesis && this.synthesis.onOpError({ entry, message, fields })) return;
    const ctx = (entry && entry.ctx) || {};
    const op = entry && entry.op;
    if (ctx.form && ctx.form.startsWith("nuovo:") && op) {
      const c = this.forms.get(ctx.form);
      if (c) {
        const content = contentOfOp(op);
        delete content.card_id;
        this.setFormOpen(c, true, false, true);
        if (c.form.isEmpty()) {
          c.form.fill(content);
          if (op.anonymous && c.form.anon) c.form.anon.checked = true;
          c.form.saveDraft();
          c.form.showErrors(fields.length ? fields : [], message);
          c.form.setStatus("Il contributo non è stato pubblicato: il testo è di nuovo nel modulo.");
        } else {
          c.form.showErrors(fields.length ? fields : [], message);
          c.form.setStatus(`Un contributo non è stato pubblicato («${shorten(cardTitle(content), 80)}»).`);
          this.showRecover(c, content);
        }
        return;
      }
    }
    if (ctx.form && ctx.form.startsWith("modifica:") && op) {
      const cardId = op.card_id;
      const v = this.cards.get(cardId);
      const content = contentOfOp(op);
      delete content.card_id;
      this.store.set(draftKey(this.config.meeting_id, `modifica:${cardId}`), { content, at: Date.now() });
      if (v && v.el.isConnected) {
        v.setMessage(`La modifica non è stata salvata: ${message}`, {
          label: "Riprova la modifica",
          run: () => {
            this.pendingFormErrors = { cardId, fields, message };
            v.setMessage(null);
            this.openEdit(cardId);
          },
        });
        return;
      }
    }
    if (ctx.card) {
      const v = this.cards.get(ctx.card);
      if (v && v.el.isConnected) {
        v.setMessage(message);
        return;
      }
    }
    this.showAlert(message);
  }

  showRecover(c, content) {
    const btn = h("button", {
      type: "button",
      class: "btn btn--link btn--small",
      text: "Recupera il testo non pubblicato",
      on: {
        click: () => {
          c.form.fill(content);
          c.form.saveDraft();
          btn.remove();
          c.form.focusFirst();
        },
      },
    });
    c.form.status.appendChild(h("span", null, " ", btn));
  }

  // --- announcements of remote changes -----------------------------------------------------

  announceEvent(rec, mine) {
    const ev = rec.event || {};
    const st = this.client.state;
    const cfg = this.config;
    const colTitle = (col) => {
      const c = ((st.template && st.template.columns) || []).find((x) => x.card_type === col);
      return c ? c.title : col;
    };
    const you = this.you;
    const title = (id) => {
      const c = st.cards[id];
      return c ? `«${shorten(cardTitle(c.content), 60)}»` : "un contributo";
    };
    const isMine = (id) => st.cards[id] && st.cards[id].author && st.cards[id].author.id === you.id;
    const say = (t) => this.announcer.say(t);
    switch (ev.kind) {
      case "card_added": {
        if (mine) return undefined; // announced when sent (and when an offline queue drains)
        const c = st.cards[ev.card_id];
        if (!c || (!c.revealed && !isFacilitator(you))) return;
        const anon = c.anonymous || (c.author && c.author.id === ANONYMOUS_ID);
        const who = c.on_behalf_of && c.on_behalf_of.name ? c.on_behalf_of.name : c.author && c.author.name;
        return say(anon ? `Nuovo contributo anonimo nella colonna ${colTitle(c.column)}.` : `Nuovo contributo di ${who} nella colonna ${colTitle(c.column)}.`);
      }
      case "cards_carried_over": {
        const n = (ev.cards || []).length;
        const carried = agree("riportato", n, "contributo");
        return n ? say(`${carried[0].toUpperCase()}${carried.slice(1)} ${count(n, "contributo")} da un incontro precedente.`) : undefined;
      }
      case "cards_revealed":
      case "revealed": {
        const ids = (ev.cards || []).map((c) => (typeof c === "string" ? c : c.id));
        const own = isFacilitator(you) ? [] : ids.filter(isMine);
        if (own.length === 1) return this.notify(`Il tuo contributo ${title(own[0])} ora è visibile a tutti.`);
        if (own.length > 1) return this.notify(`I tuoi ${count(own.length, "contributo")} ora sono visibili a tutti.`);
        const n = ids.length;
        return n ? say(n === 1 ? "È stato rivelato un contributo." : `Sono stati rivelati ${n} contributi.`) : undefined;
      }
      case "phase_set":
        return say(`Nuova fase: ${phaseLabel(cfg, ev.phase)}. ${this.phaseHelpText(st)}`);
      case "locked":
        return say(ev.locked ? "Chi conduce ha bloccato la lavagna." : "La lavagna è di nuovo aperta.");
      case "blind_set":
        return say(ev.blind ? "Da ora i nuovi contributi restano nascosti agli altri finché chi conduce non li rivela." : "Da ora i nuovi contributi sono subito visibili a tutti.");
      case "votes_hidden_set":
        return say(ev.hidden ? "Chi conduce ha nascosto i totali dei voti fino alla chiusura del voto." : "Ora si vedono i totali dei voti.");
      case "anonymous_set":
        return say(ev.allowed ? "Ora si possono pubblicare contributi anonimi." : "I contributi anonimi non sono più ammessi.");
      case "spotlighted":
        return ev.card_id ? say(`In evidenza: ${title(ev.card_id)}.`) : undefined;
      case "timer_set": {
        const t = ev.timer;
        if (!t) return say("Timer fermato.");
        if (t.state === "paused") return say("Timer in pausa.");
        return say(`Timer avviato: ${spokenDuration(t.ends_at - this.client.serverNow())}.`);
      }
      case "vote_budget_set":
        return ev.phase === st.phase ? say(`Voti a disposizione in questa fase: ${ev.budget}.`) : undefined;
      case "commented":
        if (!mine && isMine(ev.card_id)) return say(`Nuovo commento di ${(rec.actor && rec.actor.name) || "qualcuno"} sul tuo contributo ${title(ev.card_id)}.`);
        return undefined;
      case "card_removed":
        return undefined;
      case "card_hidden":
        if (mine) return undefined;
        if (isMine(ev.card_id) && !isFacilitator(you)) {
          return this.notify(`Chi conduce ha nascosto il tuo contributo ${title(ev.card_id)}${ev.reason ? `. Motivo: ${ev.reason}` : ""}.`);
        }
        return say(`Un contributo è stato nascosto: ${title(ev.card_id)}.`);
      case "cards_merged":
        if ((ev.cards || []).some(isMine)) return this.notify("Un tuo contributo è stato unito a uno simile: voti e commenti sono passati a quello.");
        return undefined;
      case "card_moved":
        if (isMine(ev.card_id) && !mine) return say(`Il tuo contributo ${title(ev.card_id)} è stato spostato nella colonna ${colTitle(ev.column)}.`);
        return undefined;
      default:
        return this.synthesis && this.synthesis.announce(rec, mine);
    }
  }
}
