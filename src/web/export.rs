//! Exports over HTTP: the downloads of `/api/v1/…/export.{docx,csv,json}` and the export page
//! `/incontri/{id}/esporta` with a preview of the document's outline.
//!
//! Who may export (rule in `domain::access::export_grant`): organisers, and the facilitators of
//! the workshop, everything (any Ambito, hidden cards listed apart on request); an Ambito
//! referent — a participant of the workshop whose confirmed enrollment names an Ambito — only
//! their own Ambito (the filter is forced; asking for another Ambito or for the hidden cards is
//! refused); guests and everyone else nothing.
//!
//! Query parameters: `type` (or `tipo`) = `verbale` | `coprogrammazione` | `accordo` (Word
//! only; default `verbale` for a meeting, `coprogrammazione` otherwise), `ambito` = an Ambito's
//! name, `nascosti` = `ometti` (default) | `allegato` (by reference, date and reason) | `testo`
//! (with their text: organisers only), on the workshop routes `modulo` = a module number
//! (absent: the whole workshop), and on the CSV routes `formato` = `contributi` (default: the
//! cards) | `obiettivi` (the objectives with their resources by fund).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::access::{Action, ExportGrant, Principal, export_grant};
use crate::export::{self, DocType, ExportFile, Extent, Format, HiddenCards, Scope};
use crate::services::catalogue::Entry;
use crate::services::{audit, enrollment};
use crate::web::auth::Viewer;
use crate::web::view::page;
use crate::web::{AppError, AppState};

/// The query parameters of the exports (see the module's documentation).
#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    #[serde(rename = "type", default)]
    doc_type: Option<String>,
    #[serde(default)]
    tipo: Option<String>,
    #[serde(default)]
    ambito: Option<String>,
    #[serde(default)]
    nascosti: Option<String>,
    #[serde(default)]
    modulo: Option<String>,
    /// CSV only: `contributi` | `obiettivi`.
    #[serde(default)]
    formato: Option<String>,
    /// Export page only: `incontro` | `modulo` | `laboratorio`.
    #[serde(default)]
    estensione: Option<String>,
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ExportQuery {
    fn doc_type(&self, default: DocType) -> Result<DocType, AppError> {
        match filled(&self.doc_type).or(filled(&self.tipo)) {
            None => Ok(default),
            Some(t) => DocType::parse(t).ok_or_else(|| {
                AppError::BadRequest(
                    "Tipo di documento non valido: usa verbale, coprogrammazione o accordo.".into(),
                )
            }),
        }
    }

    fn hidden(&self) -> Result<HiddenCards, AppError> {
        HiddenCards::parse(filled(&self.nascosti).unwrap_or_default()).ok_or_else(|| {
            AppError::BadRequest(
                "Valore di «nascosti» non valido: usa ometti, allegato o testo.".into(),
            )
        })
    }

    fn module(&self) -> Result<Option<u32>, AppError> {
        filled(&self.modulo)
            .map(|m| {
                m.parse::<u32>()
                    .map_err(|_| AppError::BadRequest("Numero di modulo non valido.".into()))
            })
            .transpose()
    }
}

/// What `viewer` may export from `entry`, or why not.
async fn grant(state: &AppState, viewer: &Viewer, entry: &Entry) -> Result<ExportGrant, AppError> {
    let referent_ambito = match viewer.principal {
        Principal::Anonymous => return Err(AppError::Unauthorized),
        Principal::Participant {
            enrollment_id,
            workshop_id,
        } if workshop_id == entry.id => {
            enrollment::referent_ambito(&state.store, enrollment_id).await?
        }
        _ => None,
    };
    export_grant(&viewer.principal, entry.id, referent_ambito.as_deref()).ok_or_else(|| {
        AppError::Forbidden(
            match viewer.principal {
                Principal::Guest { .. } => {
                    "Chi partecipa come ospite non può esportare i documenti."
                }
                Principal::Participant { .. } => {
                    "Esportano i documenti chi conduce il laboratorio, l'organizzazione e i \
                     referenti di Ambito (iscritti con l'Ambito indicato e confermati)."
                }
                _ => "Non conduci questo laboratorio.",
            }
            .into(),
        )
    })
}

/// The scope asked for, within what the grant allows.
fn scope(
    viewer: &Viewer,
    grant: &ExportGrant,
    extent: Extent,
    q: &ExportQuery,
) -> Result<Scope, AppError> {
    let hidden = q.hidden()?;
    let requested = filled(&q.ambito).map(str::to_string);
    match grant {
        ExportGrant::Everything => {
            if hidden.with_text() && !viewer.principal.may(Action::ExportHiddenText) {
                return Err(AppError::Forbidden(
                    "Il testo dei contributi nascosti dalla moderazione può contenere dati \
                     personali: lo esporta solo l'organizzazione."
                        .into(),
                ));
            }
            Ok(Scope {
                extent,
                ambito: requested,
                hidden,
            })
        }
        ExportGrant::OnlyAmbito(own) => {
            if let Some(r) = &requested {
                if r.to_lowercase() != own.to_lowercase() {
                    return Err(AppError::Forbidden(format!(
                        "Puoi esportare solo i dati del tuo Ambito ({own})."
                    )));
                }
            }
            if hidden.listed() {
                return Err(AppError::Forbidden(
                    "I contributi nascosti dalla moderazione sono riservati a chi conduce.".into(),
                ));
            }
            Ok(Scope {
                extent,
                ambito: Some(own.clone()),
                hidden,
            })
        }
    }
}

fn download(file: ExportFile) -> Response {
    let mut res = file.bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    // `file_name` keeps names to ASCII letters, digits, '-', '_' and '.'.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn run(
    state: &AppState,
    viewer: &Viewer,
    entry: &Arc<Entry>,
    scope: Scope,
    format: Format,
) -> Result<Response, AppError> {
    let detail = scope.describe();
    let file = export::export(
        state.store.clone(),
        entry.clone(),
        state.templates.clone(),
        scope,
        format,
    )
    .await?;
    let actor = match &viewer.principal {
        Principal::Participant { enrollment_id, .. } => format!("iscrizione {enrollment_id}"),
        _ => viewer.actor(),
    };
    audit::record_export(&state.store, &actor, entry.id, &file.filename, &detail).await?;
    Ok(download(file))
}

fn format_of(ext: &str, q: &ExportQuery, default: DocType) -> Result<Format, AppError> {
    let formato = filled(&q.formato);
    if ext == "csv" {
        return Format::parse_csv(formato.unwrap_or_default()).ok_or_else(|| {
            AppError::BadRequest(
                "Valore di «formato» non valido: usa contributi o obiettivi.".into(),
            )
        });
    }
    if formato.is_some() {
        return Err(AppError::BadRequest(
            "Il parametro «formato» vale solo per i file CSV (export.csv).".into(),
        ));
    }
    Ok(match ext {
        "docx" => Format::Docx(q.doc_type(default)?),
        _ => Format::Json,
    })
}

async fn meeting_export(
    state: AppState,
    viewer: Viewer,
    id: i64,
    q: ExportQuery,
    ext: &str,
) -> Result<Response, AppError> {
    let entry = state
        .catalogue
        .meeting(id)
        .ok_or(AppError::NotFound)?
        .entry
        .clone();
    let g = grant(&state, &viewer, &entry).await?;
    let format = format_of(ext, &q, DocType::Verbale)?;
    let scope = scope(&viewer, &g, Extent::Meeting(id), &q)?;
    run(&state, &viewer, &entry, scope, format).await
}

async fn workshop_export(
    state: AppState,
    viewer: Viewer,
    slug: String,
    q: ExportQuery,
    ext: &str,
) -> Result<Response, AppError> {
    let entry = state
        .catalogue
        .by_slug(&slug)
        .ok_or(AppError::NotFound)?
        .clone();
    let g = grant(&state, &viewer, &entry).await?;
    let format = format_of(ext, &q, DocType::Coprogrammazione)?;
    let extent = match q.module()? {
        Some(n) => Extent::Module(n),
        None => Extent::Workshop,
    };
    let scope = scope(&viewer, &g, extent, &q)?;
    run(&state, &viewer, &entry, scope, format).await
}

/// `GET /api/v1/meetings/{id}/export.docx`
pub async fn meeting_docx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    meeting_export(state, viewer, id, q, "docx").await
}

/// `GET /api/v1/meetings/{id}/export.csv[?formato=obiettivi]`
pub async fn meeting_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    meeting_export(state, viewer, id, q, "csv").await
}

/// `GET /api/v1/meetings/{id}/export.json`
pub async fn meeting_json(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    meeting_export(state, viewer, id, q, "json").await
}

/// `GET /api/v1/workshops/{slug}/export.docx[?modulo=N]`
pub async fn workshop_docx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    workshop_export(state, viewer, slug, q, "docx").await
}

/// `GET /api/v1/workshops/{slug}/export.csv[?modulo=N][&formato=obiettivi]`
pub async fn workshop_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    workshop_export(state, viewer, slug, q, "csv").await
}

/// `GET /api/v1/workshops/{slug}/export.json[?modulo=N]`
pub async fn workshop_json(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    workshop_export(state, viewer, slug, q, "json").await
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// `GET /incontri/{id}/esporta`: choose document, extent, Ambito; preview; download.
pub async fn export_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let m = state.catalogue.meeting(id).ok_or(AppError::NotFound)?;
    let entry = m.entry.clone();
    let g = grant(&state, &viewer, &entry).await?;
    let module_number = m.module.number;
    let extent_id = match filled(&q.estensione) {
        Some("modulo") => "modulo",
        Some("laboratorio") => "laboratorio",
        _ => "incontro",
    };
    let extent = match extent_id {
        "modulo" => Extent::Module(module_number),
        "laboratorio" => Extent::Workshop,
        _ => Extent::Meeting(id),
    };
    let default_doc = if extent_id == "incontro" {
        DocType::Verbale
    } else {
        DocType::Coprogrammazione
    };
    let doc = q.doc_type(default_doc)?;
    let scope = scope(&viewer, &g, extent.clone(), &q)?;
    let staff = matches!(g, ExportGrant::Everything);

    // Ambiti to choose from: the workshop's list and those people gave when enrolling.
    let mut ambiti: Vec<String> = entry.workshop.ambiti.clone();
    if staff {
        for a in enrollment::declared_ambiti(&state.store, entry.id).await? {
            if !ambiti.iter().any(|x| x.to_lowercase() == a.to_lowercase()) {
                ambiti.push(a);
            }
        }
        ambiti.sort_by_key(|a| a.to_lowercase());
    }
    if let Some(a) = &scope.ambito {
        if !ambiti.iter().any(|x| x.to_lowercase() == a.to_lowercase()) {
            ambiti.push(a.clone());
        }
    }
    let preview = export::preview(
        state.store.clone(),
        entry.clone(),
        state.templates.clone(),
        scope.clone(),
        doc,
    )
    .await?;

    let mut params: Vec<(&str, String)> = Vec::new();
    if let Extent::Module(n) = extent {
        params.push(("modulo", n.to_string()));
    }
    if let Some(a) = &scope.ambito {
        params.push(("ambito", a.clone()));
    }
    if scope.hidden.listed() {
        params.push(("nascosti", scope.hidden.id().into()));
    }
    let base = match extent {
        Extent::Meeting(_) => format!("/api/v1/meetings/{id}/export"),
        _ => format!(
            "/api/v1/workshops/{}/export",
            export::slug(&entry.workshop.slug)
        ),
    };
    let data_query = serde_urlencoded::to_string(&params).unwrap_or_default();
    let mut objectives_params = params.clone();
    objectives_params.push(("formato", "obiettivi".into()));
    let objectives_query = serde_urlencoded::to_string(&objectives_params).unwrap_or_default();
    let mut doc_params = params.clone();
    doc_params.push(("type", doc.id().to_string()));
    let doc_query = serde_urlencoded::to_string(&doc_params).unwrap_or_default();
    let with_query = |ext: &str, query: &str| {
        if query.is_empty() {
            format!("{base}.{ext}")
        } else {
            format!("{base}.{ext}?{query}")
        }
    };
    let docs: Vec<Choice> = DocType::ALL
        .iter()
        .map(|d| Choice {
            value: d.id().into(),
            label: d.label().into(),
            selected: *d == doc,
        })
        .collect();
    let extents = vec![
        Choice {
            value: "incontro".into(),
            label: format!(
                "Questo incontro ({})",
                crate::domain::dates::format_date(m.meeting.date)
            ),
            selected: extent_id == "incontro",
        },
        Choice {
            value: "modulo".into(),
            label: format!("Tutto il modulo {module_number} — {}", m.module.title),
            selected: extent_id == "modulo",
        },
        Choice {
            value: "laboratorio".into(),
            label: "L'intero laboratorio".into(),
            selected: extent_id == "laboratorio",
        },
    ];
    let meeting = json!({
        "id": id,
        "number": m.meeting.number,
        "title": m.meeting.title.clone().unwrap_or_else(|| m.module.title.clone()),
        "date_label": crate::domain::dates::format_date(m.meeting.date),
        "module_number": module_number,
        "module_title": m.module.title,
        "workshop_title": entry.workshop.title,
    });
    let mut res = page(
        &state,
        &viewer,
        "export/page.html",
        crate::ctx! {
            meeting,
            staff,
            docs,
            extents,
            ambiti,
            ambito => scope.ambito,
            hidden => scope.hidden.id(),
            hidden_text_allowed => viewer.principal.may(Action::ExportHiddenText),
            doc_label => doc.label(),
            preview,
            docx_url => with_query("docx", &doc_query),
            csv_url => with_query("csv", &data_query),
            objectives_url => with_query("csv", &objectives_query),
            json_url => with_query("json", &data_query),
            json_schema => export::json::SCHEMA,
        },
    )?;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
