//! What a workshop has when its file does not say otherwise: the roles people may declare,
//! the policy areas (macro-aree) cards are filed under, the board template its meetings use and
//! the time zone its dates are read in.
//!
//! These are rules of co-programming in Lombardy, not of the file format, so they live in the
//! domain; the workshop file reader ([`crate::workshop_files`]) applies them, and
//! `docs/workshop-format.md` says how a file adds to or replaces each of them.

use chrono_tz::Tz;

use super::workshop::{BoardColumn, BoardTemplate, Role};

/// Time zone of a workshop whose file does not name one.
pub const TIMEZONE: Tz = chrono_tz::Europe::Rome;

/// Name of the built-in board template, used by meetings that do not name one.
pub const BOARD_TEMPLATE_NAME: &str = "co-programmazione";

/// The roles a workshop knows unless its file adds to or relabels them (`[[roles]]`).
pub fn roles() -> Vec<Role> {
    [
        (
            "responsabile-ufficio-di-piano",
            "Responsabile dell'Ufficio di Piano",
        ),
        (
            "responsabile-servizi-sociali",
            "Responsabile dei Servizi sociali del Comune",
        ),
        ("sindaco-assessore", "Sindaco o Assessore"),
        (
            "referente-ats",
            "Referente ATS (Agenzia di Tutela della Salute)",
        ),
        (
            "referente-asst",
            "Referente ASST (Azienda Socio-Sanitaria Territoriale)",
        ),
        (
            "referente-ets",
            "Referente di un ente del Terzo settore (ETS)",
        ),
        ("osservatore", "Osservatore"),
    ]
    .into_iter()
    .map(|(id, label)| Role {
        id: id.to_string(),
        label: label.to_string(),
    })
    .collect()
}

/// The policy areas (macro-aree) of the Lombardy 2021-2023 guidelines for the Piani di Zona;
/// a file's `policy_areas` replaces them.
pub fn policy_areas() -> Vec<String> {
    [
        "Contrasto alla povertà e all'emarginazione sociale",
        "Politiche abitative",
        "Promozione inclusione attiva",
        "Domiciliarità",
        "Anziani",
        "Digitalizzazione dei servizi",
        "Politiche giovanili e per i minori",
        "Interventi connessi alle politiche per il lavoro",
        "Interventi per la famiglia",
        "Interventi a favore di persone con disabilità",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// The built-in board template "co-programmazione": needs, governance proposals and monitoring
/// indicators, the three things a co-programming table must produce.
pub fn board_template() -> BoardTemplate {
    let column = |card_type: &str, title: &str, prompt: &str| BoardColumn {
        card_type: card_type.to_string(),
        title: title.to_string(),
        prompt: prompt.to_string(),
    };
    BoardTemplate {
        name: BOARD_TEMPLATE_NAME.to_string(),
        columns: vec![
            column(
                "bisogno",
                "Bisogni",
                "Quali bisogni vedete nel vostro territorio? Dite chi li vive e dove, e su quali \
                 dati o esperienze vi basate (servizi, sportelli, enti del Terzo settore, \
                 osservatori): ogni bisogno con la sua fonte.",
            ),
            column(
                "proposta",
                "Proposte di governance",
                "Come lavorare insieme al Terzo settore? Proponete tavoli tecnici, ruoli, tempi e \
                 modalità di collaborazione da scrivere nel Piano di Zona o nell'Accordo di \
                 programma.",
            ),
            column(
                "indicatore",
                "Indicatori di monitoraggio",
                "Come sapremo se funziona? Proponete un indicatore: che cosa misura (output o \
                 esito), unità di misura, fonte del dato, valore di partenza e valore obiettivo \
                 con la scadenza.",
            ),
        ],
        phases: [
            "preparazione",
            "raccolta",
            "raggruppamento",
            "voto",
            "sintesi",
            "chiuso",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_board_template_has_the_three_card_kinds() {
        let t = board_template();
        let kinds: Vec<&str> = t.columns.iter().map(|c| c.card_type.as_str()).collect();
        assert_eq!(kinds, ["bisogno", "proposta", "indicatore"]);
        assert_eq!(t.phases.first().map(String::as_str), Some("preparazione"));
        assert_eq!(t.phases.last().map(String::as_str), Some("chiuso"));
        assert_eq!(policy_areas().len(), 10);
    }
}
