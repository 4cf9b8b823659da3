// Tavolo board client — speaking to people: the polite live region that announces changes to
// screen readers (throttled and summarised), and modal dialogs (<dialog>: Escape closes, focus
// returns to the opener).

import { h } from "./dom.js";

export class Announcer {
  constructor(el) {
    this.el = el;
    this.queue = [];
    this.timer = null;
  }

  say(text, soon) {
    if (!text || this.queue.indexOf(text) >= 0) return;
    this.queue.push(text);
    if (this.timer && !soon) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), soon ? 150 : 1500);
  }

  flush() {
    const q = this.queue;
    this.queue = [];
    this.timer = null;
    if (!q.length) return;
    const msg = q.length <= 3 ? q.join(" ") : `${q.slice(0, 2).join(" ")} E altri ${q.length - 2} aggiornamenti sulla lavagna.`;
    this.el.textContent = "";
    setTimeout(() => {
      this.el.textContent = msg;
    }, 60);
  }
}

let dialogSeq = 0;

/** Opens a modal dialog. build(body, close) fills it; returns {dialog, close}. */
export function openDialog({ title, build, onClose, className }) {
  const opener = document.activeElement;
  const id = `lv-dialogo-${++dialogSeq}`;
  const dlg = h("dialog", { class: `lv-dialog ${className || ""}`, "aria-labelledby": `${id}-titolo` });
  const close = () => {
    if (dlg.open) dlg.close();
  };
  const head = h(
    "div",
    { class: "lv-dialog__head" },
    h("h2", { id: `${id}-titolo`, class: "lv-dialog__title", text: title }),
    h("button", { type: "button", class: "btn btn--link btn--small lv-dialog__close", text: "Chiudi", on: { click: close } }),
  );
  const body = h("div", { class: "lv-dialog__body" });
  dlg.append(head, body);
  build(body, close);
  dlg.addEventListener("close", () => {
    dlg.remove();
    if (onClose) onClose();
    if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
  });
  document.body.appendChild(dlg);
  if (typeof dlg.showModal === "function") dlg.showModal();
  else dlg.setAttribute("open", "");
  const first = body.querySelector("input:not([type=hidden]):not([disabled]), textarea, select, button");
  if (first) first.focus();
  return { dialog: dlg, close };
}

/** A confirmation: resolves true when confirmed. */
export function confirmDialog({ title, text, confirmLabel, danger }) {
  return new Promise((resolve) => {
    let ok = false;
    openDialog({
      title,
      onClose: () => resolve(ok),
      build(body, close) {
        body.append(
          h("p", { text }),
          h(
            "div",
            { class: "lv-dialog__actions" },
            h("button", {
              type: "button",
              class: `btn ${danger ? "btn--danger" : "btn--primary"}`,
              text: confirmLabel,
              on: {
                click: () => {
                  ok = true;
                  close();
                },
              },
            }),
            h("button", { type: "button", class: "btn btn--secondary", text: "Annulla", on: { click: close } }),
          ),
        );
      },
    });
  });
}
