// Tavolo board client — the shared timer: every screen counts down to the same `ends_at`
// (server time, corrected by the clock offset measured at `welcome`), announces the last minute
// and the end to screen readers where asked.

import { countDigits, h, setText } from "./dom.js";

export function mmss(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export function spokenDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  const r = s % 60;
  // Digits even at zero: "0 secondi" is how a countdown is read aloud.
  if (m && r) return `${countDigits(m, "minuto")} e ${countDigits(r, "secondo")}`;
  if (m) return countDigits(m, "minuto");
  return countDigits(r, "secondo");
}

export class TimerView {
  constructor(ui, opts) {
    this.ui = ui;
    this.announce = !!(opts && opts.announce);
    this.timer = null;
    this.key = null;
    this.time = h("span", { class: "lv-timer__time", role: "timer", "aria-live": "off" });
    this.stateEl = h("span", { class: "lv-timer__state" });
    this.fill = h("span", { class: "lv-timer__fill" });
    this.el = h(
      "div",
      { class: `lv-timer${opts && opts.big ? " lv-timer--big" : ""}`, hidden: true },
      h("span", { class: "lv-timer__label", text: "Tempo" }),
      this.time,
      this.stateEl,
      h("span", { class: "lv-timer__bar", "aria-hidden": "true" }, this.fill),
    );
  }

  update(timer) {
    this.timer = timer || null;
    const key = timer ? `${timer.state}:${timer.ends_at || timer.remaining_ms}:${timer.duration_ms}` : null;
    if (key !== this.key) {
      this.key = key;
      this.warned = false;
      this.ended = false;
      if (timer && timer.state === "running") {
        const left = timer.ends_at - this.ui.client.serverNow();
        this.warned = left <= 60000;
        this.ended = left <= 0;
      }
    }
    this.tick();
  }

  tick() {
    const t = this.timer;
    this.el.hidden = !t;
    if (!t) return;
    let left;
    let state;
    if (t.state === "running") {
      left = t.ends_at - this.ui.client.serverNow();
      state = left > 0 ? "" : "Tempo scaduto";
    } else {
      left = t.remaining_ms;
      state = "In pausa";
    }
    left = Math.max(0, left);
    setText(this.time, mmss(left));
    setText(this.stateEl, state);
    this.stateEl.hidden = !state;
    this.el.classList.toggle("lv-timer--ended", t.state === "running" && left <= 0);
    this.el.classList.toggle("lv-timer--paused", t.state === "paused");
    this.el.classList.toggle("lv-timer--last", t.state === "running" && left > 0 && left <= 60000);
    const ratio = t.duration_ms > 0 ? Math.min(1, left / t.duration_ms) : 0;
    this.fill.style.width = `${(ratio * 100).toFixed(2)}%`;
    if (this.announce && t.state === "running") {
      if (!this.warned && left <= 60000 && left > 0) {
        this.warned = true;
        this.ui.announcer.say("Manca un minuto.");
      }
      if (!this.ended && left <= 0) {
        this.ended = true;
        this.ui.announcer.say("Tempo scaduto.");
      }
    }
  }

  running() {
    return !!this.timer && this.timer.state === "running";
  }
}
