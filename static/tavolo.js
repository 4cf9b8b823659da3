// Tavolo — small progressive enhancements; every page works without this file.
"use strict";

// Comune autocompletion: fills the <datalist> of an input[data-comuni] from the ISTAT list.
(function () {
  const input = document.querySelector("input[data-comuni]");
  if (!input || !input.list) return;
  const list = input.list;
  let timer = null;
  let last = "";
  input.addEventListener("input", function () {
    const q = input.value.trim();
    if (q.length < 2 || q === last) return;
    clearTimeout(timer);
    timer = setTimeout(async function () {
      last = q;
      try {
        const res = await fetch(input.dataset.comuni + "?q=" + encodeURIComponent(q));
        if (!res.ok) return;
        const data = await res.json();
        list.replaceChildren(...data.comuni.map(function (c) {
          const o = document.createElement("option");
          o.value = c.etichetta;
          o.label = c.regione;
          return o;
        }));
      } catch (_) { /* offline: the field still accepts the typed name */ }
    }, 150);
  });
})();

// Focus the error summary so that screen readers announce it after a failed submit.
(function () {
  const summary = document.getElementById("riepilogo-errori");
  if (summary) summary.focus();
})();

// "Stampa" buttons: hidden without JavaScript (the browser's own print still works).
(function () {
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
})();
