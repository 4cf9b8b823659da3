//! How a table's columns share the width of the page: chosen from what the table holds, so
//! that no header word and no short value (a number, a date, a reference such as "B12", a
//! unit) is cut in the middle, whatever the board holds.
//!
//! Each column asks for a width at three levels of need, measured at the table's font size
//! (`measure.rs`), each level at least the one before:
//!
//! 1. **header**: its header's longest word, in bold;
//! 2. **short words**: a short column also its cells' longest word, a text column a floor that
//!    keeps it readable: short values (references such as "M1-1/I01", dates, numbers) come
//!    whole before any long word of running text;
//! 3. **words**: a text column also its cells' longest word (at most a third of the page: one
//!    pasted address must not take the table);
//! 4. **ample**: a short column its longest value on one line (up to a quarter of the page); a
//!    text column its share of half the page by weight (no more than its longest text needs).
//!
//! The widths are the highest level the page can give every column, with the columns between
//! two levels when the page holds one but not the next (each moves up from the lower level by
//! the same fraction of what it asks for at the higher). What is left after the third level
//! goes to the text columns by weight (to every column, in proportion, when none holds text).
//! The widths always add up to the text width, so every table spans the page from margin to
//! margin.

use super::measure::{self, CELL, CELL_MARGINS, HEADER_CELL, TEXT_WIDTH};
use super::model::{Column, Table};

/// The narrowest a text column gets while the short ones have room for their words: about
/// 2.5 cm, a dozen letters.
const TEXT_FLOOR: u32 = 1_400;
/// The widest a column gets for its longest word.
const WORD_CAP: u32 = TEXT_WIDTH / 3;
/// The widest a short column gets for its longest value.
const VALUE_CAP: u32 = TEXT_WIDTH / 4;

/// Column width for text `w` twips wide: the cell's margins, and 4% with 30 twips to spare, as
/// renderers round glyph positions and bold differs a little between Calibri and Carlito.
fn room_for(w: u32) -> u32 {
    if w == 0 {
        return CELL_MARGINS;
    }
    w + w.div_ceil(25) + 30 + CELL_MARGINS
}

impl Table<'_> {
    /// The column widths in twips; they add up to [`TEXT_WIDTH`].
    pub fn widths(&self) -> Vec<u32> {
        let n = self.columns.len();
        if n == 0 {
            return Vec::new();
        }
        let weights: u32 = self
            .columns
            .iter()
            .map(|c| match c {
                Column::Text(w) => u32::from(*w).max(1),
                Column::Short => 0,
            })
            .sum();
        let mut header = vec![0; n];
        let mut shorts = vec![0; n];
        let mut words = vec![0; n];
        let mut ample = vec![0; n];
        for (i, column) in self.columns.iter().enumerate() {
            let head = room_for(
                self.header
                    .get(i)
                    .map_or(0, |h| measure::longest_word(h, HEADER_CELL)),
            );
            // The cells' longest word, and their longest line.
            let (word, line) =
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .fold((0, 0), |(word, line), c| {
                        let longest_line = c
                            .split('\n')
                            .map(|l| measure::width(l, CELL))
                            .max()
                            .unwrap_or(0);
                        (
                            word.max(measure::longest_word(c, CELL)),
                            line.max(longest_line),
                        )
                    });
            header[i] = head;
            words[i] = head.max(room_for(word).min(WORD_CAP));
            shorts[i] = match column {
                Column::Short => words[i],
                Column::Text(_) => head.max(TEXT_FLOOR),
            };
            ample[i] = match column {
                Column::Short => words[i].max(room_for(line).min(VALUE_CAP)),
                Column::Text(w) => {
                    words[i] = words[i].max(TEXT_FLOOR);
                    let share = TEXT_WIDTH / 2 * u32::from(*w).max(1) / weights.max(1);
                    words[i].max(share.min(room_for(line)))
                }
            };
        }
        let widths = if sum(&ample) <= TEXT_WIDTH {
            spread(&ample, &self.columns, TEXT_WIDTH - sum(&ample))
        } else if sum(&words) <= TEXT_WIDTH {
            between(&words, &ample, TEXT_WIDTH)
        } else if sum(&shorts) <= TEXT_WIDTH {
            between(&shorts, &words, TEXT_WIDTH)
        } else if sum(&header) <= TEXT_WIDTH {
            between(&header, &shorts, TEXT_WIDTH)
        } else {
            // More header than page: our tables never get here (a test measures every one);
            // shrink everything alike.
            between(&vec![0; n], &header, TEXT_WIDTH)
        };
        exact(widths, &self.columns)
    }
}

fn sum(v: &[u32]) -> u32 {
    v.iter().sum()
}

/// `lo`, each column moved towards `hi` by the same fraction of its difference, to `total`
/// (`sum(lo) <= total < sum(hi)`).
fn between(lo: &[u32], hi: &[u32], total: u32) -> Vec<u32> {
    let gap = u64::from(sum(hi) - sum(lo));
    let extra = u64::from(total - sum(lo));
    lo.iter()
        .zip(hi)
        .map(|(&l, &h)| l + (u64::from(h - l) * extra / gap) as u32)
        .collect()
}

/// `base` with `extra` shared among the text columns by weight, or among all columns in
/// proportion to their width when none holds text.
fn spread(base: &[u32], columns: &[Column], extra: u32) -> Vec<u32> {
    let weights: Vec<u64> = columns
        .iter()
        .map(|c| match c {
            Column::Text(w) => u64::from(*w).max(1),
            Column::Short => 0,
        })
        .collect();
    let weights: Vec<u64> = if weights.iter().sum::<u64>() == 0 {
        base.iter().map(|&b| u64::from(b)).collect()
    } else {
        weights
    };
    let total: u64 = weights.iter().sum::<u64>().max(1);
    base.iter()
        .zip(&weights)
        .map(|(&b, &w)| b + (u64::from(extra) * w / total) as u32)
        .collect()
}

/// Gives the rounding remainder to the widest text column (the widest column when none holds
/// text), so that the widths add up to exactly [`TEXT_WIDTH`].
fn exact(mut widths: Vec<u32>, columns: &[Column]) -> Vec<u32> {
    let sum = sum(&widths);
    let target = (0..widths.len())
        .filter(|&i| matches!(columns[i], Column::Text(_)))
        .max_by_key(|&i| widths[i])
        .or_else(|| (0..widths.len()).max_by_key(|&i| widths[i]));
    if let Some(i) = target {
        widths[i] = (widths[i] + TEXT_WIDTH).saturating_sub(sum);
    }
    widths
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::export::document::model::Column::{Short, Text};

    fn table<'a>(columns: &[Column], header: &[&'a str], rows: &[&[&'a str]]) -> Table<'a> {
        Table {
            caption: "Prova".into(),
            columns: columns.to_vec(),
            header: header.iter().map(|h| Cow::Borrowed(*h)).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| Cow::Borrowed(*c)).collect())
                .collect(),
            keep_together: false,
        }
    }

    /// The room `text` needs on one line in a cell, at the header's or the cells' font.
    fn fits(width: u32, text: &str, font: measure::Font) -> bool {
        measure::width(text, font) + CELL_MARGINS <= width
    }

    #[test]
    fn widths_add_up_to_the_text_width_and_short_columns_fit_their_words() {
        let t = table(
            &[Short, Text(3), Short, Short, Short],
            &["Rif.", "Contributo", "Frequenza", "Contributi", "Voti"],
            &[
                &[
                    "B12",
                    "Un testo lungo quanto basta",
                    "quadrimestrale",
                    "12",
                    "3",
                ],
                &["I123", "Breve", "31/12/2023", "1", "10"],
            ],
        );
        let w = t.widths();
        assert_eq!(w.iter().sum::<u32>(), TEXT_WIDTH);
        for (i, h) in t.header.iter().enumerate() {
            assert!(fits(w[i], h, HEADER_CELL), "{h}: {}", w[i]);
        }
        assert!(fits(w[0], "I123", CELL));
        assert!(fits(w[2], "quadrimestrale", CELL));
        // The text column takes what the others leave.
        assert!(w[1] > TEXT_WIDTH / 2, "{w:?}");
    }

    #[test]
    fn a_crowded_table_keeps_its_header_words_whole_before_its_values() {
        // Seven columns of long values: the values cannot all fit on one line, the header
        // words still do, and the text columns keep their floor.
        let long = "valore molto lungo che non entra in una colonna stretta";
        let t = table(
            &[Short, Text(3), Text(1), Text(2), Short, Short, Short],
            &[
                "Rif.",
                "Indicatore",
                "Tipo",
                "Fonte del dato",
                "Valore di partenza",
                "Valore obiettivo",
                "Frequenza",
            ],
            &[&["I12", long, long, long, long, long, long]],
        );
        let w = t.widths();
        assert_eq!(w.iter().sum::<u32>(), TEXT_WIDTH);
        for (i, h) in t.header.iter().enumerate() {
            for word in h.split_whitespace() {
                assert!(fits(w[i], word, HEADER_CELL), "{word}: {w:?}");
            }
        }
        assert!(w[1] >= TEXT_FLOOR && w[2] >= TEXT_FLOOR && w[3] >= TEXT_FLOOR);
    }

    #[test]
    fn a_pathological_word_does_not_take_the_table() {
        let huge = "x".repeat(5_000);
        let t = table(
            &[Short, Text(1)],
            &["Rif.", "Contributo"],
            &[&[&huge, &huge]],
        );
        let w = t.widths();
        assert_eq!(w.iter().sum::<u32>(), TEXT_WIDTH);
        assert!(w[0] <= WORD_CAP.max(VALUE_CAP), "{w:?}");
        assert!(w[1] >= TEXT_FLOOR);
    }

    #[test]
    fn without_text_columns_the_short_ones_share_the_page() {
        let t = table(&[Short, Short], &["Ora", "Fase"], &[&["10:01", "Voto"]]);
        let w = t.widths();
        assert_eq!(w.iter().sum::<u32>(), TEXT_WIDTH);
        assert!(w[0] > 2_000 && w[1] > 2_000, "{w:?}");
        assert!(table(&[], &[], &[]).widths().is_empty());
    }

    #[test]
    fn between_levels_every_column_moves_by_the_same_fraction() {
        assert_eq!(between(&[100, 100], &[300, 500], 400), vec![166, 233]);
        assert_eq!(
            exact(vec![166, 233], &[Short, Text(1)]),
            vec![166, TEXT_WIDTH - 166]
        );
    }
}
