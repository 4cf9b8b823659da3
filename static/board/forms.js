// Tavolo board client — the card form: built from the field definitions of the page's
// configuration (fields.js), read, checked before sending, errors shown next to their fields
// and in a summary, drafts kept on this device while typing.

import { draftKey } from "./client.js";
import { fill, h } from "./dom.js";
import { fieldsOf, flatFields, validateContent } from "./fields.js";

/**
 * A card form. opts: {ui (the board view: its config, store and announcer), cardType, prefix
 * (unique id prefix), submitLabel, cancelLabel, onCancel, values, draftKey, column, intro,
 * onBehalf, mode: "add"|"edit", onSubmit(content, extras) → true when queued}.
 */
export class CardForm {
  constructor(opts) {
    this.ui = opts.ui;
    this.cardType = opts.cardType;
    this.prefix = opts.prefix;
    this.draftKey = opts.draftKey || null;
    this.onSubmit = opts.onSubmit;
    this.mode = opts.mode || "add";
    this.controls = {};
    this.errorEls = {};
    this.fieldEls = {};
    this.saveTimer = null;
    this.form = h("form", { class: "lv-form", novalidate: true, "aria-labelledby": opts.labelledBy || null });
    if (opts.column) this.form.dataset.column = opts.column;
    this.summary = h("div", { class: "error-summary lv-form__errors", tabindex: "-1", hidden: true });
    this.status = h("p", { class: "lv-form__status", hidden: true });
    this.form.appendChild(this.summary);
    if (opts.intro) this.form.appendChild(h("p", { class: "lv-form__intro muted", text: opts.intro }));
    for (const f of fieldsOf(this.ui.config, this.cardType)) {
      if (f.group) {
        const fs = h("fieldset", { class: "lv-form__pair" }, h("legend", { class: "lv-form__legend", text: f.group }));
        const row = h("div", { class: "lv-form__row" });
        for (const g of f.fields) row.appendChild(this.field(g));
        fs.appendChild(row);
        this.form.appendChild(fs);
      } else {
        this.form.appendChild(this.field(f));
      }
    }
    // Anonymous / on behalf (add only)
    this.anonWrap = null;
    if (this.mode === "add") {
      this.anon = h("input", { type: "checkbox", id: `${this.prefix}-anonimo`, name: "anonymous" });
      this.anonWrap = h(
        "div",
        { class: "field lv-form__anon", hidden: true },
        h("label", { class: "checkbox", for: `${this.prefix}-anonimo` }, this.anon, h("span", { text: "Pubblica come anonimo (gli altri partecipanti non vedranno il tuo nome)" })),
      );
      this.form.appendChild(this.anonWrap);
      if (opts.onBehalf) {
        this.behalfName = h("input", { type: "text", id: `${this.prefix}-perconto-nome`, maxlength: String(this.ui.config.limits.on_behalf_name), autocomplete: "off" });
        this.behalfOrg = h("input", { type: "text", id: `${this.prefix}-perconto-ente`, maxlength: String(this.ui.config.limits.on_behalf_organisation), autocomplete: "off" });
        // The Ambito keeps the card in the documents filtered by Ambito: the workshop's Ambiti
        // are suggested so that the name matches theirs.
        const ambiti = this.ui.config.ambiti || [];
        const ambitiId = `${this.prefix}-perconto-ambiti`;
        this.behalfAmbito = h("input", { type: "text", id: `${this.prefix}-perconto-ambito`, maxlength: String(this.ui.config.limits.on_behalf_ambito), autocomplete: "off", list: ambiti.length ? ambitiId : null });
        this.form.appendChild(
          h(
            "fieldset",
            { class: "lv-form__pair lv-form__behalf" },
            h("legend", { class: "lv-form__legend", text: "Per conto di una persona senza dispositivo (facoltativo)" }),
            h(
              "div",
              { class: "lv-form__row" },
              h("div", { class: "field" }, h("label", { class: "field__label", for: this.behalfName.id, text: "Nome e cognome" }), this.behalfName),
              h("div", { class: "field" }, h("label", { class: "field__label", for: this.behalfOrg.id, text: "Ente" }), this.behalfOrg),
              h(
                "div",
                { class: "field" },
                h("label", { class: "field__label", for: this.behalfAmbito.id, text: "Ambito territoriale" }),
                this.behalfAmbito,
                ambiti.length ? h("datalist", { id: ambitiId }, ambiti.map((v) => h("option", { value: v }))) : null,
              ),
            ),
          ),
        );
      }
    }
    this.submitBtn = h("button", { type: "submit", class: "btn btn--primary", text: opts.submitLabel });
    this.actions = h("div", { class: "lv-form__actions" }, this.submitBtn);
    if (opts.cancelLabel) {
      this.actions.appendChild(h("button", { type: "button", class: "btn btn--secondary", text: opts.cancelLabel, on: { click: () => opts.onCancel && opts.onCancel() } }));
    }
    this.blockedNote = h("p", { class: "lv-form__blocked", hidden: true });
    this.form.append(this.blockedNote, this.actions, this.status);
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.form.addEventListener("input", () => this.scheduleSave());
    this.form.addEventListener("change", () => this.scheduleSave());
    const draft = this.draftKey ? this.ui.store.get(this.draftKey, null) : null;
    if (draft && draft.content && this.hasText(draft.content)) {
      this.fill(draft.content);
      this.restoredDraft = true;
    } else if (opts.values) {
      this.fill(opts.values);
    }
  }

  field(f) {
    const id = `${this.prefix}-${f.name}`;
    const hintId = f.hint ? `${id}-aiuto` : null;
    const errId = `${id}-errore`;
    const cfg = this.ui.config;
    const wrap = h("div", { class: `field lv-field lv-field--${f.kind || "text"}` });
    let control;
    if (f.kind === "areas") {
      const areas = cfg.policy_areas || [];
      if (!areas.length) return h("div", { hidden: true });
      const fs = h("fieldset", { class: "lv-form__areas" });
      const det = h("details", { class: "lv-form__more" }, h("summary", { text: `${f.label} (facoltativo, al massimo ${f.max})` }), fs);
      fs.appendChild(h("legend", { class: "visually-hidden", text: f.label }));
      const boxes = areas.map((a, i) => {
        const cb = h("input", { type: "checkbox", id: `${id}-${i}`, value: a });
        fs.appendChild(h("label", { class: "checkbox", for: `${id}-${i}` }, cb, h("span", { text: a })));
        return cb;
      });
      this.controls[f.name] = { kind: "areas", boxes, details: det };
      const err = h("p", { class: "field__error", id: errId, hidden: true });
      this.errorEls[f.name] = err;
      this.fieldEls[f.name] = wrap;
      wrap.append(err, det);
      return wrap;
    }
    const label = h("label", { class: "field__label", for: id }, f.label, f.required ? null : h("span", { class: "field__optional", text: " (facoltativo)" }));
    wrap.appendChild(label);
    if (f.hint) wrap.appendChild(h("p", { class: "field__hint", id: hintId, text: f.hint }));
    const err = h("p", { class: "field__error", id: errId, hidden: true });
    wrap.appendChild(err);
    const describedBy = hintId || null;
    const common = { id, name: f.name, "aria-describedby": describedBy };
    if (f.required) Object.assign(common, { required: true, "aria-required": "true" });
    if (f.kind === "textarea") {
      control = h("textarea", Object.assign({ rows: String(f.rows || 3), maxlength: String(f.max) }, common));
    } else if (f.kind === "area") {
      const areas = cfg.policy_areas || [];
      if (areas.length) {
        control = h("select", common, h("option", { value: "", text: "— Nessuna area indicata —" }), areas.map((a) => h("option", { value: a, text: a })));
      } else {
        control = h("input", Object.assign({ type: "text", maxlength: String(f.max) }, common));
      }
    } else if (f.kind === "type") {
      control = h(
        "select",
        common,
        h("option", { value: "", text: "— Non indicato —" }),
        (cfg.indicator_types || []).map((t) => h("option", { value: t[0], text: t[1] })),
      );
    } else if (f.kind === "date") {
      control = h("input", Object.assign({ type: "date", placeholder: "AAAA-MM-GG" }, common));
    } else {
      control = h("input", Object.assign({ type: "text", maxlength: String(f.max), autocomplete: "off" }, common));
      if (f.list) {
        const listId = `${id}-suggerimenti`;
        control.setAttribute("list", listId);
        wrap.appendChild(h("datalist", { id: listId }, (cfg[f.list] || []).map((v) => h("option", { value: v }))));
      }
    }
    wrap.appendChild(control);
    this.controls[f.name] = { kind: f.kind || "text", el: control, hintId };
    this.errorEls[f.name] = err;
    this.fieldEls[f.name] = wrap;
    return wrap;
  }

  /** The content object of the form (empty optional fields left out). */
  read() {
    const content = { card_type: this.cardType };
    for (const f of flatFields(this.ui.config, this.cardType)) {
      const c = this.controls[f.name];
      if (!c) continue;
      if (c.kind === "areas") {
        content[f.name] = c.boxes.filter((b) => b.checked).map((b) => b.value);
        continue;
      }
      const v = c.el.value.replace(/\r\n/g, "\n").trim();
      if (v || f.required) content[f.name] = v;
    }
    if (this.cardType === "bisogno" && !content.secondary_areas) content.secondary_areas = [];
    return content;
  }

  fill(values) {
    for (const f of flatFields(this.ui.config, this.cardType)) {
      const c = this.controls[f.name];
      if (!c) continue;
      const v = values ? values[f.name] : null;
      if (c.kind === "areas") {
        const set = new Set(Array.isArray(v) ? v : []);
        c.boxes.forEach((b) => (b.checked = set.has(b.value)));
        if (set.size) c.details.open = true;
      } else {
        const s = v === null || v === undefined ? "" : String(v);
        if (c.el.tagName === "SELECT" && s && !Array.from(c.el.options).some((o) => o.value === s)) {
          c.el.appendChild(h("option", { value: s, text: s }));
        }
        c.el.value = s;
      }
    }
  }

  hasText(content) {
    for (const k in content) {
      if (k === "card_type") continue;
      const v = content[k];
      if (Array.isArray(v) ? v.length : v) return true;
    }
    return false;
  }

  isEmpty() {
    return !this.hasText(this.read()) && !(this.behalfName && this.behalfName.value.trim());
  }

  clear() {
    this.fill({});
    if (this.anon) this.anon.checked = false;
    if (this.behalfName) {
      this.behalfName.value = "";
      this.behalfOrg.value = "";
      this.behalfAmbito.value = "";
    }
    this.clearErrors();
    this.dropDraft();
  }

  scheduleSave() {
    if (!this.draftKey) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.saveDraft(), 300);
  }

  saveDraft() {
    if (!this.draftKey) return;
    const content = this.read();
    if (this.hasText(content)) this.ui.store.set(this.draftKey, { content, at: Date.now() });
    else this.ui.store.remove(this.draftKey);
  }

  dropDraft() {
    clearTimeout(this.saveTimer);
    if (this.draftKey) this.ui.store.remove(this.draftKey);
  }

  clearErrors() {
    this.summary.hidden = true;
    fill(this.summary);
    for (const name in this.errorEls) {
      const err = this.errorEls[name];
      err.hidden = true;
      err.textContent = "";
      this.fieldEls[name].classList.remove("field--error");
      const c = this.controls[name];
      if (c && c.el) {
        c.el.removeAttribute("aria-invalid");
        if (c.hintId) c.el.setAttribute("aria-describedby", c.hintId);
        else c.el.removeAttribute("aria-describedby");
      }
    }
  }

  /** Shows errors [{field, message}] (field may be unknown) and focuses the summary. */
  showErrors(errors, general) {
    this.clearErrors();
    const items = [];
    const seen = new Set();
    for (const e of errors) {
      const key = `${e.field}|${e.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const c = this.controls[e.field];
      const err = this.errorEls[e.field];
      if (err) {
        err.hidden = false;
        err.textContent = "";
        err.append(h("span", { class: "visually-hidden", text: "Errore: " }), e.message);
        this.fieldEls[e.field].classList.add("field--error");
        if (c && c.el) {
          c.el.setAttribute("aria-invalid", "true");
          c.el.setAttribute("aria-describedby", [c.hintId, err.id].filter(Boolean).join(" "));
        }
        if (c && c.kind === "areas") c.details.open = true;
        const target = c && c.el ? c.el.id : c && c.boxes && c.boxes[0] ? c.boxes[0].id : "";
        const link = h("a", { href: `#${target}`, text: e.message });
        link.addEventListener("click", (ev) => {
          ev.preventDefault();
          const t = document.getElementById(target);
          if (t) t.focus();
        });
        items.push(h("li", null, link));
      } else {
        items.push(h("li", { text: e.message }));
      }
    }
    if (general && !items.length) items.push(h("li", { text: general }));
    const n = items.length;
    this.summary.append(
      h("h3", { class: "error-summary__title", text: n === 1 ? "C'è un problema" : `Ci sono ${n} problemi` }),
      h("ul", null, items),
    );
    this.summary.hidden = false;
    this.summary.focus();
  }

  setStatus(text) {
    this.status.hidden = !text;
    this.status.textContent = text || "";
  }

  /** Disables sending (phase/lock) while keeping what was typed. */
  setBlocked(reason) {
    this.blocked = !!reason;
    this.blockedNote.hidden = !reason;
    this.blockedNote.textContent = reason || "";
    this.submitBtn.setAttribute("aria-disabled", reason ? "true" : "false");
  }

  setAnonymousAllowed(allowed) {
    if (!this.anonWrap) return;
    this.anonWrap.hidden = !allowed;
    if (!allowed) this.anon.checked = false;
  }

  extras() {
    const out = {};
    if (this.anon && !this.anonWrap.hidden && this.anon.checked) out.anonymous = true;
    if (this.behalfName && this.behalfName.value.trim()) {
      out.on_behalf_of = {
        name: this.behalfName.value.trim(),
        organisation: this.behalfOrg.value.trim() || null,
        ambito: this.behalfAmbito.value.trim() || null,
      };
    }
    return out;
  }

  submit() {
    if (this.blocked) {
      this.ui.announcer.say(this.blockedNote.textContent, true);
      return;
    }
    const content = this.read();
    const errors = validateContent(content, this.ui.config);
    if (errors.length) {
      this.showErrors(errors);
      return;
    }
    this.clearErrors();
    if (this.onSubmit(content, this.extras()) !== false) this.dropDraft();
  }

  focusFirst() {
    const first = this.form.querySelector("input:not([type=checkbox]), textarea, select");
    if (first) first.focus();
  }
}

/** The comment form under a card or an objective: a textarea kept as a draft on this device
 *  (`draftName` within the meeting) and an error when sent empty. `send(text)` says whether the
 *  comment left (then the field and its draft are cleared). Returns {form, restored}: whether a
 *  draft was put back, for the caller to open the comments. */
export function commentForm({ ui, idBase, draftName, label, send }) {
  const ta = h("textarea", { id: idBase, rows: "2", maxlength: String(ui.config.limits.comment), name: "comment" });
  const err = h("p", { class: "field__error", id: `${idBase}-errore`, hidden: true });
  const form = h(
    "form",
    { class: "lv-comments__form", novalidate: true },
    h("div", { class: "field" }, h("label", { class: "field__label", for: ta.id, text: label }), err, ta),
    h("button", { type: "submit", class: "btn btn--secondary btn--small", text: "Commenta" }),
  );
  const key = draftKey(ui.config.meeting_id, draftName);
  const saved = ui.store.get(key, null);
  if (saved && saved.text) ta.value = saved.text;
  ta.addEventListener("input", () => {
    if (ta.value.trim()) ui.store.set(key, { text: ta.value });
    else ui.store.remove(key);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = ta.value.trim();
    if (!text) {
      err.hidden = false;
      err.textContent = "Scrivi il testo del commento.";
      ta.setAttribute("aria-invalid", "true");
      ta.setAttribute("aria-describedby", err.id);
      ta.focus();
      return;
    }
    err.hidden = true;
    ta.removeAttribute("aria-invalid");
    ta.removeAttribute("aria-describedby");
    if (send(text)) {
      ta.value = "";
      ui.store.remove(key);
    }
  });
  return { form, restored: !!(saved && saved.text) };
}
