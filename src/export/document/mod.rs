//! The three Word documents laid out as blocks: numbered headings, paragraphs, tables. The
//! outline gives the data, the prose the wording; `docx.rs` turns blocks into Word markup and
//! the export page shows the headings as the preview, so both say the same.
//!
//! # The document outline
//!
//! Which sections each document has, and in which order, is read here, in this file: [`build`]
//! writes the front matter, the sections of the document type, then the appendices; [`blocks`]
//! lists, per document type and in document order, the template blocks that give each section
//! its heading and its introduction (`<section>_titolo`, `<section>`). A heading block an Ambito
//! leaves empty drops its section. In short:
//!
//! - every document opens with the front matter (`titolo`, `sottotitolo`, the facts of the
//!   scope, `avvertenza`, `indice`): `sections.rs`;
//! - **verbale della seduta** (a procedimento) or **resoconto dell'incontro** (a laboratorio),
//!   for each meeting: `seduta`, `ordine`, `presenze`, `svolgimento` (`discussione`),
//!   `contributi`, `esiti`, `chiusura` (`firme`): `verbale.rs`;
//! - **documento istruttorio di co-programmazione**: `oggetto`, `metodo`, `contesto`,
//!   `valutazione`, `risorse`, `premiali`, `servizi`, `aree` (per macro-area: `area_sintesi`,
//!   `area_priorita`, `area_bisogni`, `area_obiettivi`, `area_questioni`,
//!   `area_coprogettazione`; then `area_trasversale`), `governance`, `indicatori`,
//!   `questioni`, `coprogettazione`: `coprogrammazione.rs`, with the schede obiettivo and the
//!   resources by fund in `synthesis.rs`;
//! - **allegato all'Accordo di programma**: `parti`, `premesse`, `finalita`, `obiettivi`,
//!   `governance`, `collaborazione`, `impegni`, `risorse`, `monitoraggio`, `durata`,
//!   `vigilanza`, `dati`, `conflitti`, `adesioni`, `firme` — no vote count: `accordo.rs`;
//! - every document ends with the appendices `tracciabilita` and, when hidden cards are listed
//!   apart, `nascosti`: `appendices.rs`.
//!
//! The other files: `model.rs` the blocks themselves, `layout.rs` the cursor that numbers the
//! headings and reads the template blocks, `cards.rs` how one card reads, `sections.rs` the
//! sections several documents share (participation, priorities, proposals, indicators),
//! `synthesis.rs` the synthesis (an area's text, a scheda obiettivo, resources by fund);
//! `measure.rs` the page and the font's widths, `columns.rs` how a table's columns share the
//! page, `pages.rs` where pages will break (short rows, tables that fit, the index).

mod accordo;
mod appendices;
mod cards;
mod columns;
mod coprogrammazione;
mod layout;
pub mod measure;
mod model;
mod pages;
mod sections;
mod synthesis;
mod verbale;

pub use model::{Block, Column, Document, HeadingList, PreviewEntry, Span, Style, Table};
pub use pages::{IndexPlacement, SHORT_ROW_LINES, index_placement};

use layout::{Layout, non_empty};

use super::format::DocType;
use super::outline::{Kind, Outline};
use super::prose::Prose;

/// The template blocks each document type uses, in document order: what [`Prose::render`]
/// renders for [`build`].
pub fn blocks(doc: DocType) -> &'static [&'static str] {
    match doc {
        DocType::Coprogrammazione => &[
            "titolo",
            "sottotitolo",
            "avvertenza",
            "indice",
            "oggetto_titolo",
            "oggetto",
            "metodo_titolo",
            "metodo",
            "contesto_titolo",
            "contesto",
            "valutazione_titolo",
            "valutazione",
            "risorse_titolo",
            "risorse",
            "risorse_vuoto",
            "premiali_titolo",
            "premiali",
            "servizi_titolo",
            "servizi",
            "aree_titolo",
            "aree",
            "area_sintesi_titolo",
            "area_sintesi_vuota",
            "area_priorita_titolo",
            "area_priorita_vuota",
            "area_bisogni_titolo",
            "area_obiettivi_titolo",
            "area_obiettivi_vuoto",
            "area_questioni_titolo",
            "area_coprogettazione_titolo",
            "area_trasversale_titolo",
            "governance_titolo",
            "governance",
            "indicatori_titolo",
            "indicatori",
            "indicatori_quadro_titolo",
            "indicatori_schede_titolo",
            "questioni_titolo",
            "questioni",
            "questioni_vuoto",
            "coprogettazione_titolo",
            "coprogettazione",
            "coprogettazione_vuoto",
            "tracciabilita_titolo",
            "tracciabilita",
            "nascosti_titolo",
            "nascosti",
            "vuoto",
        ],
        DocType::Accordo => &[
            "titolo",
            "sottotitolo",
            "avvertenza",
            "indice",
            "parti_titolo",
            "parti",
            "premesse_titolo",
            "premesse",
            "finalita_titolo",
            "finalita",
            "obiettivi_titolo",
            "obiettivi",
            "obiettivi_vuoto",
            "governance_titolo",
            "governance",
            "collaborazione_titolo",
            "collaborazione",
            "impegni_titolo",
            "impegni",
            "risorse_titolo",
            "risorse",
            "risorse_vuoto",
            "monitoraggio_titolo",
            "monitoraggio",
            "indicatori_quadro_titolo",
            "indicatori_schede_titolo",
            "durata_titolo",
            "durata",
            "vigilanza_titolo",
            "vigilanza",
            "dati_titolo",
            "dati",
            "conflitti_titolo",
            "conflitti",
            "adesioni_titolo",
            "adesioni",
            "firme_titolo",
            "firme",
            "tracciabilita_titolo",
            "tracciabilita",
            "nascosti_titolo",
            "nascosti",
            "vuoto",
        ],
        DocType::Verbale => &[
            "titolo",
            "sottotitolo",
            "avvertenza",
            "indice",
            "seduta_intestazione",
            "seduta_titolo",
            "seduta",
            "ordine_titolo",
            "ordine",
            "presenze_titolo",
            "presenze",
            "svolgimento_titolo",
            "svolgimento",
            "discussione",
            "contributi_titolo",
            "contributi",
            "seduta_vuota",
            "esiti_titolo",
            "esiti",
            "chiusura_titolo",
            "chiusura",
            "firme",
            "tracciabilita_titolo",
            "tracciabilita",
            "nascosti_titolo",
            "nascosti",
            "vuoto",
        ],
    }
}

/// Lays out `doc` for `outline` with `prose`.
pub fn build<'o>(outline: &'o Outline<'_>, prose: &'o Prose, doc: DocType) -> Document<'o> {
    let mut l = Layout::new(outline, prose);
    l.votes = doc != DocType::Accordo;
    // The outline (see the module docs): front matter, the document type's sections, appendices.
    l.front_matter(doc);
    match doc {
        DocType::Coprogrammazione => l.coprogrammazione(),
        DocType::Accordo => l.accordo(),
        DocType::Verbale => l.verbale(),
    }
    // The Accordo is about proposals and indicators: its appendices list only those.
    let only: Option<&[Kind]> = match doc {
        DocType::Accordo => Some(&[Kind::Proposal, Kind::Indicator]),
        _ => None,
    };
    // The appendices cover the whole scope, whichever meeting's minutes came last.
    l.part = 0;
    l.base = 0;
    l.traceability(only);
    l.hidden(only);
    let o = outline;
    let title = non_empty(prose.get(0, "titolo")).unwrap_or(doc.label());
    let mut subject = o.scope_label();
    if let Some(a) = &o.scope.ambito {
        subject.push_str(&format!(" — {a}"));
    }
    let mut header = format!("{} · BOZZA", o.workshop.title);
    if let Some(a) = &o.scope.ambito {
        header.push_str(&format!(" · {a}"));
    }
    Document {
        title: title.to_string(),
        subject,
        author: o.workshop.organiser.clone(),
        description: format!(
            "{} — {}. Bozza generata da Tavolo dai contributi della lavagna.",
            doc.label(),
            o.workshop.title
        ),
        keywords:
            "co-programmazione; Piano di Zona; Terzo settore; amministrazione condivisa; bozza"
                .into(),
        header,
        created: o.generated_at,
        blocks: l.blocks,
    }
}
