// Tavolo board client — one card on the board or in the text view: a CardView per card, its
// regions (badges, title, fields, author, votes, comments, actions, message) updated in place
// only when what they show changed, so focus and open details survive every render.

import { agree, count, fill, h, pick, setText, shorten, timeLabel } from "./dom.js";
import { cardFieldRows, nounOf } from "./fields.js";
import { commentForm } from "./forms.js";
import { ANONYMOUS_ID, cardTitle, referenceOf, totalVotes, votesOf } from "./model.js";

const TITLE_MAX = 160;

export function authorLine(card, ctx) {
  const parts = [];
  const a = card.author || {};
  const isAnon = card.anonymous || a.id === ANONYMOUS_ID;
  if (card.on_behalf_of && card.on_behalf_of.name) {
    parts.push(card.on_behalf_of.name);
    if (card.on_behalf_of.organisation) parts.push(card.on_behalf_of.organisation);
    if (card.on_behalf_of.ambito) parts.push(card.on_behalf_of.ambito);
  } else if (isAnon && (a.id === ANONYMOUS_ID || !ctx.facilitator)) {
    parts.push(a.id === ctx.you.id ? "Anonimo (sei tu)" : "Anonimo");
  } else {
    parts.push(isAnon ? `Anonimo per gli altri (${a.name})` : a.name || "");
    if (a.organisation) parts.push(a.organisation);
    if (a.ambito) parts.push(a.ambito);
  }
  return parts.filter(Boolean);
}

/** Who wrote a comment, as this viewer may read it (the author of an anonymous card answering
 * under it stays anonymous to everyone but themselves and the facilitators). */
export function commentAuthor(cm, ctx) {
  const a = cm.author || {};
  if (a.id === ANONYMOUS_ID) return "Anonimo";
  if (!cm.anonymous) return a.name || "";
  if (a.id === ctx.you.id) return "Anonimo (sei tu)";
  return ctx.facilitator ? `Anonimo per gli altri (${a.name})` : "Anonimo";
}

export class CardView {
  constructor(ui, id) {
    this.ui = ui;
    this.id = id;
    this.sigs = {};
    this.el = h("li", { class: "lv-card", "data-card-id": id });
    this.badges = h("p", { class: "lv-card__badges", hidden: true });
    this.titleWrap = h("div", { class: "lv-card__head" });
    this.body = h("div", { class: "lv-card__body" });
    this.markNote = h("p", { class: "lv-card__mark", hidden: true });
    this.meta = h("p", { class: "lv-card__meta" });
    this.votes = h("div", { class: "lv-card__votes", hidden: true });
    this.comments = null;
    this.actions = h("div", { class: "lv-card__actions", hidden: true });
    this.msg = h("div", { class: "lv-card__msg", hidden: true });
    this.el.append(this.badges, this.titleWrap, this.body, this.markNote, this.meta, this.votes, this.actions, this.msg);
  }

  update(card, ctx) {
    const title = cardTitle(card.content);
    const mine = card.author && card.author.id === ctx.you.id;
    this.el.classList.toggle("lv-card--spotlight", ctx.spotlight === card.id);
    this.el.classList.toggle("lv-card--pending", !!card._pending);
    this.el.classList.toggle("lv-card--mine", !!mine);
    this.el.classList.toggle("lv-card--unrevealed", !card.revealed);
    this.el.classList.toggle("lv-card--selected", ctx.selected);
    this.el.dataset.type = card.content.card_type;

    // Badges
    const badges = [];
    if (ctx.spotlight === card.id) badges.push(["spot", "In evidenza"]);
    if (card._pending) badges.push(["pending", "In attesa di invio"]);
    if (!card.revealed) badges.push(["hidden", ctx.facilitator ? "Non ancora rivelato ai partecipanti" : "Visibile solo a te e a chi conduce finché non viene rivelato"]);
    if (mine && !ctx.facilitator) badges.push(["mine", "Tuo"]);
    if (card.carried_from) badges.push(["carried", card.carried_from.reference ? `Ripreso da ${card.carried_from.reference}` : "Da un incontro precedente"]);
    if ((card.merged || []).length) badges.push(["merged", `Raccoglie ${count(card.merged.length, "contributo")} ${agree("simile", card.merged.length, "contributo")}`]);
    // Marked by a facilitator in the synthesis: an open question or a topic for co-progettazione.
    const mark = card.mark ? (this.ui.config.mark_kinds || []).find((m) => m[0] === card.mark.kind) : null;
    if (mark) badges.push([`mark-${mark[0]}`, mark[1]]);
    this.region("badges", JSON.stringify(badges), () => {
      this.badges.hidden = !badges.length;
      fill(this.badges, ...badges.map(([k, t]) => h("span", { class: `badge lv-badge lv-badge--${k}`, text: t })));
    });

    // Title (a heading: cards are navigable by headings) and body
    const long = title.length > TITLE_MAX || /\n/.test(title.trim());
    this.region("title", JSON.stringify([title, ctx.level]), () => {
      const hd = h(`h${ctx.level}`, { class: "lv-card__title", id: `titolo-${this.id}` }, long ? shorten(title.split("\n")[0], TITLE_MAX) : title);
      fill(this.titleWrap, hd);
    });
    this.region("body", JSON.stringify([card.content, ctx.variant]), () => {
      const wasOpen = this.body.querySelector("details[open]") !== null;
      const parts = [];
      if (long) parts.push(h("p", { class: "lv-card__text", text: title }));
      const rows = cardFieldRows(this.ui.config, card.content, true).filter((r) => r[2] !== "policy_area");
      const dl = () => h("dl", { class: "lv-card__fields" }, rows.map(([k, v]) => h("div", null, h("dt", { text: k }), h("dd", { text: v }))));
      if (rows.length && ctx.variant === "list") parts.push(dl());
      else if (rows.length) {
        const lead = rows.find((r) => r[2] === "description" || r[2] === "definition");
        if (lead) parts.push(h("p", { class: "lv-card__lead", text: lead[1] }));
        const more = h(
          "details",
          { class: "lv-card__more", open: wasOpen },
          h("summary", { "data-focus": `more:${this.id}` }, "Scheda completa", h("span", { class: "visually-hidden", text: `: ${shorten(title, 60)}` })),
          dl(),
        );
        parts.push(more);
      }
      fill(this.body, ...parts);
      this.body.hidden = !parts.length;
    });

    // Meta: author, organisation, policy area, time
    const area = card.content.policy_area || null;
    const who = authorLine(card, ctx);
    const ref = card.number && !card._pending ? referenceOf(card, this.ui.config.meeting_code) : null;
    this.region("meta", JSON.stringify([ref, who, area, card.created_at, ctx.columnOther]), () => {
      const bits = [];
      // The card's reference, the same in the history and in every document.
      if (ref) bits.push(h("span", { class: "lv-card__ref" }, h("span", { class: "visually-hidden", text: "Riferimento: " }), ref));
      bits.push(h("span", { class: "lv-card__author" }, h("span", { class: "visually-hidden", text: "Autore: " }), who.join(" · ")));
      if (area) bits.push(h("span", { class: "lv-chip" }, h("span", { class: "visually-hidden", text: "Area di policy: " }), area));
      const sec = card.content.secondary_areas || [];
      if (sec.length && ctx.variant !== "list") bits.push(h("span", { class: "lv-chip lv-chip--soft", text: `+ ${count(sec.length, "area")}` }));
      if (ctx.columnOther) bits.push(h("span", { class: "lv-chip lv-chip--soft", text: `Tipo: ${nounOf(card.content.card_type).one}` }));
      if (card.created_at) bits.push(h("span", { class: "lv-card__time" }, "ore ", h("time", { text: timeLabel(card.created_at) })));
      fill(this.meta, ...bits);
    });

    this.region("mark", JSON.stringify(card.mark || null), () => {
      const note = card.mark && card.mark.note;
      this.markNote.hidden = !note;
      fill(this.markNote, note ? h("span", { class: "lv-card__mark-label", text: "Nota di chi conduce: " }) : null, note || "");
    });

    this.updateVotes(card, ctx, title);
    this.updateComments(card, ctx, title);
    this.updateActions(card, ctx, title, mine);
    this.updateMessage();
  }

  region(name, sig, fn) {
    if (this.sigs[name] === sig) return;
    this.sigs[name] = sig;
    fn();
  }

  updateVotes(card, ctx, title) {
    const total = totalVotes(card);
    const mine = votesOf(card, ctx.you.id);
    const show = ctx.voting || total > 0;
    // (A card with votes shows the block; with totals hidden it says only one's own.)
    this.votes.hidden = !show;
    if (!show) return;
    if (!this.voteEls) {
      const count = h("span", { class: "lv-votes__count" });
      const dots = h("span", { class: "lv-votes__dots", "aria-hidden": "true" });
      const minus = h("button", { type: "button", class: "btn btn--secondary btn--small lv-votes__btn", "data-focus": `unvote:${this.id}` }, h("span", { "aria-hidden": "true", text: "− " }), "Togli voto");
      const plus = h("button", { type: "button", class: "btn btn--primary btn--small lv-votes__btn", "data-focus": `vote:${this.id}` }, h("span", { "aria-hidden": "true", text: "+ " }), "Vota");
      minus.addEventListener("click", () => this.ui.vote(this.id, false, minus));
      plus.addEventListener("click", () => this.ui.vote(this.id, true, plus));
      const btns = h("span", { class: "lv-votes__btns" }, minus, plus);
      this.votes.append(count, dots, btns);
      this.voteEls = { count, dots, minus, plus, btns };
    }
    const v = this.voteEls;
    // While the totals are hidden, only one's own votes (facilitators see everything).
    const countText = ctx.totalsHidden
      ? mine
        ? `${count(mine, "voto")} ${pick(mine, "tuo", "tuoi")} · totali nascosti fino alla chiusura del voto`
        : "Totali nascosti fino alla chiusura del voto"
      : count(total, "voto") + (mine ? `, di cui ${mine} ${pick(mine, "tuo", "tuoi")}` : "");
    setText(v.count, countText);
    setText(v.dots, "●".repeat(Math.min(mine, 10)));
    v.btns.hidden = !ctx.voting;
    if (ctx.voting) {
      const short = shorten(title, 60);
      v.plus.setAttribute("aria-label", `Vota: ${short}`);
      v.minus.setAttribute("aria-label", `Togli voto: ${short}`);
      v.plus.setAttribute("aria-disabled", ctx.remaining > 0 ? "false" : "true");
      v.minus.setAttribute("aria-disabled", mine > 0 ? "false" : "true");
    }
  }

  updateComments(card, ctx, title) {
    const list = card.comments || [];
    const show = list.length > 0 || ctx.canComment;
    if (!this.comments && !show) return;
    if (!this.comments) {
      const summary = h("summary", { class: "lv-comments__summary", "data-focus": `comments:${this.id}` });
      const ol = h("ol", { class: "lv-comments__list" });
      const { form, restored } = commentForm({
        ui: this.ui,
        idBase: `commento-${this.id}`,
        draftName: `commento:${this.id}`,
        label: "Il tuo commento",
        send: (text) => this.ui.comment(this.id, text),
      });
      this.comments = h("details", { class: "lv-card__comments" }, summary, ol, form);
      if (restored) this.comments.open = true;
      this.el.insertBefore(this.comments, this.actions);
      this.commentEls = { summary, ol, form };
    }
    this.comments.hidden = !show;
    const c = this.commentEls;
    const n = list.length;
    const sig = JSON.stringify([list.map((x) => [x.id, x.text, !!x._pending, commentAuthor(x, ctx)]), ctx.canComment]);
    this.region("comments", sig, () => {
      fill(c.summary, n ? `Commenti (${n})` : "Commenta", h("span", { class: "visually-hidden", text: `: ${shorten(title, 60)}` }));
      c.ol.hidden = !n;
      fill(c.ol, 
        ...list.map((cm) =>
          h(
            "li",
            { class: `lv-comment${cm._pending ? " lv-comment--pending" : ""}` },
            h("p", { class: "lv-comment__text", text: cm.text }),
            h("p", { class: "lv-comment__meta" }, commentAuthor(cm, ctx), cm.at ? ` · ore ${timeLabel(cm.at)}` : "", cm._pending ? " · in attesa di invio" : ""),
          ),
        ),
      );
      c.form.hidden = !ctx.canComment;
    });
  }

  updateActions(card, ctx, title, mine) {
    const canEdit = !card._pending && ((mine && ctx.canEditOwn) || false);
    const manage = ctx.facilitator && ctx.console;
    const sig = JSON.stringify([canEdit, manage, ctx.selected, !!card._pending, shorten(title, 60)]);
    this.region("actions", sig, () => {
      const short = shorten(title, 60);
      const bits = [];
      if (canEdit) {
        bits.push(h("button", { type: "button", class: "btn btn--link btn--small", "data-focus": `edit:${this.id}`, "aria-label": `Modifica: ${short}`, text: "Modifica", on: { click: () => this.ui.openEdit(this.id) } }));
        bits.push(h("button", { type: "button", class: "btn btn--link btn--small lv-danger-link", "data-focus": `withdraw:${this.id}`, "aria-label": `Ritira: ${short}`, text: "Ritira", on: { click: () => this.ui.withdraw(this.id) } }));
      }
      if (manage && !card._pending) {
        bits.push(h("button", { type: "button", class: "btn btn--secondary btn--small", "data-focus": `manage:${this.id}`, "aria-label": `Gestisci: ${short}`, text: "Gestisci", on: { click: () => this.ui.openManage(this.id) } }));
        const cb = h("input", { type: "checkbox", id: `seleziona-${this.id}`, "data-focus": `select:${this.id}`, checked: ctx.selected });
        cb.addEventListener("change", () => this.ui.toggleSelected(this.id, cb.checked));
        bits.push(h("label", { class: "checkbox lv-select", for: cb.id }, cb, h("span", null, "Seleziona", h("span", { class: "visually-hidden", text: ` per unire: ${short}` }))));
      }
      fill(this.actions, ...bits);
      this.actions.hidden = !bits.length;
    });
  }

  /** Shows an error next to the card (with a retry for a failed edit). */
  setMessage(message, retry) {
    this.message = message ? { message, retry } : null;
    this.msgSig = null;
    this.updateMessage();
  }

  updateMessage() {
    const m = this.message;
    const sig = m ? m.message : "";
    if (this.msgSig === sig) return;
    this.msgSig = sig;
    this.msg.hidden = !m;
    if (!m) {
      fill(this.msg);
      return;
    }
    const bits = [h("p", { class: "lv-card__error" }, h("span", { class: "visually-hidden", text: "Errore: " }), m.message)];
    if (m.retry) bits.push(h("button", { type: "button", class: "btn btn--link btn--small", text: m.retry.label, on: { click: m.retry.run } }));
    bits.push(h("button", { type: "button", class: "btn btn--link btn--small", text: "Chiudi il messaggio", on: { click: () => this.setMessage(null) } }));
    fill(this.msg, ...bits);
  }
}
