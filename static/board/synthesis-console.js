// Tavolo board client — the console's part of the synthesis (phase «Sintesi» and after): for
// each policy area an editor of its synthesis, the objective form in a dialog to create and
// edit objectives, removing an objective from the plan, and marking a card as an open question
// or a topic for co-progettazione (from the card's «Gestisci» dialog). What everyone sees is
// synthesis-view.js; this adds the facilitators' controls to it.

import { draftKey, newId } from "./client.js";
import { confirmDialog, openDialog } from "./dialogs.js";
import { fill, h, setText, shorten, timeLabel } from "./dom.js";
import { objectiveReference, objectivesOf, phaseLabel, synthesisOpen } from "./model.js";
import { ObjectiveForm } from "./objective-form.js";
import { SynthesisView } from "./synthesis-view.js";

export class ConsoleSynthesisView extends SynthesisView {
  constructor(ui) {
    super(ui);
    this.editors = new Map();
    this.newButton = h("button", { type: "button", class: "btn btn--primary btn--small", "data-focus": "syn:new", text: "Nuovo obiettivo", on: { click: () => this.openObjective(null) } });
    this.alert = h("div", { class: "lv-synthesis__alert" });
    this.head.append(h("div", { class: "lv-synthesis__tools" }, this.newButton), this.alert);
    this.removedList = h("ul", { class: "lv-synthesis__removed-list" });
    this.removed = h("details", { class: "lv-synthesis__removed", hidden: true }, h("summary"), this.removedList);
    this.el.appendChild(this.removed);
  }

  get allAreas() {
    return true;
  }

  introText(_vs, open) {
    return open
      ? "Scrivi la sintesi di ogni area e gli obiettivi che ne derivano: i partecipanti li vedono subito e possono commentare gli obiettivi."
      : `La sintesi si scrive dalla fase «${phaseLabel(this.config, "sintesi")}» in poi: per ora puoi solo leggerla.`;
  }

  renderHead(_vs, open) {
    this.newButton.hidden = !open;
  }

  renderTail(vs) {
    const removed = objectivesOf(vs, true).filter((o) => o.state.state !== "active");
    const open = synthesisOpen(vs, this.config);
    const sig = JSON.stringify([open, removed.map((o) => [o.id, o.content.title, o.state.by])]);
    if (sig === this.removedSig) return;
    this.removedSig = sig;
    this.removed.hidden = !removed.length;
    setText(this.removed.querySelector("summary"), `Obiettivi tolti dal piano (${removed.length})`);
    fill(
      this.removedList,
      ...removed.map((o) => {
        const reference = objectiveReference(o, this.config.meeting_code);
        // Put back as it was, while the synthesis is open (the server decides the same).
        const back = open
          ? h("button", {
              type: "button",
              class: "btn btn--secondary btn--small",
              text: "Rimetti nel piano",
              "aria-label": `Rimetti nel piano l'obiettivo ${reference}`,
              on: { click: () => this.restoreObjective(o.id) },
            })
          : null;
        return h("li", null, `${reference} «${o.content.title}»`, h("span", { class: "muted", text: ` · tolto da ${o.state.by}, ore ${timeLabel(o.updated_at)} ` }), back);
      }),
    );
  }

  restoreObjective(id) {
    this.ui.client.send({ kind: "restore_objective", objective_id: id }, { objective: id });
    this.ui.announcer.say("Obiettivo rimesso nel piano.", true);
    this.ui.schedule();
  }

  // --- the synthesis of each area -----------------------------------------------------------

  areaEditor(key, synthesis, vs) {
    if (!key || !synthesisOpen(vs, this.config)) return null;
    let ed = this.editors.get(key);
    if (!ed) ed = this.buildEditor(key);
    const text = synthesis ? synthesis.text : "";
    // What another facilitator wrote replaces the editor's text only while it holds nothing
    // typed here and not yet sent.
    if (ed.synced !== text) {
      if (ed.textarea.value === ed.synced) ed.textarea.value = text;
      ed.synced = text;
    }
    setText(ed.summaryText, synthesis ? "Modifica la sintesi" : "Scrivi la sintesi");
    ed.remove.hidden = !synthesis;
    ed.synthesis = synthesis;
    return ed.el;
  }

  buildEditor(key) {
    const n = this.editors.size;
    const id = `sintesi-testo-${n}`;
    const ed = { key, synced: "" };
    ed.textarea = h("textarea", { id, rows: "6", maxlength: String(this.config.limits.synthesis), "aria-describedby": `${id}-aiuto`, "data-focus": `syn:text:${n}` });
    ed.error = h("p", { class: "field__error", id: `${id}-errore`, hidden: true });
    ed.status = h("p", { class: "lv-form__status", role: "status" });
    ed.remove = h("button", { type: "button", class: "btn btn--link btn--small lv-danger-link", text: "Cancella la sintesi", on: { click: () => this.deleteSynthesis(ed) } });
    const form = h(
      "form",
      { class: "lv-form lv-synthesis__form", novalidate: true },
      h(
        "div",
        { class: "field" },
        h("label", { class: "field__label", for: id }, "Sintesi dell'area ", h("span", { text: `«${key}»` })),
        h("p", { class: "field__hint", id: `${id}-aiuto`, text: "Che cosa è emerso per quest'area: bisogni prioritari, accordi, punti ancora aperti." }),
        ed.error,
        ed.textarea,
      ),
      h("div", { class: "lv-form__actions" }, h("button", { type: "submit", class: "btn btn--primary btn--small", text: "Salva la sintesi" }), ed.remove),
      ed.status,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.saveSynthesis(ed);
    });
    ed.summaryText = h("span");
    ed.el = h("details", { class: "lv-synthesis__editor" }, h("summary", null, ed.summaryText, h("span", { class: "visually-hidden", text: `: ${key}` })), form);
    this.editors.set(key, ed);
    return ed;
  }

  showEditorError(ed, message) {
    ed.el.open = true;
    ed.error.hidden = !message;
    fill(ed.error, message ? h("span", { class: "visually-hidden", text: "Errore: " }) : null, message || "");
    if (message) {
      ed.textarea.setAttribute("aria-invalid", "true");
      ed.textarea.setAttribute("aria-describedby", `${ed.textarea.id}-aiuto ${ed.error.id}`);
      ed.textarea.focus();
    } else {
      ed.textarea.removeAttribute("aria-invalid");
      ed.textarea.setAttribute("aria-describedby", `${ed.textarea.id}-aiuto`);
    }
  }

  saveSynthesis(ed) {
    const text = ed.textarea.value.replace(/\r\n/g, "\n").trim();
    if (!text) return this.showEditorError(ed, ed.synthesis ? "Il testo è vuoto: per togliere la sintesi usa «Cancella la sintesi»." : "Scrivi il testo della sintesi.");
    const max = this.config.limits.synthesis;
    if (text.length > max) return this.showEditorError(ed, `Sintesi troppo lunga (al massimo ${max} caratteri).`);
    this.showEditorError(ed, null);
    ed.synced = text;
    ed.textarea.value = text;
    this.ui.client.send({ kind: "write_synthesis", policy_area: ed.key, text }, { synthesisArea: ed.key });
    setText(ed.status, "Sintesi inviata.");
    this.ui.announcer.say(`Sintesi dell'area ${ed.key} inviata.`, true);
    this.ui.schedule();
  }

  async deleteSynthesis(ed) {
    const ok = await confirmDialog({
      title: "Cancellare la sintesi?",
      text: `La sintesi dell'area «${ed.key}» non sarà più sulla lavagna. Resta nella storia dell'incontro.`,
      confirmLabel: "Cancella la sintesi",
      danger: true,
    });
    if (!ok) return;
    ed.synced = "";
    ed.textarea.value = "";
    this.ui.client.send({ kind: "write_synthesis", policy_area: ed.key, text: "" }, { synthesisArea: ed.key });
    setText(ed.status, "Sintesi cancellata.");
    this.ui.schedule();
  }

  // --- objectives ---------------------------------------------------------------------------

  objectiveActions(o) {
    if (o._pending) return [];
    const short = shorten(o.content.title, 60);
    return [
      h("button", { type: "button", class: "btn btn--secondary btn--small", "data-focus": `oedit:${o.id}`, "aria-label": `Modifica l'obiettivo: ${short}`, text: "Modifica", on: { click: () => this.openObjective(o.id) } }),
      h("button", { type: "button", class: "btn btn--link btn--small lv-danger-link", "data-focus": `oremove:${o.id}`, "aria-label": `Togli dal piano: ${short}`, text: "Togli dal piano", on: { click: () => this.removeObjective(o.id) } }),
    ];
  }

  /** Opens the objective form: a new objective (`id` null) or an existing one; `failed`
   *  brings back what the server refused, with its errors. */
  openObjective(id, failed) {
    const vs = this.ui.client.viewState();
    const o = id && vs.objectives[id];
    if (id && !o) return;
    const key = draftKey(this.config.meeting_id, `obiettivo:${id || "nuovo"}`);
    let form;
    openDialog({
      title: o ? `Modifica l'obiettivo ${objectiveReference(o, this.config.meeting_code)}` : "Nuovo obiettivo",
      className: "lv-dialog--form",
      build: (body, close) => {
        form = new ObjectiveForm({
          ui: this.ui,
          vs,
          prefix: id ? `obiettivo-${id}` : "obiettivo-nuovo",
          values: failed ? failed.draft : o ? o.content : null,
          draftKey: failed ? null : key,
          submitLabel: o ? "Salva le modifiche" : "Crea l'obiettivo",
          onCancel: () => {
            form.dropDraft();
            close();
          },
          onSubmit: (draft) => {
            const objectiveId = id || newId("o");
            const kind = id ? "edit_objective" : "create_objective";
            this.ui.client.send({ kind, objective_id: objectiveId, objective: draft }, { objectiveForm: id });
            this.ui.announcer.say(id ? "Modifica dell'obiettivo inviata." : `Obiettivo «${shorten(draft.title, 60)}» inviato.`, true);
            fill(this.alert);
            close();
            this.ui.schedule();
            return true;
          },
        });
        if (failed) form.draftKey = key;
        if (form.restoredDraft) form.setStatus("Abbiamo ripristinato quello che avevi scritto e non avevi ancora inviato.");
        body.appendChild(form.form);
      },
    });
    if (form && failed) form.showErrors(failed.fields || [], failed.message);
  }

  async removeObjective(id) {
    const o = this.ui.client.viewState().objectives[id];
    if (!o) return;
    const ok = await confirmDialog({
      title: "Togliere l'obiettivo dal piano?",
      text: `«${shorten(o.content.title, 120)}» non sarà più tra gli obiettivi. Resta nella storia dell'incontro, e puoi rimetterlo nel piano da «Obiettivi tolti dal piano».`,
      confirmLabel: "Togli dal piano",
      danger: true,
    });
    if (!ok) return;
    this.ui.client.send({ kind: "remove_objective", objective_id: id }, { objective: id });
    this.ui.announcer.say("Obiettivo tolto dal piano.", true);
    this.ui.schedule();
  }

  onOpError(d) {
    const ctx = (d.entry && d.entry.ctx) || {};
    if (ctx.synthesisArea !== undefined) {
      const ed = this.editors.get(ctx.synthesisArea);
      const field = (d.fields || []).find((f) => f.field === "text");
      if (ed && ed.el.isConnected) this.showEditorError(ed, field ? field.message : d.message);
      else this.ui.showAlert(d.message);
      return true;
    }
    if ("objectiveForm" in ctx) {
      const draft = (d.entry.op && d.entry.op.objective) || {};
      const failed = { draft, fields: d.fields || [], message: d.message };
      const again = h("button", { type: "button", class: "btn btn--link btn--small", text: "Riapri il modulo", on: { click: () => this.openObjective(ctx.objectiveForm, failed) } });
      fill(this.alert, h("div", { class: "notice notice--error", role: "alert" }, h("p", { text: `L'obiettivo «${shorten(draft.title || "", 60)}» non è stato salvato: ${d.message}` }), again));
      return true;
    }
    return super.onOpError(d);
  }
}

/** The part of a card's «Gestisci» dialog that marks it as an open question or a topic for
 *  co-progettazione, with a note (from the phase «Sintesi» on). */
export function markSection(ui, vs, card, close) {
  const cfg = ui.config;
  const heading = h("h3", { class: "lv-manage__h", text: "Sintesi" });
  if (!synthesisOpen(vs, cfg)) {
    return [heading, h("p", { class: "muted", text: `Dalla fase «${phaseLabel(cfg, "sintesi")}» puoi segnare il contributo come questione aperta o come tema per la co-progettazione.` })];
  }
  const id = `segno-${card.id}`;
  const current = card.mark ? card.mark.kind : "";
  const choices = [["", "Nessun segno"]].concat(cfg.mark_kinds || []);
  const radios = choices.map(([value, label], i) => {
    const r = h("input", { type: "radio", name: `${id}-tipo`, id: `${id}-${i}`, value, checked: value === current });
    return h("label", { class: "checkbox", for: r.id }, r, h("span", { text: label }));
  });
  const note = h("textarea", { id: `${id}-nota`, rows: "2", maxlength: String(cfg.limits.mark_note), "aria-describedby": `${id}-nota-aiuto` });
  note.value = (card.mark && card.mark.note) || "";
  const form = h(
    "form",
    { class: "lv-manage__mark", novalidate: true },
    h("fieldset", null, h("legend", { text: "Segna il contributo per i documenti" }), radios),
    h(
      "div",
      { class: "field" },
      h("label", { class: "field__label", for: note.id }, "Nota", h("span", { class: "field__optional", text: " (facoltativa)" })),
      h("p", { class: "field__hint", id: `${id}-nota-aiuto`, text: "Che cosa resta da decidere, o con chi progettare." }),
      note,
    ),
    h("button", { type: "submit", class: "btn btn--secondary", text: "Salva il segno" }),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const chosen = form.querySelector("input[type=radio]:checked");
    const mark = chosen ? chosen.value : "";
    if (!mark) {
      if (card.mark) ui.op({ kind: "unmark_card", card_id: card.id });
    } else {
      ui.op({ kind: "mark_card", card_id: card.id, mark, note: note.value.trim() || null });
    }
    ui.announcer.say(mark ? "Contributo segnato." : "Segno tolto.", true);
    close();
  });
  return [heading, form];
}
