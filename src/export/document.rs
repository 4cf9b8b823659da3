//! The three Word documents laid out as blocks: numbered headings, paragraphs, tables. The
//! outline gives the data, the prose the wording; `docx.rs` turns blocks into Word markup and
//! the export page shows the headings as the preview, so both say the same.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::outline::{Item, Kind, Outline, Participation, indicator_type_label};
use super::prose::{Prose, paragraphs};
use super::{DocType, HiddenCards};
use crate::domain::cards::CardContent;

/// A Word document before it is Word.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub title: String,
    pub subject: String,
    pub author: String,
    pub description: String,
    pub keywords: String,
    /// Page header text (the footer is always "Pagina X di Y").
    pub header: String,
    pub created: DateTime<Utc>,
    pub blocks: Vec<Block<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block<'a> {
    Title {
        text: Cow<'a, str>,
    },
    Subtitle {
        text: Cow<'a, str>,
    },
    /// Levels 1–3; `number` is "3.", "3.2", "3.2.1" or "Allegato A –".
    Heading {
        level: u8,
        number: String,
        text: Cow<'a, str>,
        #[serde(skip)]
        summary: Option<String>,
    },
    Paragraph {
        style: Style,
        spans: Vec<Span<'a>>,
    },
    /// The index (the headings of levels 1 and 2), with its own title.
    Toc {
        title: Cow<'a, str>,
    },
    Table(Table<'a>),
    PageBreak,
}

/// Paragraph styles (ids in `styles.xml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    Normal,
    /// The first line of a card: reference and text.
    Card,
    /// Fields of a card, under it.
    Detail,
    /// A theme grouping the cards below.
    Theme,
    Note,
    Bullet,
    Signature,
}

impl Style {
    pub fn id(self) -> &'static str {
        match self {
            Style::Normal => "Normal",
            Style::Card => "Contributo",
            Style::Detail => "Dettaglio",
            Style::Theme => "Tema",
            Style::Note => "Nota",
            Style::Bullet => "ListBullet",
            Style::Signature => "Firma",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Span<'a> {
    pub text: Cow<'a, str>,
    #[serde(skip_serializing_if = "is_false")]
    pub bold: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub italic: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl<'a> Span<'a> {
    pub fn plain(text: impl Into<Cow<'a, str>>) -> Span<'a> {
        Span {
            text: text.into(),
            bold: false,
            italic: false,
        }
    }

    pub fn bold(text: impl Into<Cow<'a, str>>) -> Span<'a> {
        Span {
            bold: true,
            ..Span::plain(text)
        }
    }

    pub fn italic(text: impl Into<Cow<'a, str>>) -> Span<'a> {
        Span {
            italic: true,
            ..Span::plain(text)
        }
    }
}

/// A table with a header row; widths in twentieths of a point (the page is 9,638 wide).
#[derive(Debug, Serialize)]
pub struct Table<'a> {
    pub widths: Vec<u32>,
    pub header: Vec<Cow<'a, str>>,
    pub rows: Vec<Vec<Cow<'a, str>>>,
}

/// One line of the export page's preview.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewEntry {
    pub level: u8,
    pub number: String,
    pub text: String,
    pub summary: Option<String>,
}

impl Document<'_> {
    /// The headings (levels 1–2) with a word on what each section holds.
    pub fn preview(&self) -> Vec<PreviewEntry> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading {
                    level,
                    number,
                    text,
                    summary,
                } if *level <= 2 => Some(PreviewEntry {
                    level: *level,
                    number: number.clone(),
                    text: text.to_string(),
                    summary: summary.clone(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// The template blocks each document type uses.
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
            "bisogni_titolo",
            "bisogni",
            "servizi_titolo",
            "servizi",
            "priorita_titolo",
            "priorita",
            "governance_titolo",
            "governance",
            "indicatori_titolo",
            "indicatori",
            "indicatori_quadro_titolo",
            "indicatori_schede_titolo",
            "questioni_titolo",
            "questioni",
            "coprogettazione_titolo",
            "coprogettazione",
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
            "finalita_titolo",
            "finalita",
            "governance_titolo",
            "governance",
            "collaborazione_titolo",
            "collaborazione",
            "monitoraggio_titolo",
            "monitoraggio",
            "indicatori_quadro_titolo",
            "indicatori_schede_titolo",
            "adesioni_titolo",
            "adesioni",
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
            "presenze_titolo",
            "presenze",
            "svolgimento_titolo",
            "svolgimento",
            "contributi_titolo",
            "contributi",
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
    let mut l = Layout {
        o: outline,
        prose,
        part: 0,
        blocks: Vec::with_capacity(outline.items.len() * 3 + 64),
        counters: [0; 3],
        base: 0,
        appendix: 0,
    };
    l.front_matter(doc);
    match doc {
        DocType::Coprogrammazione => l.coprogrammazione(),
        DocType::Accordo => l.accordo(),
        DocType::Verbale => l.verbale(),
    }
    let only: Option<&[Kind]> = match doc {
        DocType::Accordo => Some(&[Kind::Proposal, Kind::Indicator]),
        _ => None,
    };
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

fn non_empty(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

/// "Anziani soli nei Comuni…": one line, at most `max` characters.
pub fn short(s: &str, max: usize) -> Cow<'_, str> {
    let simple = !s.contains(['\n', '\r', '\t']);
    if simple && s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(max.min(s.len()) + 3);
    let mut n = 0;
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if n >= max {
            out.push('…');
            return Cow::Owned(out);
        }
        if space {
            out.push(' ');
            n += 1;
            space = false;
        }
        out.push(c);
        n += 1;
    }
    Cow::Owned(out)
}

/// "31/12/2023" from "2023-12-31" (kept as written when it is not a date).
fn date_it(s: &str) -> String {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| s.to_string())
}

struct Layout<'a, 'o> {
    o: &'o Outline<'a>,
    prose: &'o Prose,
    /// Which prose part (meeting) is being laid out.
    part: usize,
    blocks: Vec<Block<'o>>,
    counters: [u32; 3],
    /// 1 when each meeting's minutes sit under their own level-1 heading.
    base: u8,
    appendix: u8,
}

impl<'a: 'o, 'o> Layout<'a, 'o> {
    fn text(&self, key: &str) -> &'o str {
        self.prose.get(self.part, key)
    }

    fn heading(&mut self, level: u8, text: impl Into<Cow<'o, str>>, summary: Option<String>) {
        let level = (level + self.base).min(3);
        let i = usize::from(level - 1);
        self.counters[i] += 1;
        for c in &mut self.counters[i + 1..] {
            *c = 0;
        }
        let parts: Vec<String> = self.counters[..=i].iter().map(u32::to_string).collect();
        let number = if level == 1 {
            format!("{}.", parts[0])
        } else {
            parts.join(".")
        };
        self.blocks.push(Block::Heading {
            level,
            number,
            text: text.into(),
            summary,
        });
    }

    fn para(&mut self, style: Style, spans: Vec<Span<'o>>) {
        self.blocks.push(Block::Paragraph { style, spans });
    }

    /// The prose of a block, as paragraphs and bullets.
    fn prose(&mut self, key: &str) {
        for (bullet, text) in paragraphs(self.text(key)) {
            let style = if bullet { Style::Bullet } else { Style::Normal };
            self.para(style, vec![Span::plain(text)]);
        }
    }

    /// A section: its heading and introduction from the template. False (and nothing
    /// written) when the template leaves the heading empty.
    fn section(&mut self, key: &str, summary: Option<String>) -> bool {
        let Some(title) = non_empty(self.text(&format!("{key}_titolo"))) else {
            return false;
        };
        self.heading(1, title, summary);
        self.prose(key);
        true
    }

    /// "Nothing was said on this": the template's `vuoto` block.
    fn empty(&mut self) {
        let text = non_empty(self.text("vuoto")).unwrap_or("Nessun contributo su questo punto.");
        self.para(Style::Note, vec![Span::plain(text)]);
    }

    fn table(&mut self, widths: &[u32], header: &[&'static str], rows: Vec<Vec<Cow<'o, str>>>) {
        self.blocks.push(Block::Table(Table {
            widths: widths.to_vec(),
            header: header.iter().map(|h| Cow::Borrowed(*h)).collect(),
            rows,
        }));
    }

    fn item(&self, i: usize) -> &'o Item<'a> {
        &self.o.items[i]
    }

    fn front_matter(&mut self, doc: DocType) {
        let o = self.o;
        let title = non_empty(self.text("titolo")).unwrap_or(doc.label());
        self.blocks.push(Block::Title {
            text: Cow::Borrowed(title),
        });
        if let Some(s) = non_empty(self.text("sottotitolo")) {
            self.blocks.push(Block::Subtitle {
                text: Cow::Borrowed(s),
            });
        }
        let mut facts = vec![
            ("Incontri considerati: ", o.scope_label()),
            ("Organizzazione: ", o.workshop.organiser.clone()),
        ];
        if let Some(a) = &o.scope.ambito {
            facts.insert(1, ("Ambito territoriale: ", a.clone()));
        }
        if !o.workshop.funding.is_empty() {
            facts.push(("Finanziamento: ", o.workshop.funding.clone()));
        }
        for (label, value) in facts {
            self.para(Style::Normal, vec![Span::bold(label), Span::plain(value)]);
        }
        if let Some(a) = non_empty(self.text("avvertenza")) {
            for (_, p) in paragraphs(a) {
                self.para(Style::Note, vec![Span::plain(p)]);
            }
        }
        if let Some(t) = non_empty(self.text("indice")) {
            self.blocks.push(Block::Toc {
                title: Cow::Borrowed(t),
            });
        }
        self.blocks.push(Block::PageBreak);
    }

    /// A card: reference and text, then its fields, votes and history.
    fn card(&mut self, i: usize, show_area: bool, show_comments: bool) {
        let it = self.item(i);
        self.para(
            Style::Card,
            vec![
                Span::bold(format!("[{}] ", it.reference)),
                Span::plain(it.title()),
            ],
        );
        let mut short: Vec<String> = Vec::new();
        let mut long: Vec<(&'static str, &'o str)> = Vec::new();
        let mut field = |label: &str, v: &Option<String>| {
            if let Some(v) = v {
                short.push(format!("{label}: {v}"));
            }
        };
        match &it.card.content {
            CardContent::Bisogno(n) => {
                if show_area {
                    field("Area", &n.policy_area);
                }
                if !n.secondary_areas.is_empty() {
                    field("Aree secondarie", &Some(n.secondary_areas.join(", ")));
                }
                field("Destinatari", &n.target_group);
                field("Territorio", &n.territory);
                if let Some(e) = &n.evidence {
                    long.push(("Fonti e dati: ", e));
                }
            }
            CardContent::Proposta(p) => {
                field("Strumento", &p.instrument);
                if show_area {
                    field("Area", &p.policy_area);
                }
                for (label, v) in [
                    ("Descrizione: ", &p.description),
                    ("Attori coinvolti: ", &p.actors),
                    ("Ruolo del Terzo settore: ", &p.terzo_settore_role),
                ] {
                    if let Some(v) = v {
                        long.push((label, v));
                    }
                }
            }
            CardContent::Indicatore(ind) => {
                field(
                    "Tipo",
                    &ind.indicator_type
                        .as_deref()
                        .map(|t| indicator_type_label(t).to_string()),
                );
                field("Unità di misura", &ind.unit);
                field("Fonte", &ind.source);
                if let Some(d) = &ind.definition {
                    long.push(("Definizione: ", d));
                }
            }
            CardContent::Altro(_) => {}
        }
        if it.votes > 0 {
            short.push(format!(
                "{} {}",
                it.votes,
                if it.votes == 1 { "voto" } else { "voti" }
            ));
        }
        if !it.card.merged.is_empty() {
            let n = it.card.merged.len();
            short.push(if n == 1 {
                "unisce 1 contributo simile".into()
            } else {
                format!("unisce {n} contributi simili")
            });
        }
        if let Some(from) = it.carried_from.and_then(|s| self.o.sessions.get(s)) {
            short.push(format!("ripreso dall'incontro del {}", from.date_label));
        }
        if !short.is_empty() {
            self.para(Style::Detail, vec![Span::plain(short.join(" · "))]);
        }
        for (label, text) in long {
            self.para(Style::Detail, vec![Span::bold(label), Span::plain(text)]);
        }
        if show_comments {
            for (c, author) in it.comments() {
                let who = match author.and_then(|a| a.organisation.as_deref()) {
                    Some(org) => format!("Commento ({org}): "),
                    None => "Commento: ".into(),
                };
                self.para(
                    Style::Detail,
                    vec![Span::italic(who), Span::plain(c.text.as_str())],
                );
            }
        }
    }

    /// Cards under their themes.
    fn cards_by_theme(&mut self, indices: &[usize], show_area: bool, show_comments: bool) {
        for (theme, ids) in self.o.by_theme(indices) {
            if let Some(t) = theme {
                self.para(Style::Theme, vec![Span::plain(format!("Tema: {t}"))]);
            } else if ids.len() < indices.len() {
                self.para(Style::Theme, vec![Span::plain("Altri contributi")]);
            }
            for i in ids {
                self.card(i, show_area, show_comments);
            }
        }
    }

    fn participation(&mut self, p: &Participation, several_meetings: bool) {
        if p.people == 0 && p.guests_by_organisation.is_empty() {
            self.para(
                Style::Note,
                vec![Span::plain(
                    "Il registro presenze non riporta partecipanti per questo ambito.",
                )],
            );
            return;
        }
        if p.people > 0 {
            let mut rows: Vec<Vec<Cow<'o, str>>> = p
                .by_organisation
                .iter()
                .map(|r| {
                    let mut row = vec![
                        Cow::Owned(r.organisation.clone()),
                        Cow::Owned(r.ambito.clone().unwrap_or_default()),
                        Cow::Owned(r.people.to_string()),
                    ];
                    if several_meetings {
                        row.push(Cow::Owned(r.presences.to_string()));
                    }
                    row
                })
                .collect();
            let mut total = vec![
                Cow::Borrowed("Totale"),
                Cow::Owned(count_word(p.by_organisation.len(), "ente", "enti")),
                Cow::Owned(p.people.to_string()),
            ];
            if several_meetings {
                total.push(Cow::Owned(p.presences.to_string()));
                rows.push(total);
                self.table(
                    &[3838, 2800, 1500, 1500],
                    &["Ente", "Ambito", "Persone", "Presenze"],
                    rows,
                );
            } else {
                rows.push(total);
                self.table(&[4338, 3300, 2000], &["Ente", "Ambito", "Presenti"], rows);
            }
            let rows = p
                .by_role
                .iter()
                .map(|(r, n)| vec![Cow::Owned(r.clone()), Cow::Owned(n.to_string())])
                .collect();
            self.table(&[7338, 2300], &["Ruolo", "Persone"], rows);
        }
        if !p.guests_by_organisation.is_empty() {
            let rows = p
                .guests_by_organisation
                .iter()
                .map(|(o, n)| vec![Cow::Owned(o.clone()), Cow::Owned(n.to_string())])
                .collect();
            self.table(
                &[7338, 2300],
                &["Ospiti che hanno contribuito (organizzazione)", "Ospiti"],
                rows,
            );
        }
    }

    fn priorities_table(&mut self, ranked: &[(usize, usize)]) {
        let rows = ranked
            .iter()
            .map(|&(rank, i)| {
                let it = self.item(i);
                vec![
                    Cow::Owned(rank.to_string()),
                    Cow::Owned(it.reference.clone()),
                    short(it.title(), 200),
                    Cow::Borrowed(it.kind.label()),
                    Cow::Owned(it.votes.to_string()),
                ]
            })
            .collect();
        self.table(
            &[700, 800, 5338, 1800, 1000],
            &["Pos.", "Rif.", "Contributo", "Tipo", "Voti"],
            rows,
        );
    }

    /// The indicator table (one row each) and one sheet per indicator.
    /// A section of the governance proposals, by theme, most voted first.
    fn proposals_section(&mut self, key: &str, proposals: &[usize]) {
        if self.section(
            key,
            Some(count_word(proposals.len(), "proposta", "proposte")),
        ) {
            if proposals.is_empty() {
                self.empty();
            }
            self.cards_by_theme(proposals, true, false);
        }
    }

    /// A section of the monitoring indicators, each with its sheet.
    fn indicators_section(&mut self, key: &str, o: &Outline) {
        let n = o.of_kind(Kind::Indicator).len();
        if self.section(key, Some(count_word(n, "indicatore", "indicatori"))) {
            self.indicators();
        }
    }

    fn indicators(&mut self) {
        let ids = self.o.of_kind(Kind::Indicator);
        if ids.is_empty() {
            self.empty();
            return;
        }
        let value_at = |v: &Option<String>, d: &Option<String>, word: &str| -> String {
            match (v, d) {
                (Some(v), Some(d)) => format!("{v} ({word} {})", date_it(d)),
                (Some(v), None) => v.clone(),
                (None, Some(d)) => format!("({word} {})", date_it(d)),
                (None, None) => String::new(),
            }
        };
        let mut rows = Vec::with_capacity(ids.len());
        for &i in &ids {
            let it = self.item(i);
            let CardContent::Indicatore(ind) = &it.card.content else {
                continue;
            };
            rows.push(vec![
                Cow::Owned(it.reference.clone()),
                short(&ind.name, 300),
                Cow::Owned(
                    ind.indicator_type
                        .as_deref()
                        .map(|t| indicator_type_label(t).to_string())
                        .unwrap_or_default(),
                ),
                Cow::Owned(ind.source.clone().unwrap_or_default()),
                Cow::Owned(value_at(&ind.baseline_value, &ind.baseline_date, "al")),
                Cow::Owned(value_at(&ind.target_value, &ind.target_deadline, "entro")),
                Cow::Owned(ind.frequency.clone().unwrap_or_default()),
            ]);
        }
        let n = ids.len();
        let quadro =
            non_empty(self.text("indicatori_quadro_titolo")).unwrap_or("Quadro degli indicatori");
        self.heading(
            2,
            quadro,
            Some(format!(
                "{n} {}",
                if n == 1 { "indicatore" } else { "indicatori" }
            )),
        );
        self.table(
            &[650, 2688, 1300, 1500, 1300, 1300, 900],
            &[
                "Rif.",
                "Indicatore",
                "Tipo",
                "Fonte del dato",
                "Valore di partenza",
                "Valore obiettivo",
                "Frequenza",
            ],
            rows,
        );
        let schede =
            non_empty(self.text("indicatori_schede_titolo")).unwrap_or("Schede degli indicatori");
        self.heading(2, schede, Some(format!("una scheda per ciascuno dei {n}")));
        for i in ids {
            let it = self.item(i);
            let CardContent::Indicatore(ind) = &it.card.content else {
                continue;
            };
            self.heading(
                3,
                format!("{} — {}", it.reference, short(&ind.name, 300)),
                None,
            );
            let todo = || Cow::Borrowed("da definire");
            let opt = |v: &'o Option<String>| -> Cow<'o, str> {
                v.as_deref().map(Cow::Borrowed).unwrap_or_else(todo)
            };
            let session = &self.o.sessions[it.session];
            let mut rows = vec![
                vec![Cow::Borrowed("Nome"), Cow::Borrowed(ind.name.as_str())],
                vec![Cow::Borrowed("Definizione"), opt(&ind.definition)],
                vec![
                    Cow::Borrowed("Tipo"),
                    ind.indicator_type
                        .as_deref()
                        .map(|t| Cow::Borrowed(indicator_type_label(t)))
                        .unwrap_or_else(todo),
                ],
                vec![Cow::Borrowed("Unità di misura"), opt(&ind.unit)],
                vec![
                    Cow::Borrowed("Formula o metodo di calcolo"),
                    opt(&ind.formula),
                ],
                vec![Cow::Borrowed("Fonte del dato"), opt(&ind.source)],
                vec![
                    Cow::Borrowed("Valore di partenza"),
                    non_empty(&value_at(&ind.baseline_value, &ind.baseline_date, "al"))
                        .map(|s| Cow::Owned(s.to_string()))
                        .unwrap_or_else(todo),
                ],
                vec![
                    Cow::Borrowed("Valore obiettivo"),
                    non_empty(&value_at(&ind.target_value, &ind.target_deadline, "entro"))
                        .map(|s| Cow::Owned(s.to_string()))
                        .unwrap_or_else(todo),
                ],
                vec![
                    Cow::Borrowed("Frequenza di rilevazione"),
                    opt(&ind.frequency),
                ],
                vec![
                    Cow::Borrowed("Soggetto responsabile"),
                    opt(&ind.responsible),
                ],
                vec![Cow::Borrowed("Area di policy"), opt(&ind.policy_area)],
                vec![Cow::Borrowed("Disaggregazione"), opt(&ind.disaggregation)],
            ];
            rows.push(vec![
                Cow::Borrowed("Proposto nell'incontro"),
                Cow::Owned(format!("del {}", session.date_label)),
            ]);
            if it.votes > 0 {
                rows.push(vec![
                    Cow::Borrowed("Voti ricevuti"),
                    Cow::Owned(it.votes.to_string()),
                ]);
            }
            self.table(&[2900, 6738], &["Voce della scheda", "Contenuto"], rows);
        }
    }

    fn coprogrammazione(&mut self) {
        let o = self.o;
        let several = o.sessions.len() > 1;
        let p = &o.participation;
        if self.section(
            "oggetto",
            Some(format!(
                "{} persone di {} enti",
                p.people,
                p.by_organisation.len()
            )),
        ) {
            self.participation(p, several);
        }
        if self.section("metodo", Some(sessions_word(o.sessions.len()))) {
            let rows = o
                .sessions
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    vec![
                        Cow::Owned(format!(
                            "Modulo {}, n. {}",
                            s.session.module_number, s.session.meeting.number
                        )),
                        Cow::Owned(s.date_label.clone()),
                        Cow::Owned(s.time_label.clone()),
                        Cow::Owned(s.session.meeting.place.clone()),
                        Cow::Owned(
                            s.phases
                                .iter()
                                .map(|p| p.label.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        Cow::Owned(o.in_session(i).len().to_string()),
                    ]
                })
                .collect();
            self.table(
                &[1500, 1700, 1200, 1838, 2400, 1000],
                &[
                    "Incontro",
                    "Data",
                    "Orario",
                    "Luogo",
                    "Fasi svolte",
                    "Contributi",
                ],
                rows,
            );
        }
        let needs = o.of_kind(Kind::Need);
        if self.section(
            "bisogni",
            Some(count_word(needs.len(), "bisogno", "bisogni")),
        ) {
            let areas = o.needs_by_area();
            if areas.is_empty() {
                self.empty();
            }
            for (area, ids) in areas {
                self.heading(
                    2,
                    area.unwrap_or("Area di policy non indicata"),
                    Some(count_word(ids.len(), "bisogno", "bisogni")),
                );
                self.cards_by_theme(&ids, false, false);
            }
        }
        let others = o.by_column(Kind::Other);
        let n_others: usize = others.iter().map(|c| c.1.len()).sum();
        if self.section(
            "servizi",
            Some(count_word(n_others, "contributo", "contributi")),
        ) {
            if others.is_empty() {
                self.empty();
            }
            for (title, ids) in others {
                self.heading(
                    2,
                    title,
                    Some(count_word(ids.len(), "contributo", "contributi")),
                );
                self.cards_by_theme(&ids, true, false);
            }
        }
        let ranked = o.priorities(|_| true);
        if self.section(
            "priorita",
            Some(count_word(
                ranked.len(),
                "contributo votato",
                "contributi votati",
            )),
        ) {
            if ranked.is_empty() {
                self.empty();
            } else {
                self.priorities_table(&ranked);
            }
        }
        let proposals = o.proposals_by_votes();
        self.proposals_section("governance", &proposals);
        self.indicators_section("indicatori", o);
        let questions = o.of_kind(Kind::OpenQuestion);
        if self.section(
            "questioni",
            Some(count_word(questions.len(), "questione", "questioni")),
        ) {
            if questions.is_empty() {
                self.empty();
            }
            self.cards_by_theme(&questions, true, false);
        }
        let topics = o.of_kind(Kind::CoDesign);
        let codesign = o.codesign_proposals();
        if self.section(
            "coprogettazione",
            Some(count_word(topics.len() + codesign.len(), "tema", "temi")),
        ) {
            if topics.is_empty() && codesign.is_empty() {
                self.empty();
            }
            self.cards_by_theme(&topics, true, false);
            for i in codesign {
                let it = self.item(i);
                self.para(
                    Style::Bullet,
                    vec![
                        Span::bold(format!("[{}] ", it.reference)),
                        Span::plain(short(it.title(), 300)),
                        Span::italic(
                            " (proposta di co-progettazione: vedi le proposte di governance)",
                        ),
                    ],
                );
            }
        }
    }

    fn accordo(&mut self) {
        let o = self.o;
        let p = &o.participation;
        if self.section("parti", Some(format!("{} enti", p.by_organisation.len()))) {
            self.participation(p, o.sessions.len() > 1);
        }
        self.section("finalita", None);
        let proposals = o.proposals_by_votes();
        if self.section(
            "governance",
            Some(count_word(proposals.len(), "proposta", "proposte")),
        ) {
            if proposals.is_empty() {
                self.empty();
            } else {
                let rows = proposals
                    .iter()
                    .map(|&i| {
                        let it = self.item(i);
                        let instrument = match &it.card.content {
                            CardContent::Proposta(p) => p.instrument.as_deref().unwrap_or_default(),
                            _ => "",
                        };
                        vec![
                            Cow::Owned(it.reference.clone()),
                            short(it.title(), 300),
                            Cow::Borrowed(instrument),
                            Cow::Owned(it.votes.to_string()),
                        ]
                    })
                    .collect();
                self.table(
                    &[800, 5338, 2500, 1000],
                    &["Rif.", "Proposta", "Strumento", "Voti"],
                    rows,
                );
            }
        }
        self.proposals_section("collaborazione", &proposals);
        self.indicators_section("monitoraggio", o);
        self.section("adesioni", None);
    }

    fn verbale(&mut self) {
        let o = self.o;
        let several = o.sessions.len() > 1;
        for si in 0..o.sessions.len() {
            self.part = si;
            let s = &o.sessions[si];
            if several {
                if si > 0 {
                    self.blocks.push(Block::PageBreak);
                }
                self.base = 0;
                let title = non_empty(self.text("seduta_intestazione"))
                    .map(Cow::Borrowed)
                    .unwrap_or_else(|| Cow::Owned(format!("Seduta del {}", s.date_label)));
                self.heading(
                    1,
                    title,
                    Some(count_word(
                        o.in_session(si).len(),
                        "contributo",
                        "contributi",
                    )),
                );
                self.base = 1;
            }
            if self.section("seduta", Some(s.date_label.clone())) {
                let w = o.workshop;
                let mut rows = vec![
                    vec![Cow::Borrowed("Data"), Cow::Owned(s.date_long.clone())],
                    vec![Cow::Borrowed("Orario"), Cow::Owned(s.time_label.clone())],
                    vec![
                        Cow::Borrowed("Luogo"),
                        Cow::Borrowed(s.session.meeting.place.as_str()),
                    ],
                    vec![
                        Cow::Borrowed("Modulo"),
                        Cow::Owned(format!(
                            "{} — {}",
                            s.session.module_number, s.session.module_title
                        )),
                    ],
                    vec![
                        Cow::Borrowed("Conduzione"),
                        Cow::Owned(super::prose::list_it(&w.facilitators)),
                    ],
                ];
                if !s.staff.is_empty() {
                    rows.push(vec![
                        Cow::Borrowed("Hanno guidato la lavagna"),
                        Cow::Owned(super::prose::list_it(&s.staff)),
                    ]);
                }
                self.table(&[2900, 6738], &["Voce", "Dettaglio"], rows);
            }
            if self.section(
                "presenze",
                Some(format!("{} persone", s.participation.people)),
            ) {
                self.participation(&s.participation, false);
            }
            if self.section(
                "svolgimento",
                Some(count_word(s.phases.len(), "fase", "fasi")),
            ) {
                if s.phases.is_empty() {
                    self.empty();
                } else {
                    let rows = s
                        .phases
                        .iter()
                        .map(|p| {
                            vec![
                                Cow::Borrowed(p.at.as_str()),
                                Cow::Borrowed(p.label.as_str()),
                                Cow::Borrowed(p.by.as_str()),
                            ]
                        })
                        .collect();
                    self.table(&[1400, 4638, 3600], &["Ora", "Fase", "Aperta da"], rows);
                }
            }
            let mine = o.in_session(si);
            if self.section(
                "contributi",
                Some(count_word(mine.len(), "contributo", "contributi")),
            ) {
                if mine.is_empty() {
                    self.empty();
                }
                let columns = &s.session.board.template.columns;
                let mut done = vec![false; mine.len()];
                for col in columns {
                    let ids: Vec<usize> = mine
                        .iter()
                        .enumerate()
                        .filter(|(_, i)| self.item(**i).card.column == col.card_type)
                        .map(|(k, i)| {
                            done[k] = true;
                            *i
                        })
                        .collect();
                    if ids.is_empty() {
                        continue;
                    }
                    self.heading(
                        2,
                        col.title.as_str(),
                        Some(count_word(ids.len(), "contributo", "contributi")),
                    );
                    self.cards_by_theme(&ids, true, true);
                }
                let rest: Vec<usize> = mine
                    .iter()
                    .zip(&done)
                    .filter(|(_, d)| !**d)
                    .map(|(i, _)| *i)
                    .collect();
                if !rest.is_empty() {
                    self.heading(2, "Altri contributi", None);
                    self.cards_by_theme(&rest, true, true);
                }
            }
            let ranked = o.priorities(|it| it.session == si);
            if self.section("esiti", None) {
                if ranked.is_empty() {
                    self.para(
                        Style::Note,
                        vec![Span::plain("Nella seduta non si sono espressi voti.")],
                    );
                } else {
                    self.priorities_table(&ranked);
                }
                let themes: Vec<_> = o
                    .by_theme(&mine)
                    .into_iter()
                    .filter(|(t, _)| t.is_some())
                    .collect();
                if !themes.is_empty() {
                    self.para(
                        Style::Normal,
                        vec![Span::plain("Temi individuati nella seduta:")],
                    );
                }
                for (theme, ids) in themes {
                    if let Some(t) = theme {
                        self.para(
                            Style::Bullet,
                            vec![
                                Span::plain(format!("Tema «{t}»: ")),
                                Span::plain(count_word(ids.len(), "contributo", "contributi")),
                            ],
                        );
                    }
                }
                let merged: usize = mine.iter().map(|&i| self.item(i).card.merged.len()).sum();
                if merged > 0 {
                    self.para(
                        Style::Note,
                        vec![Span::plain(format!(
                            "{} uniti ad altri simili: ciascuno compare una sola volta.",
                            count_word(merged, "contributo è stato", "contributi sono stati")
                        ))],
                    );
                }
            }
            if self.section("chiusura", None) {
                for (_, line) in paragraphs(self.text("firme")) {
                    self.para(Style::Signature, vec![Span::plain(line)]);
                }
            }
        }
        self.base = 0;
    }

    fn next_appendix(&mut self, title: &'o str, summary: Option<String>) {
        let letter = char::from(b'A' + self.appendix);
        self.appendix += 1;
        self.blocks.push(Block::PageBreak);
        self.blocks.push(Block::Heading {
            level: 1,
            number: format!("Allegato {letter} –"),
            text: Cow::Borrowed(title),
            summary,
        });
    }

    fn traceability(&mut self, only: Option<&[Kind]>) {
        let o = self.o;
        let Some(title) = non_empty(self.text("tracciabilita_titolo")) else {
            return;
        };
        let ids: Vec<usize> = (0..o.items.len())
            .filter(|&i| only.is_none_or(|k| k.contains(&o.items[i].kind)))
            .collect();
        self.next_appendix(
            title,
            Some(count_word(ids.len(), "contributo", "contributi")),
        );
        self.prose("tracciabilita");
        if o.unrevealed > 0 {
            self.para(
                Style::Note,
                vec![Span::plain(format!(
                    "{} non ancora rivelati in sala quando il documento è stato generato: non sono riportati.",
                    count_word(o.unrevealed, "contributo era", "contributi erano")
                ))],
            );
        }
        if ids.is_empty() {
            self.empty();
            return;
        }
        let rows = ids
            .iter()
            .map(|&i| {
                let it = self.item(i);
                let s = &o.sessions[it.session];
                vec![
                    Cow::Owned(it.reference.clone()),
                    Cow::Owned(s.session.meeting.date.format("%d/%m/%Y").to_string()),
                    Cow::Owned(
                        o.when(it.card.created_at)
                            .split(' ')
                            .nth(1)
                            .unwrap_or_default()
                            .to_string(),
                    ),
                    Cow::Borrowed(it.kind.label()),
                    Cow::Borrowed(if it.card.anonymous {
                        "—"
                    } else {
                        it.organisation().unwrap_or_default()
                    }),
                    Cow::Borrowed(it.author_name().unwrap_or("Anonimo")),
                    short(it.title(), 90),
                ]
            })
            .collect();
        self.table(
            &[650, 1150, 700, 1200, 2000, 1538, 2400],
            &[
                "Rif.",
                "Incontro",
                "Ora",
                "Tipo",
                "Ente",
                "Autore",
                "Contributo",
            ],
            rows,
        );
    }

    fn hidden(&mut self, only: Option<&[Kind]>) {
        let o = self.o;
        if o.scope.hidden != HiddenCards::Apart {
            return;
        }
        let Some(title) = non_empty(self.text("nascosti_titolo")) else {
            return;
        };
        let hidden: Vec<&Item> = o
            .hidden
            .iter()
            .filter(|it| only.is_none_or(|k| k.contains(&it.kind)))
            .collect();
        self.next_appendix(
            title,
            Some(count_word(hidden.len(), "contributo", "contributi")),
        );
        self.prose("nascosti");
        if hidden.is_empty() {
            self.empty();
            return;
        }
        let rows = hidden
            .into_iter()
            .map(|it| {
                vec![
                    Cow::Owned(it.reference.clone()),
                    Cow::Owned(
                        o.sessions[it.session]
                            .session
                            .meeting
                            .date
                            .format("%d/%m/%Y")
                            .to_string(),
                    ),
                    short(it.title(), 500),
                    Cow::Borrowed(it.hidden_reason.unwrap_or_default()),
                ]
            })
            .collect();
        self.table(
            &[650, 1150, 4838, 3000],
            &["Rif.", "Incontro", "Contributo", "Motivo"],
            rows,
        );
    }
}

fn count_word(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn sessions_word(n: usize) -> String {
    count_word(n, "incontro", "incontri")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keeps_one_line_within_the_limit() {
        assert!(matches!(short("breve", 10), Cow::Borrowed("breve")));
        assert_eq!(short("due\nrighe  e\tspazi", 100), "due righe e spazi");
        assert_eq!(short("abcdefghij", 4), "abcd…");
        assert_eq!(short("😀😀😀", 2), "😀😀…");
    }
}
