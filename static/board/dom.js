// Tavolo board client — DOM and text helpers: building elements without parsing HTML, updating
// children in place, Italian plurals, short titles, times, and the browser's storage.

const PROPS = new Set(["value", "checked", "selected", "hidden", "disabled", "open", "required", "multiple", "readOnly"]);

/** h("button", {class: "btn", on: {click}}, "Testo") — never parses HTML. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const k in props) {
      const v = props[k];
      if (v === null || v === undefined) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k === "on") for (const ev in v) el.addEventListener(ev, v[ev]);
      else if (PROPS.has(k)) el[k] = v;
      else if (k.startsWith("aria-")) el.setAttribute(k, String(v));
      else if (v === false) continue;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces the children of `el` (null/false skipped, arrays flattened). */
export function fill(el, ...children) {
  el.textContent = "";
  append(el, children);
}

export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** Puts exactly `els` in `parent`, in order, moving as few nodes as possible. */
export function syncChildren(parent, els) {
  const want = new Set(els);
  for (const c of Array.from(parent.children)) if (!want.has(c)) parent.removeChild(c);
  els.forEach((el, i) => {
    const cur = parent.children[i];
    if (cur !== el) parent.insertBefore(el, cur || null);
  });
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

export function shorten(text, max) {
  const t = String(text || "").replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1).trimEnd()}…` : t;
}

export function timeLabel(ms) {
  if (!ms) return "";
  try {
    return new Date(ms).toLocaleTimeString("it-IT", { hour: "2-digit", minute: "2-digit" });
  } catch (_) {
    return "";
  }
}

export function cssEscape(s) {
  return globalThis.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&");
}

/** `path` as an absolute address of this site (for showing it in the room). */
export function absoluteUrl(path) {
  try {
    return new URL(path, window.location.href).href;
  } catch (_) {
    return path;
  }
}

/** localStorage when it works (private modes may refuse it), else null. */
export function safeStorage() {
  try {
    const s = window.localStorage;
    const k = "tavolo:probe";
    s.setItem(k, "1");
    s.removeItem(k);
    return s;
  } catch (_) {
    return null;
  }
}
