// Tavolo board client — card fields: the forms of each card kind as the page's configuration
// describes them (`card_fields`, `plain_card_fields`: built by src/domain/card_fields.rs, the
// definitions the server validates with), the browser's pre-check of a card before sending it,
// and a card's fields as text. Pure (no DOM).
//
// A field: {name, label, kind: text|textarea|area|areas|type|date, required (the message when
// empty, absent when optional), max (characters; items for `areas`), hint, list (the config key
// of its suggestions), rows}. A pair shown together: {group, fields: [field, field]}.

/** The form of a card kind, in order (pairs kept as {group, fields}). */
export function fieldsOf(config, cardType) {
  const forms = (config && config.card_fields) || {};
  return forms[cardType] || (config && config.plain_card_fields) || [];
}

/** The fields of a card kind, pairs opened. */
export function flatFields(config, cardType) {
  const out = [];
  for (const f of fieldsOf(config, cardType)) {
    if (f.group) out.push(...f.fields);
    else out.push(f);
  }
  return out;
}

const TYPE_NOUN = {
  bisogno: { add: "Aggiungi un bisogno", publish: "Pubblica il bisogno", one: "bisogno" },
  proposta: { add: "Aggiungi una proposta", publish: "Pubblica la proposta", one: "proposta" },
  indicatore: { add: "Aggiungi un indicatore", publish: "Pubblica l'indicatore", one: "indicatore" },
};

/** How the interface names a card kind (buttons, chips). */
export function nounOf(cardType) {
  return TYPE_NOUN[cardType] || { add: "Aggiungi una scheda", publish: "Pubblica la scheda", one: "scheda" };
}

function isDate(s) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** The checks of CardContent::validate (src/domain/cards.rs) that can run before sending, so a
 *  form shows its errors at once; the server checks again. Limits and "missing" messages come
 *  from the field definitions; the indicator's date rules are restated here. */
export function validateContent(content, config) {
  const errors = [];
  const areas = (config && config.policy_areas) || [];
  for (const f of flatFields(config, content.card_type)) {
    const v = content[f.name];
    if (f.kind === "areas") {
      if ((v || []).length > f.max) errors.push({ field: f.name, message: `Indica al massimo ${f.max} aree secondarie.` });
      continue;
    }
    if (f.required && !v) errors.push({ field: f.name, message: f.required });
    if (v && typeof v === "string" && v.length > f.max) errors.push({ field: f.name, message: `Testo troppo lungo (al massimo ${f.max} caratteri).` });
    if (f.kind === "area" && v && areas.length && areas.indexOf(v) < 0) {
      errors.push({ field: f.name, message: "Area di policy non riconosciuta: sceglila dall'elenco." });
    }
  }
  if (content.card_type === "indicatore") {
    for (const [f, label] of [["baseline_date", "del valore di partenza"], ["target_deadline", "della scadenza dell'obiettivo"]]) {
      if (content[f] && !isDate(content[f])) errors.push({ field: f, message: `La data ${label} non è valida (usa AAAA-MM-GG).` });
    }
    if (!errors.length && content.baseline_date && content.target_deadline && content.target_deadline < content.baseline_date) {
      errors.push({ field: "target_deadline", message: "La scadenza dell'obiettivo deve venire dopo la data del valore di partenza." });
    }
    if (!!content.baseline_value !== !!content.baseline_date) {
      errors.push({ field: "baseline_date", message: "Indica insieme il valore di partenza e la data a cui si riferisce." });
    }
    if (!!content.target_value !== !!content.target_deadline) {
      errors.push({ field: "target_deadline", message: "Indica insieme il valore obiettivo e la scadenza entro cui raggiungerlo." });
    }
  }
  return errors;
}

/** A field's value as people read it: lists joined, indicator types named, dates in Italian. */
function fieldValueText(config, f, value) {
  if (Array.isArray(value)) return value.join(", ");
  if (f.kind === "type") {
    const t = (config.indicator_types || []).find((x) => x[0] === value);
    return t ? t[1] : value;
  }
  if (f.kind === "date" && isDate(value)) {
    const [y, m, d] = value.split("-");
    return `${d}/${m}/${y}`;
  }
  return String(value);
}

/** [label, text, name] of every non-empty field; with `skipTitle`, not the title (the first
 *  field of each form is the card's title, see CardContent::title). */
export function cardFieldRows(config, content, skipTitle) {
  const rows = [];
  const fields = flatFields(config, content.card_type);
  const titleField = fields.length ? fields[0].name : "text";
  for (const f of fields) {
    if (skipTitle && f.name === titleField) continue;
    const v = content[f.name];
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) continue;
    rows.push([f.label, fieldValueText(config, f, v), f.name]);
  }
  return rows;
}
