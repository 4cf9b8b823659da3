// Tavolo board client — sums of money the Italian way, the browser's half of
// src/domain/money.rs: amounts are whole euro cents; people type "12.500,00" (a dot between
// thousands, a comma before the cents) and read "€ 12.500,00". Pure (no DOM): node tests it
// (tests/js/money.test.mjs).

/** "12.500,00": the amount in `cents` as people type it (no sign). */
export function amountText(cents) {
  const n = Math.max(0, Math.floor(Number(cents) || 0));
  const euros = String(Math.floor(n / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return `${euros},${String(n % 100).padStart(2, "0")}`;
}

/** "€ 12.500,00", with a non-breaking space after the sign, as the server writes it. */
export function formatEuro(cents) {
  return `€\u00a0${amountText(cents)}`;
}

/**
 * Reads an amount typed in euro: "12.500,00", "12500", "12.500", "1.250,5", "€ 300". Returns
 * {cents} or {error} (an Italian message), {empty: true} when nothing was typed. Amounts above
 * `maxCents` are refused, and so is "12.5": a dot separates thousands in Italian, so a dot
 * before fewer than three digits is a typing error, not a decimal point.
 */
export function parseEuro(text, maxCents) {
  const t = String(text == null ? "" : text)
    .replace(/[\s\u00a0]/g, "")
    .replace(/^€|€$/g, "")
    .replace(/euro$/i, "");
  if (!t) return { empty: true, error: "indica l'importo in euro." };
  if (/^[-−–]/.test(t)) return { error: "l'importo non può essere negativo." };
  const m = /^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2}))?$/.exec(t);
  if (!m) return { error: "importo non valido: scrivilo in euro, per esempio 12.500,00." };
  const euros = Number(m[1].replace(/\./g, ""));
  const cents = euros * 100 + Number((m[2] || "").padEnd(2, "0"));
  if (!Number.isSafeInteger(cents) || (maxCents != null && cents > maxCents)) {
    return { error: `l'importo supera ${formatEuro(maxCents)}: controlla le cifre.` };
  }
  return { cents };
}
