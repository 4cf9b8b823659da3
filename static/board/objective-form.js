// Tavolo board client — the objective form of the console's synthesis: an objective's text
// fields (from `objective_fields` of the page's configuration, the definitions the server
// validates with: src/domain/board/synthesis.rs), the needs and indicators it links (chosen
// among the board's cards), the bodies involved, whether it spans several Ambiti, the lines of
// economic resources (amount typed in euro, "12.500,00", and fund) and the staff. Errors are
// shown next to their fields and in a summary, as in the card form (forms.js); what is typed is
// kept on this device until it is sent.

import { fill, h, shorten } from "./dom.js";
import { amountText, parseEuro } from "./money.js";
import { activeCards, cardTitle, referenceOf, resolveCard } from "./model.js";

/** The card kinds an objective links, with how the form speaks of them. */
const LINKS = [
  { name: "needs", cardType: "bisogno", legend: "Bisogni a cui risponde", none: "Non ci sono ancora bisogni sulla lavagna." },
  { name: "indicators", cardType: "indicatore", legend: "Indicatori che lo misurano", none: "Non ci sono ancora indicatori sulla lavagna." },
];

/**
 * An objective form. opts: {ui (the console: config, store, announcer), vs (the board as
 * shown), prefix (unique id prefix), values (an objective's content, or null for a new one),
 * draftKey, submitLabel, onSubmit(draft) → true when sent, onCancel}.
 */
export class ObjectiveForm {
  constructor(opts) {
    this.ui = opts.ui;
    this.config = opts.ui.config;
    this.vs = opts.vs;
    this.prefix = opts.prefix;
    this.draftKey = opts.draftKey || null;
    this.onSubmit = opts.onSubmit;
    this.controls = {};
    this.errorEls = {};
    this.fieldEls = {};
    this.lines = [];
    this.lineSeq = 0;
    this.form = h("form", { class: "lv-form lv-objective-form", novalidate: true });
    this.summary = h("div", { class: "error-summary lv-form__errors", tabindex: "-1", hidden: true });
    this.form.appendChild(this.summary);
    const fields = this.config.objective_fields || [];
    for (const f of fields) if (f.name !== "staff") this.form.appendChild(this.textField(f));
    this.dropped = h("p", { class: "notice notice--warning lv-objective-form__dropped", hidden: true });
    this.form.appendChild(this.dropped);
    for (const link of LINKS) this.form.appendChild(this.linkField(link));
    this.form.appendChild(this.actorsField());
    this.sovrazonale = h("input", { type: "checkbox", id: `${this.prefix}-sovrazonale` });
    this.form.appendChild(
      h("div", { class: "field" }, h("label", { class: "checkbox", for: this.sovrazonale.id }, this.sovrazonale, h("span", { text: "Obiettivo sovrazonale: coinvolge più Ambiti territoriali" }))),
    );
    this.form.appendChild(this.resourcesField());
    const staff = fields.find((f) => f.name === "staff");
    if (staff) this.form.appendChild(this.textField(staff));
    this.status = h("p", { class: "lv-form__status", hidden: true });
    this.form.append(
      h(
        "div",
        { class: "lv-form__actions" },
        h("button", { type: "submit", class: "btn btn--primary", text: opts.submitLabel }),
        h("button", { type: "button", class: "btn btn--secondary", text: "Annulla", on: { click: () => opts.onCancel && opts.onCancel() } }),
      ),
      this.status,
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.form.addEventListener("input", () => this.scheduleSave());
    this.form.addEventListener("change", () => this.scheduleSave());
    const draft = this.draftKey ? this.ui.store.get(this.draftKey, null) : null;
    if (draft && draft.values) {
      this.fill(draft.values);
      this.restoredDraft = true;
    } else {
      this.fill(opts.values || {});
    }
  }

  // --- building -------------------------------------------------------------------------

  /** An error paragraph for `name`, kept to show and clear it. */
  errorFor(name, id) {
    const err = h("p", { class: "field__error", id: `${id}-errore`, hidden: true });
    this.errorEls[name] = err;
    return err;
  }

  textField(f) {
    const id = `${this.prefix}-${f.name}`;
    const hintId = f.hint ? `${id}-aiuto` : null;
    const wrap = h("div", { class: `field lv-field lv-field--${f.kind}` });
    wrap.appendChild(h("label", { class: "field__label", for: id }, f.label, f.required ? null : h("span", { class: "field__optional", text: " (facoltativo)" })));
    if (hintId) wrap.appendChild(h("p", { class: "field__hint", id: hintId, text: f.hint }));
    wrap.appendChild(this.errorFor(f.name, id));
    const common = { id, name: f.name, "aria-describedby": hintId };
    if (f.required) Object.assign(common, { required: true, "aria-required": "true" });
    let control;
    const areas = this.config.policy_areas || [];
    if (f.kind === "textarea") control = h("textarea", Object.assign({ rows: String(f.rows || 3), maxlength: String(f.max) }, common));
    else if (f.kind === "area" && areas.length) {
      control = h("select", common, h("option", { value: "", text: "— Trasversale a più aree —" }), areas.map((a) => h("option", { value: a, text: a })));
    } else control = h("input", Object.assign({ type: "text", maxlength: String(f.max), autocomplete: "off" }, common));
    wrap.appendChild(control);
    this.controls[f.name] = { el: control, hintId };
    this.fieldEls[f.name] = wrap;
    return wrap;
  }

  linkField(link) {
    const id = `${this.prefix}-${link.name}`;
    const cards = activeCards(this.vs).filter((c) => c.content.card_type === link.cardType);
    const code = this.config.meeting_code;
    const boxes = cards.map((c) => {
      const cb = h("input", { type: "checkbox", id: `${id}-${c.id}`, value: c.id });
      return { cb, label: h("label", { class: "checkbox", for: cb.id }, cb, h("span", null, h("span", { class: "lv-card__ref", text: referenceOf(c, code) }), ` ${shorten(cardTitle(c.content), 120)}`)) };
    });
    const err = this.errorFor(link.name, id);
    const fs = h(
      "fieldset",
      { class: "lv-form__links", id, "aria-describedby": err.id },
      h("legend", { class: "lv-form__legend", text: `${link.legend} (facoltativo)` }),
      err,
      boxes.length ? h("div", { class: "lv-form__choices" }, boxes.map((b) => b.label)) : h("p", { class: "muted", text: link.none }),
    );
    this.controls[link.name] = { boxes: boxes.map((b) => b.cb), group: fs };
    this.fieldEls[link.name] = fs;
    return fs;
  }

  actorsField() {
    const id = `${this.prefix}-actors`;
    const suggested = this.config.objective_actors || [];
    const boxes = suggested.map((a, i) => {
      const cb = h("input", { type: "checkbox", id: `${id}-${i}`, value: a });
      return { cb, label: h("label", { class: "checkbox", for: cb.id }, cb, h("span", { text: a })) };
    });
    this.otherActors = h("textarea", { id: `${id}-altri`, rows: "2", "aria-describedby": `${id}-altri-aiuto` });
    const err = this.errorFor("actors", id);
    const fs = h(
      "fieldset",
      { class: "lv-form__links", id, "aria-describedby": err.id },
      h("legend", { class: "lv-form__legend", text: "Soggetti coinvolti (facoltativo)" }),
      err,
      h("div", { class: "lv-form__choices" }, boxes.map((b) => b.label)),
      h(
        "div",
        { class: "field" },
        h("label", { class: "field__label", for: this.otherActors.id, text: "Altri soggetti" }),
        h("p", { class: "field__hint", id: `${id}-altri-aiuto`, text: "Uno per riga: per esempio il nome di un ente del Terzo settore o di un Comune." }),
        this.otherActors,
      ),
    );
    this.controls.actors = { boxes: boxes.map((b) => b.cb), group: fs };
    this.fieldEls.actors = fs;
    return fs;
  }

  resourcesField() {
    const id = `${this.prefix}-risorse`;
    this.linesEl = h("div", { class: "lv-resources__lines" });
    this.addLine = h("button", { type: "button", class: "btn btn--secondary btn--small", text: "Aggiungi una risorsa economica", on: { click: () => this.newLine(true) } });
    const err = this.errorFor("resources", id);
    const fs = h(
      "fieldset",
      { class: "lv-resources", id, "aria-describedby": `${id}-aiuto ${err.id}` },
      h("legend", { class: "lv-form__legend", text: "Risorse economiche (facoltativo)" }),
      h("p", { class: "field__hint", id: `${id}-aiuto`, text: "Una riga per ogni importo, con il fondo da cui proviene. Scrivi l'importo in euro, per esempio 12.500,00." }),
      err,
      this.linesEl,
      this.addLine,
    );
    this.fieldEls.resources = fs;
    this.controls.resources = { group: fs };
    return fs;
  }

  /** Adds a line of resources (`values`: {amount_cents | amount_text, fund, description}). */
  newLine(focus, values) {
    const max = this.config.limits.resource_lines;
    if (this.lines.length >= max) {
      this.ui.announcer.say(`Al massimo ${max} risorse economiche.`, true);
      return;
    }
    const k = ++this.lineSeq;
    const id = `${this.prefix}-risorsa-${k}`;
    const line = { errs: {} };
    const err = (name) => {
      const p = h("p", { class: "field__error", id: `${id}-${name}-errore`, hidden: true });
      line.errs[name] = p;
      return p;
    };
    line.amount = h("input", { type: "text", id: `${id}-importo`, inputmode: "decimal", autocomplete: "off", "aria-describedby": `${id}-importo-aiuto`, class: "lv-resource__amount" });
    line.fund = h(
      "select",
      { id: `${id}-fondo` },
      h("option", { value: "", text: "— Scegli il fondo —" }),
      (this.config.funds || []).map((f) => h("option", { value: f.id, text: f.label === f.name ? f.name : `${f.label} – ${f.name}` })),
    );
    line.description = h("input", { type: "text", id: `${id}-dettaglio`, maxlength: String(this.config.limits.resource_description), autocomplete: "off" });
    line.legend = h("legend", { class: "lv-form__legend" });
    line.remove = h("button", { type: "button", class: "btn btn--link btn--small lv-danger-link", on: { click: () => this.removeLine(line) } });
    line.el = h(
      "fieldset",
      { class: "lv-resource" },
      line.legend,
      h(
        "div",
        { class: "lv-form__row" },
        h("div", { class: "field" }, h("label", { class: "field__label", for: line.amount.id, text: "Importo in euro" }), h("p", { class: "field__hint", id: `${id}-importo-aiuto`, text: "Per esempio 12.500,00" }), err("amount_cents"), line.amount),
        h("div", { class: "field" }, h("label", { class: "field__label", for: line.fund.id, text: "Fondo" }), err("fund"), line.fund),
        h("div", { class: "field" }, h("label", { class: "field__label", for: line.description.id }, "Dettaglio", h("span", { class: "field__optional", text: " (facoltativo)" })), err("description"), line.description),
      ),
      line.remove,
    );
    if (values) {
      line.amount.value = values.amount_text != null ? values.amount_text : values.amount_cents != null ? amountText(values.amount_cents) : "";
      line.fund.value = values.fund || "";
      line.description.value = values.description || "";
    }
    this.lines.push(line);
    this.linesEl.appendChild(line.el);
    this.renumber();
    if (focus) line.amount.focus();
  }

  removeLine(line) {
    const i = this.lines.indexOf(line);
    if (i < 0) return;
    this.lines.splice(i, 1);
    line.el.remove();
    this.renumber();
    const next = this.lines[i] || this.lines[i - 1];
    (next ? next.amount : this.addLine).focus();
    this.scheduleSave();
  }

  renumber() {
    this.lines.forEach((l, i) => {
      l.legend.textContent = `Risorsa ${i + 1}`;
      l.remove.textContent = "Togli";
      l.remove.setAttribute("aria-label", `Togli la risorsa ${i + 1}`);
    });
    this.addLine.hidden = this.lines.length >= this.config.limits.resource_lines;
  }

  // --- values -------------------------------------------------------------------------------

  /** Fills the form with an objective's content (or a draft kept on this device). */
  fill(values) {
    for (const f of this.config.objective_fields || []) {
      const c = this.controls[f.name];
      const v = values[f.name] == null ? "" : String(values[f.name]);
      if (c.el.tagName === "SELECT" && v && !Array.from(c.el.options).some((o) => o.value === v)) c.el.appendChild(h("option", { value: v, text: v }));
      c.el.value = v;
    }
    const dropped = [];
    for (const link of LINKS) {
      const want = new Set();
      for (const id of values[link.name] || []) {
        const card = resolveCard(this.vs, id);
        const box = card && this.controls[link.name].boxes.find((b) => b.value === card.id);
        if (box) want.add(card.id);
        else dropped.push(card ? referenceOf(card, this.config.meeting_code) : id);
      }
      for (const b of this.controls[link.name].boxes) b.checked = want.has(b.value);
    }
    this.dropped.hidden = !dropped.length;
    this.dropped.textContent = dropped.length ? `Non più sulla lavagna, quindi tolti dai collegamenti: ${dropped.join(", ")}.` : "";
    const actors = values.actors || [];
    for (const b of this.controls.actors.boxes) b.checked = actors.indexOf(b.value) >= 0;
    this.otherActors.value = actors.filter((a) => !this.controls.actors.boxes.some((b) => b.value === a)).join("\n");
    this.sovrazonale.checked = !!values.sovrazonale;
    for (const l of this.lines.slice()) l.el.remove();
    this.lines = [];
    for (const r of values.resources || []) this.newLine(false, r);
    this.renumber();
  }

  /** Everything typed, as the operation's `objective`, and the lines' amounts as typed. */
  values() {
    const out = {};
    for (const f of this.config.objective_fields || []) {
      const v = this.controls[f.name].el.value.replace(/\r\n/g, "\n").trim();
      if (v || f.required) out[f.name] = v;
    }
    for (const link of LINKS) out[link.name] = this.controls[link.name].boxes.filter((b) => b.checked).map((b) => b.value);
    const others = this.otherActors.value.split("\n").map((a) => a.trim()).filter(Boolean);
    out.actors = this.controls.actors.boxes.filter((b) => b.checked).map((b) => b.value).concat(others);
    out.sovrazonale = this.sovrazonale.checked;
    out.resources = this.lines.map((l) => ({ amount_text: l.amount.value.trim(), fund: l.fund.value, description: l.description.value.trim() }));
    return out;
  }

  scheduleSave() {
    if (!this.draftKey) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.ui.store.set(this.draftKey, { values: this.values(), at: Date.now() }), 300);
  }

  dropDraft() {
    clearTimeout(this.saveTimer);
    if (this.draftKey) this.ui.store.remove(this.draftKey);
  }

  /**
   * The objective to send and the errors found before sending (the checks of decide that can
   * run here, with its messages; the server checks again). Blank lines of resources are
   * dropped first, so that "Risorsa 2" is the second line on the screen and on the server.
   */
  read() {
    for (const l of this.lines.slice()) {
      if (!l.amount.value.trim() && !l.fund.value && !l.description.value.trim()) {
        this.lines.splice(this.lines.indexOf(l), 1);
        l.el.remove();
      }
    }
    this.renumber();
    const v = this.values();
    const limits = this.config.limits;
    const errors = [];
    for (const f of this.config.objective_fields || []) {
      const text = v[f.name] || "";
      if (f.required && !text) errors.push({ field: f.name, message: f.required });
      if (text.length > f.max) errors.push({ field: f.name, message: `${f.label}: testo troppo lungo (al massimo ${f.max} caratteri).` });
    }
    if (v.needs.length > limits.objective_links) errors.push({ field: "needs", message: `Collega al massimo ${limits.objective_links} bisogni.` });
    if (v.indicators.length > limits.objective_links) errors.push({ field: "indicators", message: `Collega al massimo ${limits.objective_links} indicatori.` });
    if (v.actors.some((a) => a.length > limits.actor)) {
      errors.push({ field: "actors", message: `Ogni soggetto coinvolto va scritto in una riga di al massimo ${limits.actor} caratteri.` });
    }
    if (new Set(v.actors).size > limits.objective_actors) errors.push({ field: "actors", message: `Indica al massimo ${limits.objective_actors} soggetti coinvolti.` });
    const resources = v.resources.map((r, i) => {
      const n = i + 1;
      const amount = parseEuro(r.amount_text, limits.amount_cents);
      if (amount.error) errors.push({ field: `resources.${i}.amount_cents`, message: `Risorsa ${n}: ${amount.error}` });
      if (!r.fund) errors.push({ field: `resources.${i}.fund`, message: `Risorsa ${n}: scegli il fondo.` });
      const line = { amount_cents: amount.cents, fund: r.fund };
      if (r.description) line.description = r.description;
      return line;
    });
    const draft = Object.assign({}, v, { resources });
    return { draft, errors };
  }

  submit() {
    const { draft, errors } = this.read();
    if (errors.length) {
      this.showErrors(errors);
      return;
    }
    this.clearErrors();
    if (this.onSubmit(draft) !== false) this.dropDraft();
  }

  // --- errors -------------------------------------------------------------------------------

  /** The error paragraph and the control to focus of a field name the server may send. */
  target(field) {
    const m = /^resources\.(\d+)\.(amount_cents|fund|description)$/.exec(field);
    if (m) {
      const l = this.lines[Number(m[1])];
      if (!l) return { err: this.errorEls.resources, focus: this.addLine };
      const control = { amount_cents: l.amount, fund: l.fund, description: l.description }[m[2]];
      return { err: l.errs[m[2]], control, focus: control };
    }
    const c = this.controls[field];
    if (!c) return null;
    if (c.el) return { err: this.errorEls[field], control: c.el, focus: c.el, hintId: c.hintId };
    const first = (c.boxes && c.boxes[0]) || this.addLine;
    return { err: this.errorEls[field], focus: first };
  }

  clearErrors() {
    this.summary.hidden = true;
    fill(this.summary);
    for (const p of this.form.querySelectorAll(".field__error")) {
      p.hidden = true;
      p.textContent = "";
    }
    for (const el of this.form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    for (const el of this.form.querySelectorAll("[data-described]")) {
      if (el.dataset.described) el.setAttribute("aria-describedby", el.dataset.described);
      else el.removeAttribute("aria-describedby");
      delete el.dataset.described;
    }
  }

  /** Shows errors [{field, message}] next to their fields and in a summary, focused. */
  showErrors(errors, general) {
    this.clearErrors();
    const items = [];
    const seen = new Set();
    for (const e of errors) {
      const key = `${e.field}|${e.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const t = this.target(e.field);
      if (!t || !t.err) {
        items.push(h("li", { text: e.message }));
        continue;
      }
      t.err.hidden = false;
      t.err.append(h("span", { class: "visually-hidden", text: "Errore: " }), e.message);
      if (t.control) {
        t.control.setAttribute("aria-invalid", "true");
        if (!("described" in t.control.dataset)) t.control.dataset.described = t.control.getAttribute("aria-describedby") || "";
        t.control.setAttribute("aria-describedby", [t.control.dataset.described, t.err.id].filter(Boolean).join(" "));
      }
      const link = h("a", { href: `#${t.focus.id}`, text: e.message });
      link.addEventListener("click", (ev) => {
        ev.preventDefault();
        t.focus.focus();
      });
      items.push(h("li", null, link));
    }
    if (general && !items.length) items.push(h("li", { text: general }));
    const n = items.length;
    this.summary.append(h("h3", { class: "error-summary__title", text: n === 1 ? "C'è un problema" : `Ci sono ${n} problemi` }), h("ul", null, items));
    this.summary.hidden = false;
    this.summary.focus();
  }

  setStatus(text) {
    this.status.hidden = !text;
    this.status.textContent = text || "";
  }

  focusFirst() {
    const first = this.form.querySelector("input, textarea, select");
    if (first) first.focus();
  }
}
