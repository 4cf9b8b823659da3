// Tavolo board client — DOM and text helpers: building elements without parsing HTML, updating
// children in place, Italian counts that agree, short titles, times, and the browser's storage.

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

// Italian agreement: the browser's half of src/domain/italian.rs, same rules. NOUNS holds the
// nouns the board counts as `singular: [plural, gender]`; a Rust test (domain::italian) checks
// that each says what the server's registry says.
export const NOUNS = {
  area: ["aree", "f"],
  contributo: ["contributi", "m"],
  minuto: ["minuti", "m"],
  obiettivo: ["obiettivi", "m"],
  operazione: ["operazioni", "f"],
  persona: ["persone", "f"],
  secondo: ["secondi", "m"],
  voto: ["voti", "m"],
};

function noun(word) {
  const entry = NOUNS[word];
  if (!entry) throw new Error(`dom.js: «${word}» is not in NOUNS`);
  return { singular: word, plural: entry[0], feminine: entry[1] === "f" };
}

const VOWEL = /^[aeiouàèéìòù]/i;

/** "nessun contributo", "nessuna persona", "nessun'area" (the forms of the indefinite article). */
function none(word) {
  const n = noun(word);
  if (n.feminine) return VOWEL.test(word) ? `nessun'${word}` : `nessuna ${word}`;
  const lo = /^(s[^aeiouàèéìòù]|z|x|y|gn|ps|pn|i[aeiou])/i.test(word);
  return `${lo ? "nessuno" : "nessun"} ${word}`;
}

/** A count in a sentence: "nessun voto", "1 voto", "2 voti" (zero in words, as the documents). */
export function count(n, word) {
  return n === 0 ? none(word) : countDigits(n, word);
}

/** A count in digits, beside other numbers: "0 voti", "1 voto", "2 voti". */
export function countDigits(n, word) {
  return `${n} ${form(n, word)}`;
}

/** The noun alone, agreeing with `n` written in digits beside it: "voto", "voti". */
export function form(n, word) {
  const x = noun(word);
  return n === 1 ? x.singular : x.plural;
}

/** `singular` for 0 and 1 ("nessun voto è…"), `plural` from 2; with `digits`, 0 is plural. */
export function pick(n, singular, plural, digits = false) {
  return n === 1 || (n === 0 && !digits) ? singular : plural;
}

/**
 * An adjective or participle given in the masculine singular, agreeing with `n` `word`:
 * agree("simile", 2, "contributo") → "simili", agree("nascosto", 1, "persona") → "nascosta".
 * Regular words only (-o, -io, -e), as on the server.
 */
export function agree(adjective, n, word, digits = false) {
  const feminine = noun(word).feminine;
  const many = pick(n, false, true, digits);
  const stem = adjective.slice(0, -1);
  switch (adjective.slice(-1)) {
    case "o":
      if (!many) return feminine ? `${stem}a` : adjective;
      if (feminine) return `${stem}e`;
      return stem.endsWith("i") ? stem : `${stem}i`;
    case "e":
      return many ? `${stem}i` : adjective;
    default:
      return adjective;
  }
}

export function shorten(text, max) {
  const t = String(text || "").replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1).trimEnd()}…` : t;
}

// Times are shown in the workshop's zone (set from the page's configuration), like the
// history page, the documents and the e-mails: a laptop set to UTC must not read 21:19 where
// the record says 22:19.
let timeZone = "Europe/Rome";

export function setTimeZone(zone) {
  if (typeof zone === "string" && zone) timeZone = zone;
}

export function timeLabel(ms) {
  if (!ms) return "";
  try {
    return new Date(ms).toLocaleTimeString("it-IT", { hour: "2-digit", minute: "2-digit", timeZone });
  } catch (_) {
    return "";
  }
}

export function cssEscape(s) {
  return globalThis.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&");
}

/** A guest code as shown: groups of four, "ABCD-EFGH-JK" (older six-character codes as they
 *  are); the guest page reads it back with or without the dashes (`domain::guest_code`). */
export function groupedCode(code) {
  if (!code || code.length <= 6) return code || "";
  return code.match(/.{1,4}/g).join("-");
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
