// Tavolo board client — ProjectorView, the screen shown in the room (data-view "projector";
// read-only, never sends): the phase, the timer, how to join, the card in the spotlight, and
// per column the latest titles or, from the voting phase on, the vote results; in the synthesis
// phases, once something is written, per policy area its synthesis and its objectives. Authors
// are never shown.

import { absoluteUrl, count, fill, form, groupedCode, h, setText, shorten } from "./dom.js";
import { cardFieldRows } from "./fields.js";
import { activeCards, cardTitle, columnOf, isActive, objectiveReference, objectivesOf, phaseLabel, synthesisOpen, totalVotes, totalsHidden, voteBudget } from "./model.js";
import { BoardShell } from "./shell.js";
import { ACROSS, areaTitle, areasInOrder } from "./synthesis-view.js";

/** The most cards of a column shown as result bars. */
const TOP_BARS = 10;
/** The most recent titles shown per column before the vote. */
const PROJ_TITLES = 8;

export class ProjectorView extends BoardShell {
  constructor(root, config) {
    super(root, config, { readOnly: true, timer: { big: true } });
  }

  buildChrome() {
    this.projPhase = h("p", { class: "lv-proj__phase" });
    this.projFlags = h("p", { class: "lv-proj__flags", hidden: true });
    this.projJoin = h("div", { class: "lv-proj__join" });
    const full = h("button", { type: "button", class: "btn btn--secondary btn--small lv-proj__full", text: "Schermo intero" });
    full.addEventListener("click", () => {
      const d = document.documentElement;
      if (document.fullscreenElement) document.exitFullscreen();
      else if (d.requestFullscreen) d.requestFullscreen().catch(() => {});
    });
    this.projSpot = h("section", { class: "lv-proj__spot", "aria-labelledby": "lv-proj-spot-t", hidden: true });
    this.projCols = h("div", { class: "lv-proj__cols" });
    this.projEl = h(
      "div",
      { class: "lv-proj" },
      h("div", { class: "lv-proj__top" }, h("div", { class: "lv-proj__status" }, this.projPhase, this.projFlags, this.timerView.el), this.projJoin),
      this.projSpot,
      this.projCols,
      h("div", { class: "lv-proj__foot" }, this.conn, full),
    );
    this.root.append(this.alerts, this.projEl);
    // A bigger window shows more again (a fresh render); any late change of layout (fonts,
    // the window's final size) is fitted again once laid out.
    window.addEventListener("resize", () => {
      this.projColsSig = null;
      this.schedule();
    });
    if (typeof ResizeObserver === "function") new ResizeObserver(() => this.fitToScreen()).observe(this.root);
  }

  renderView(vs) {
    const cfg = this.config;
    setText(this.projPhase, phaseLabel(cfg, vs.phase));
    const flags = [];
    if (vs.locked) flags.push("Lavagna bloccata");
    if (vs.blind) flags.push("Contributi nascosti fino alla rivelazione");
    this.projFlags.hidden = !flags.length;
    setText(this.projFlags, flags.join(" · "));
    // Join address and guest code
    const jsig = JSON.stringify([cfg.join_url, vs.guest_code]);
    if (jsig !== this.projJoinSig) {
      this.projJoinSig = jsig;
      const bits = [];
      // Enrolled people join from the board address (their private link logs them in);
      // people without an enrollment use the guest page with the code, when enabled.
      if (cfg.board_url) {
        // The QR code of that address, drawn by the server (templates/board/projector.html).
        const qr = document.getElementById("lv-qr");
        if (qr) {
          qr.hidden = false;
          bits.push(qr);
        }
        bits.push(h("p", { class: "lv-proj__joinlabel", text: "Partecipa da" }), h("p", { class: "lv-proj__url", text: absoluteUrl(cfg.board_url).replace(/^https?:\/\//, "") }));
      }
      if (cfg.join_url && vs.guest_code) {
        bits.push(h("p", { class: "lv-proj__joinlabel", text: "Ospiti" }), h("p", { class: "lv-proj__url", text: absoluteUrl(cfg.join_url).replace(/^https?:\/\//, "") }));
        bits.push(h("p", { class: "lv-proj__joinlabel", text: "Codice ospite" }), h("p", { class: "lv-proj__code", text: groupedCode(vs.guest_code) }));
      }
      fill(this.projJoin, ...bits);
      this.projJoin.hidden = !bits.length;
    }
    // Cards shown in the room: active and revealed only, authors never
    const shown = activeCards(vs).filter((c) => c.revealed);
    const spot = vs.spotlight && vs.cards[vs.spotlight];
    const spotVotes = spot && !totalsHidden(vs, cfg) ? totalVotes(spot) : 0;
    const ssig = spot ? JSON.stringify([spot.id, spot.content, spotVotes, spot.revealed]) : "";
    if (ssig !== this.projSpotSig) {
      this.projSpotSig = ssig;
      this.projSpot.hidden = !spot || !spot.revealed || !isActive(spot);
      if (spot) {
        const rows = cardFieldRows(cfg, spot.content, true).slice(0, 6);
        const votes = spotVotes;
        fill(this.projSpot, 
          h("p", { class: "lv-proj__spotlabel", text: "In evidenza" }),
          h("h2", { class: "lv-proj__spottitle", id: "lv-proj-spot-t", text: shorten(cardTitle(spot.content), 280) }),
          rows.length ? h("dl", { class: "lv-proj__spotfields" }, rows.map(([k, v]) => h("div", null, h("dt", { text: k }), h("dd", { text: shorten(v, 200) })))) : null,
          votes ? h("p", { class: "lv-proj__spotvotes", text: count(votes, "voto") }) : null,
        );
      }
    }
    // The synthesis, once the room has reached it and something is written.
    const objectives = objectivesOf(vs);
    const syntheses = vs.syntheses || {};
    if (synthesisOpen(vs, cfg) && (objectives.length || Object.keys(syntheses).length)) {
      this.renderSynthesis(objectives, syntheses);
      return;
    }
    // Columns: titles, or vote results from the voting phase on
    const phases = (vs.template && vs.template.phases) || [];
    const vi = phases.indexOf("voto");
    // While the totals are hidden the room sees the cards, not the votes; the result appears
    // when the facilitator shows it or closes the vote.
    const hideTotals = totalsHidden(vs, cfg);
    const results = !hideTotals && (vi >= 0 ? phases.indexOf(vs.phase) >= vi : voteBudget(vs, cfg, vs.phase) > 0);
    const cols = (vs.template && vs.template.columns) || [];
    const byCol = new Map(cols.map((c) => [c.card_type, []]));
    for (const c of shown) {
      const col = columnOf(vs, c);
      if (byCol.has(col)) byCol.get(col).push(c);
    }
    const sig = JSON.stringify([results, hideTotals, cols.map((c) => c.card_type), shown.map((c) => [c.id, c.column, cardTitle(c.content), totalVotes(c), c.group]), vs.groups, vs.spotlight]);
    if (sig === this.projColsSig) return;
    this.projColsSig = sig;
    this.projCols.classList.toggle("lv-proj__cols--results", results);
    fill(this.projCols, 
      ...cols.map((col, i) => {
        const list = byCol.get(col.card_type);
        const head = h("h2", { class: "lv-proj__coltitle" }, col.title, h("span", { class: "lv-proj__n", text: ` ${list.length}` }), h("span", { class: "visually-hidden", text: ` ${form(list.length, "contributo")}` }));
        let content;
        if (results) {
          const top = list.slice().sort((a, b) => totalVotes(b) - totalVotes(a) || a.created_seq - b.created_seq).slice(0, TOP_BARS);
          const max = Math.max(1, ...top.map(totalVotes));
          content = top.length
            ? h(
                "ol",
                { class: "lv-bars" },
                top.map((c) => {
                  const n = totalVotes(c);
                  const fill = h("span", { class: "lv-bars__fill" });
                  fill.style.width = `${((n / max) * 100).toFixed(1)}%`;
                  return h(
                    "li",
                    { class: `lv-bars__item${vs.spotlight === c.id ? " lv-bars__item--spot" : ""}`, "data-card-id": c.id },
                    h("span", { class: "lv-bars__label", text: shorten(cardTitle(c.content), 90) }),
                    h("span", { class: "lv-bars__row" }, h("span", { class: "lv-bars__track", "aria-hidden": "true" }, fill), h("span", { class: "lv-bars__num" }, String(n), h("span", { class: "lv-bars__unit", text: ` ${form(n, "voto")}` }))),
                  );
                }),
              )
            : h("p", { class: "lv-proj__empty", text: "Nessun contributo." });
        } else {
          const recent = list.slice(-PROJ_TITLES).reverse();
          content = h(
            "div",
            null,
            recent.length
              ? h(
                  "ul",
                  { class: "lv-proj__titles" },
                  recent.map((c) => {
                    const g = c.group && vs.groups && vs.groups[c.group];
                    const n = totalVotes(c);
                    return h(
                      "li",
                      { class: `lv-proj__card${vs.spotlight === c.id ? " lv-proj__card--spot" : ""}`, "data-card-id": c.id },
                      g ? h("span", { class: "lv-proj__theme", text: g.title }) : null,
                      h("span", { class: "lv-proj__cardtitle", text: shorten(cardTitle(c.content), 120) }),
                      n && !hideTotals ? h("span", { class: "lv-proj__votes", text: count(n, "voto") }) : null,
                    );
                  }),
                )
              : h("p", { class: "lv-proj__empty", text: "Ancora nessun contributo." }),
            list.length > PROJ_TITLES ? h("p", { class: "lv-proj__more", text: `e altri ${list.length - PROJ_TITLES}` }) : null,
          );
        }
        return h("section", { class: `lv-proj__col lv-col--${i % 3}`, "data-column": col.card_type, "data-total": String(list.length) }, head, content);
      }),
    );
    this.fitToScreen();
  }

  /** One column per policy area: its synthesis (shortened) and its objectives' references and
   *  titles, as the room reads them while the facilitators write (the board has the rest). */
  renderSynthesis(objectives, syntheses) {
    const cfg = this.config;
    const areas = areasInOrder(cfg, syntheses, objectives, false);
    const byArea = (k) => objectives.filter((o) => (o.content.policy_area || ACROSS) === k);
    const sig = JSON.stringify(["sintesi", areas.map((k) => [k, syntheses[k] ? syntheses[k].text : null, byArea(k).map((o) => [o.id, o.number, o.content.title])])]);
    if (sig === this.projColsSig) return;
    this.projColsSig = sig;
    this.projCols.classList.remove("lv-proj__cols--results");
    fill(
      this.projCols,
      ...areas.map((key, i) => {
        const list = byArea(key);
        const synthesis = syntheses[key];
        return h(
          "section",
          { class: `lv-proj__col lv-col--${i % 3}`, "data-area": key, "data-total": String(list.length) },
          h("h2", { class: "lv-proj__coltitle" }, areaTitle(key), h("span", { class: "lv-proj__n", text: ` ${list.length}` }), h("span", { class: "visually-hidden", text: ` ${form(list.length, "obiettivo")}` })),
          synthesis ? h("p", { class: "lv-proj__synth", text: shorten(synthesis.text, 320) }) : null,
          list.length
            ? h(
                "ol",
                { class: "lv-proj__titles lv-proj__objectives" },
                list.map((o) =>
                  h(
                    "li",
                    { class: "lv-proj__card", "data-objective-id": o.id },
                    h("span", { class: "lv-proj__theme", text: `Obiettivo ${objectiveReference(o, cfg.meeting_code)}` }),
                    h("span", { class: "lv-proj__cardtitle", text: shorten(o.content.title, 120) }),
                  ),
                ),
              )
            : h("p", { class: "lv-proj__empty", text: "Nessun obiettivo ancora." }),
        );
      }),
    );
    this.fitToScreen();
  }

  /** A projector shows one screen, never a scrollbar: while the board reaches below the
   *  window, the column reaching lowest loses its last card, and says how many it does not
   *  show ("e altri N"). Run after every render and when the window changes size. */
  fitToScreen() {
    const items = (sec) => sec.querySelectorAll(".lv-proj__titles > li, .lv-bars > li");
    const bottom = () => Math.max(this.root.getBoundingClientRect().bottom, document.documentElement.scrollHeight - window.scrollY);
    for (let guard = 0; guard < 1000 && bottom() > window.innerHeight + 1; guard++) {
      let worst = null;
      let low = -Infinity;
      for (const sec of this.projCols.querySelectorAll(".lv-proj__col")) {
        if (items(sec).length <= 1) continue;
        const b = sec.getBoundingClientRect().bottom;
        if (b > low) {
          low = b;
          worst = sec;
        }
      }
      if (!worst) return;
      const list = items(worst);
      list[list.length - 1].remove();
      let more = worst.querySelector(".lv-proj__more");
      if (!more) {
        more = h("p", { class: "lv-proj__more" });
        worst.appendChild(more);
      }
      setText(more, `e altri ${Number(worst.dataset.total) - (list.length - 1)}`);
    }
  }
}
