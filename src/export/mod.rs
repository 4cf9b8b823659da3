//! Exports: data files and (later) Word drafts built from the stored data.

pub mod csv;
