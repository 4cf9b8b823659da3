// Tavolo board client — the synthesis as everyone sees it (board and text view): for each
// policy area its written synthesis and its objectives (obiettivi), each with its reference
// ("M3-1/O01"), its fields, the needs and indicators it links (by reference and title), the
// bodies involved, its resources in euro by fund, and the comments participants write in the
// phase «Sintesi». Shown from that phase on, or as soon as there is something to show. The
// console extends it with its editors (synthesis-console.js).

import { newId } from "./client.js";
import { fill, h, setText, shorten, syncChildren, timeLabel } from "./dom.js";
import { commentForm } from "./forms.js";
import { formatEuro } from "./money.js";
import { cardTitle, isActive, may, objectiveReference, objectivesOf, referenceOf, resolveCard, synthesisOpen } from "./model.js";

/** Items joined the Italian way, "a, b e c", "ed" before a word starting with e (italian.rs). */
export function italianList(items) {
  if (items.length < 2) return items.join("");
  const last = items[items.length - 1];
  return `${items.slice(0, -1).join(", ")} ${/^[eèéEÈÉ]/.test(last) ? "ed" : "e"} ${last}`;
}

/** The key of the objectives without a policy area. */
export const ACROSS = "";

/** The areas to show, in the workshop's order, then any other area written, then the
 *  objectives without an area (key `ACROSS`) last. `all`: every area of the workshop, even
 *  those with nothing yet. */
export function areasInOrder(config, syntheses, objectives, all) {
  const keys = [];
  const add = (k) => {
    if (keys.indexOf(k) < 0) keys.push(k);
  };
  for (const a of config.policy_areas || []) {
    if (all || syntheses[a] || objectives.some((o) => o.content.policy_area === a)) add(a);
  }
  for (const a of Object.keys(syntheses)) add(a);
  for (const o of objectives) add(o.content.policy_area || ACROSS);
  return keys.filter((k) => k !== ACROSS).concat(keys.indexOf(ACROSS) >= 0 ? [ACROSS] : []);
}

/** The heading of an area's block ("Obiettivi trasversali alle aree" for `ACROSS`). */
export function areaTitle(key) {
  return key || "Obiettivi trasversali alle aree";
}

export class SynthesisView {
  constructor(ui) {
    this.ui = ui;
    this.config = ui.config;
    this.objectiveViews = new Map();
    this.areaEls = new Map();
    this.title = h("h2", { id: "lv-sintesi-titolo", class: "lv-synthesis__title", text: "Sintesi e obiettivi" });
    this.intro = h("p", { class: "lv-synthesis__intro" });
    this.head = h("div", { class: "lv-synthesis__head" }, this.title, this.intro);
    this.body = h("div", { class: "lv-synthesis__areas" });
    this.el = h("section", { class: "lv-synthesis", id: "sintesi", "aria-labelledby": this.title.id, hidden: true }, this.head, this.body);
  }

  /** Whether every policy area is listed, even those with nothing yet (the console). */
  get allAreas() {
    return false;
  }

  /** Whether the section is shown: from the phase «Sintesi» on, or once it holds something. */
  visible(vs) {
    return synthesisOpen(vs, this.config) || objectivesOf(vs).length > 0 || Object.keys(vs.syntheses || {}).length > 0;
  }

  render(vs) {
    const open = synthesisOpen(vs, this.config);
    const objectives = objectivesOf(vs);
    const syntheses = vs.syntheses || {};
    const has = objectives.length > 0 || Object.keys(syntheses).length > 0;
    this.el.hidden = !this.visible(vs);
    if (this.el.hidden) return;
    setText(this.intro, this.introText(vs, open, has));
    this.renderHead(vs, open);
    const ordered = areasInOrder(this.config, syntheses, objectives, this.allAreas);
    const ctx = this.context(vs, open);
    syncChildren(
      this.body,
      ordered.map((k) => this.renderArea(k, syntheses[k], objectives.filter((o) => (o.content.policy_area || ACROSS) === k), vs, ctx)),
    );
    this.renderTail(vs, ctx);
  }

  introText(vs, open, has) {
    if (!has) return "Chi conduce scriverà qui la sintesi di ogni area di policy e gli obiettivi che ne derivano.";
    const canComment = open && may(vs, this.config, this.ui.you, "comment");
    return canComment
      ? "La sintesi di ogni area di policy e gli obiettivi scritti da chi conduce: puoi commentare gli obiettivi."
      : "La sintesi di ogni area di policy e gli obiettivi scritti da chi conduce.";
  }

  /** What every objective needs to render: whether this viewer may comment. */
  context(vs, open) {
    return { canComment: open && may(vs, this.config, this.ui.you, "comment") };
  }

  /** Hook: the console's buttons under the section title. */
  renderHead(_vs, _open) {}

  /** Hook: the console's list of removed objectives after the areas. */
  renderTail(_vs, _ctx) {}

  /** Hook: the console's editor of an area's synthesis. */
  areaEditor(_key, _synthesis, _vs) {
    return null;
  }

  renderArea(key, synthesis, objectives, vs, ctx) {
    let a = this.areaEls.get(key);
    if (!a) {
      const slug = key ? key.toLowerCase().replace(/[^a-z0-9]+/g, "-") : "trasversali";
      const heading = h("h3", { class: "lv-synthesis__area", id: `sintesi-area-${slug}-${this.areaEls.size}`, text: areaTitle(key) });
      const text = h("div", { class: "lv-synthesis__text" });
      const list = h("ol", { class: "lv-objectives", role: "list" });
      a = { heading, text, list, el: h("section", { class: "lv-synthesis__block", "aria-labelledby": heading.id, "data-area": key }, heading, text) };
      this.areaEls.set(key, a);
    }
    const sig = JSON.stringify([synthesis || null, !!key]);
    if (sig !== a.textSig) {
      a.textSig = sig;
      if (synthesis) {
        fill(
          a.text,
          h("p", { class: "lv-synthesis__prose", text: synthesis.text }),
          h("p", { class: "lv-synthesis__by muted", text: `Sintesi scritta da ${synthesis.by}, ore ${timeLabel(synthesis.at)}` }),
        );
      } else {
        fill(a.text, key ? h("p", { class: "muted", text: "Sintesi non ancora scritta." }) : null);
      }
    }
    const editor = this.areaEditor(key, synthesis, vs);
    const els = objectives.map((o) => {
      let v = this.objectiveViews.get(o.id);
      if (!v) {
        v = new ObjectiveView(this, o.id);
        this.objectiveViews.set(o.id, v);
      }
      v.update(o, vs, ctx);
      return v.el;
    });
    syncChildren(a.list, els);
    syncChildren(a.el, [a.heading, a.text, editor, els.length ? a.list : null].filter(Boolean));
    return a.el;
  }

  /** Hook: the console's buttons of an objective (edit, remove). */
  objectiveActions(_o) {
    return [];
  }

  comment(objectiveId, text) {
    this.ui.client.send({ kind: "comment_objective", objective_id: objectiveId, comment_id: newId("k"), text }, { objective: objectiveId });
    this.ui.announcer.say("Commento inviato.", true);
    this.ui.schedule();
    return true;
  }

  /** A refused operation of the synthesis: shown where it was made. True when handled. */
  onOpError(d) {
    const ctx = (d.entry && d.entry.ctx) || {};
    if (!ctx.objective) return false;
    const v = this.objectiveViews.get(ctx.objective);
    if (v && v.el.isConnected) v.setMessage(d.message);
    else this.ui.showAlert(d.message);
    return true;
  }

  /** Tells screen-reader users about the synthesis changed by someone else. */
  announce(rec, mine) {
    const ev = rec.event || {};
    const st = this.ui.client.state;
    if (mine) return;
    const say = (t) => this.ui.announcer.say(t);
    const o = ev.objective_id && st.objectives && st.objectives[ev.objective_id];
    switch (ev.kind) {
      case "synthesis_written":
        return say(ev.text ? `Sintesi aggiornata per l'area ${ev.policy_area}.` : `Sintesi tolta per l'area ${ev.policy_area}.`);
      case "objective_created":
        return say(`Nuovo obiettivo: «${shorten(ev.objective.title, 80)}».`);
      case "objective_edited":
        return o ? say(`Obiettivo modificato: «${shorten(o.content.title, 80)}».`) : undefined;
      case "objective_removed":
        return o ? say(`Obiettivo tolto dal piano: «${shorten(o.content.title, 80)}».`) : undefined;
      case "objective_restored":
        return o ? say(`Obiettivo rimesso nel piano: «${shorten(o.content.title, 80)}».`) : undefined;
      case "objective_shown":
        return ev.objective ? say(`Obiettivo rimesso nel piano: «${shorten(ev.objective.content.title, 80)}».`) : undefined;
      case "objective_commented":
        return o ? say(`Nuovo commento di ${(rec.actor && rec.actor.name) || "qualcuno"} sull'obiettivo «${shorten(o.content.title, 60)}».`) : undefined;
      case "card_marked": {
        const c = st.cards[ev.card_id];
        const what = ev.mark === "co_progettazione" ? "tema per la co-progettazione" : "questione aperta";
        return c ? say(`«${shorten(cardTitle(c.content), 60)}» è segnato come ${what}.`) : undefined;
      }
      default:
        return undefined;
    }
  }
}

/** One objective, updated in place (its comment form keeps what is typed across renders). */
class ObjectiveView {
  constructor(owner, id) {
    this.owner = owner;
    this.ui = owner.ui;
    this.id = id;
    this.sigs = {};
    this.headEl = h("div", { class: "lv-objective__head" });
    this.bodyEl = h("div", { class: "lv-objective__body" });
    this.actionsEl = h("div", { class: "lv-objective__actions", hidden: true });
    this.msg = h("div", { class: "lv-card__msg", hidden: true });
    this.el = h("li", { class: "lv-objective", "data-objective-id": id }, this.headEl, this.bodyEl, this.actionsEl, this.msg);
    this.comments = null;
  }

  region(name, sig, fn) {
    if (this.sigs[name] === sig) return;
    this.sigs[name] = sig;
    fn();
  }

  update(o, vs, ctx) {
    const cfg = this.ui.config;
    const ref = objectiveReference(o, cfg.meeting_code);
    const c = o.content;
    this.el.classList.toggle("lv-objective--pending", !!o._pending);
    this.region("head", JSON.stringify([ref, c.title, c.sovrazonale]), () => {
      fill(
        this.headEl,
        h("h4", { class: "lv-objective__title", id: `obiettivo-${this.id}` }, h("span", { class: "lv-card__ref" }, h("span", { class: "visually-hidden", text: "Obiettivo " }), ref), " ", c.title),
        c.sovrazonale ? h("p", { class: "lv-card__badges" }, h("span", { class: "badge lv-badge lv-badge--sovrazonale", text: "Sovrazonale: coinvolge più Ambiti" })) : null,
      );
    });
    // Linked cards by reference and title, as this viewer may see them.
    const linked = (ids) =>
      ids.map((id) => {
        const card = resolveCard(vs, id);
        if (!card || !isActive(card)) return { text: "Un contributo non più sulla lavagna" };
        return { text: `${referenceOf(card, cfg.meeting_code)} «${shorten(cardTitle(card.content), 120)}»`, id: card.id };
      });
    const needs = linked(c.needs || []);
    const indicators = linked(c.indicators || []);
    this.region("body", JSON.stringify([c, needs, indicators, o.created_by, o.created_at, o.updated_at]), () => {
      const parts = [];
      const rows = (cfg.objective_fields || [])
        .filter((f) => f.name !== "title" && f.name !== "policy_area" && c[f.name])
        .map((f) => h("div", null, h("dt", { text: f.label }), h("dd", { text: String(c[f.name]) })));
      const links = (label, items) =>
        items.length
          ? h(
              "div",
              null,
              h("dt", { text: label }),
              h("dd", null, h("ul", { class: "lv-objective__links" }, items.map((l) => h("li", null, l.id ? h("a", { href: `#titolo-${l.id}`, text: l.text }) : l.text)))),
            )
          : null;
      const actors = (c.actors || []).length ? h("div", null, h("dt", { text: "Soggetti coinvolti" }), h("dd", { text: italianList(c.actors) })) : null;
      parts.push(h("dl", { class: "lv-card__fields lv-objective__fields" }, rows, links("Bisogni a cui risponde", needs), links("Indicatori", indicators), actors));
      if ((c.resources || []).length) parts.push(this.resourcesTable(o));
      const changed = o.updated_at !== o.created_at ? ` · modificato da ${o.updated_by}, ore ${timeLabel(o.updated_at)}` : "";
      parts.push(h("p", { class: "lv-card__meta muted", text: `Scritto da ${o.created_by}, ore ${timeLabel(o.created_at)}${changed}` }));
      fill(this.bodyEl, ...parts);
    });
    this.updateComments(o, ctx);
    const actions = this.owner.objectiveActions(o);
    this.region("actions", JSON.stringify([o.id, c.title, actions.length]), () => {
      fill(this.actionsEl, ...actions);
      this.actionsEl.hidden = !actions.length;
    });
  }

  resourcesTable(o) {
    const funds = this.ui.config.funds || [];
    const fundLabel = (id) => (funds.find((f) => f.id === id) || { label: id }).label;
    const lines = o.content.resources;
    const total = lines.reduce((s, r) => s + r.amount_cents, 0);
    return h(
      "table",
      { class: "lv-resources-table" },
      h("caption", { text: "Risorse economiche" }),
      h("thead", null, h("tr", null, h("th", { scope: "col", text: "Fondo" }), h("th", { scope: "col", text: "Dettaglio" }), h("th", { scope: "col", class: "lv-num", text: "Importo" }))),
      h(
        "tbody",
        null,
        lines.map((r) => h("tr", null, h("td", { text: fundLabel(r.fund) }), h("td", { text: r.description || "—" }), h("td", { class: "lv-num", text: formatEuro(r.amount_cents) }))),
      ),
      lines.length > 1 ? h("tfoot", null, h("tr", null, h("th", { scope: "row", colspan: "2", text: "Totale" }), h("td", { class: "lv-num", text: formatEuro(total) }))) : null,
    );
  }

  updateComments(o, ctx) {
    const list = o.comments || [];
    const show = list.length > 0 || ctx.canComment;
    if (!this.comments && !show) return;
    if (!this.comments) {
      const summary = h("summary", { class: "lv-comments__summary", "data-focus": `ocomments:${this.id}` });
      const ol = h("ol", { class: "lv-comments__list" });
      const { form, restored } = commentForm({
        ui: this.ui,
        idBase: `commento-obiettivo-${this.id}`,
        draftName: `commento-obiettivo:${this.id}`,
        label: "Il tuo commento sull'obiettivo",
        send: (text) => this.owner.comment(this.id, text),
      });
      this.comments = h("details", { class: "lv-card__comments" }, summary, ol, form);
      if (restored) this.comments.open = true;
      this.el.insertBefore(this.comments, this.actionsEl);
      this.commentEls = { summary, ol, form };
    }
    this.comments.hidden = !show;
    const c = this.commentEls;
    const n = list.length;
    const title = shorten(o.content.title, 60);
    this.region("comments", JSON.stringify([list.map((x) => [x.id, x.text, !!x._pending, x.author && x.author.name]), ctx.canComment, title]), () => {
      fill(c.summary, n ? `Commenti (${n})` : "Commenta", h("span", { class: "visually-hidden", text: `: obiettivo ${title}` }));
      c.ol.hidden = !n;
      fill(
        c.ol,
        ...list.map((cm) =>
          h(
            "li",
            { class: `lv-comment${cm._pending ? " lv-comment--pending" : ""}` },
            h("p", { class: "lv-comment__text", text: cm.text }),
            h("p", { class: "lv-comment__meta" }, (cm.author && cm.author.name) || "", cm.at ? ` · ore ${timeLabel(cm.at)}` : "", cm._pending ? " · in attesa di invio" : ""),
          ),
        ),
      );
      c.form.hidden = !ctx.canComment;
    });
  }

  setMessage(message) {
    this.msg.hidden = !message;
    fill(
      this.msg,
      message ? h("p", { class: "lv-card__error" }, h("span", { class: "visually-hidden", text: "Errore: " }), message) : null,
      message ? h("button", { type: "button", class: "btn btn--link btn--small", text: "Chiudi il messaggio", on: { click: () => this.setMessage(null) } }) : null,
    );
  }
}
