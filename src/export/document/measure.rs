//! How much room text takes on the page, so that the layout can size table columns and foresee
//! page breaks without a typesetter: the page `docx.rs` sets up and the widths of the font.
//!
//! The page is A4 with 2 cm margins. The documents are set in Calibri (`styles.xml`): Word has
//! it, and LibreOffice puts Carlito in its place, a font made with Calibri's metrics. The
//! tables below are Carlito's advance widths, regular and bold, in 1/2048 em, for printable
//! ASCII and Latin-1 (accented Italian letters included). Any other character counts as wide
//! as the widest Latin letter, and East Asian scripts and emoji as a full em, so that a
//! measure errs wide, never narrow; kerning only ever narrows text.

/// A4 width, in twentieths of a point (twips).
pub const PAGE_WIDTH: u32 = 11_906;
/// A4 height, in twips.
pub const PAGE_HEIGHT: u32 = 16_838;
/// Each margin (2 cm), in twips.
pub const MARGIN: u32 = 1_134;
/// Where header and footer sit, from the edge of the page (1 cm), in twips.
pub const HEADER_DISTANCE: u32 = 567;
/// Width of the text between the margins: 9,638 twips.
pub const TEXT_WIDTH: u32 = PAGE_WIDTH - 2 * MARGIN;
/// Height of the text between the margins: 14,570 twips.
pub const TEXT_HEIGHT: u32 = PAGE_HEIGHT - 2 * MARGIN;

/// Calibri's line in em: (ascent + descent) / units per em, as Word spaces single lines.
const LINE_UNITS: u32 = 2_500;
const UNITS_PER_EM: u32 = 2_048;

/// A font size and weight, as the styles of `styles.xml` set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Font {
    /// Size in half-points (`w:sz`).
    pub half_points: u32,
    pub bold: bool,
}

impl Font {
    pub const fn new(half_points: u32, bold: bool) -> Font {
        Font { half_points, bold }
    }

    /// Height of one line in twips, at `line` 240ths of single spacing (`w:line`, `auto`).
    pub fn line_height(self, line: u32) -> u32 {
        (self.half_points * 10 * LINE_UNITS * line).div_ceil(UNITS_PER_EM * 240)
    }
}

/// Table text (`TestoTabella`: 9.5 pt).
pub const CELL: Font = Font::new(19, false);
/// Header cells (`IntestazioneTabella`: 9.5 pt bold).
pub const HEADER_CELL: Font = Font::new(19, true);
/// Space a cell keeps on each side of its text (`TableNormal`: 108 twips left and right).
pub const CELL_MARGINS: u32 = 2 * 108;

/// Advance width of `c` in 1/2048 em.
pub fn char_units(c: char, bold: bool) -> u32 {
    let (ascii, latin1) = if bold {
        (&BOLD_ASCII, &BOLD_LATIN1)
    } else {
        (&REGULAR_ASCII, &REGULAR_LATIN1)
    };
    let u = u32::from(c);
    match u {
        0x20..=0x7e => u32::from(ascii[(u - 0x20) as usize]),
        0xa0..=0xff => u32::from(latin1[(u - 0xa0) as usize]),
        // Tabs and breaks are laid out apart; other controls never reach a document.
        0..=0x1f | 0x7f..=0x9f | 0x200b..=0x200f | 0xfe00..=0xfe0f => 0,
        // Dashes, quotes, ellipsis, euro: Calibri's widths.
        0x2013 => 1020,
        0x2014 => 1854,
        0x2018..=0x201a => 528,
        0x201c..=0x201e => 891,
        0x2026 => 1457,
        0x20ac => 1038,
        // East Asian scripts, emoji and other symbols from the astral planes: a full em.
        0x1100..=0x115f | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xff00..=0xff60 => {
            UNITS_PER_EM
        }
        0x1_0000.. => UNITS_PER_EM,
        // Anything else (Greek, Cyrillic, Arabic, Hebrew, symbols): about an "M", wide enough
        // for the fonts that stand in for Calibri in those scripts.
        _ => 1_400,
    }
}

/// Width of `s` on one line, in twips.
pub fn width(s: &str, font: Font) -> u32 {
    let units: u64 = s.chars().map(|c| u64::from(char_units(c, font.bold))).sum();
    let twips = (units * u64::from(font.half_points) * 10).div_ceil(u64::from(UNITS_PER_EM));
    u32::try_from(twips).unwrap_or(u32::MAX)
}

/// Width of the widest word of `s` (words are separated by white space), in twips.
pub fn longest_word(s: &str, font: Font) -> u32 {
    s.split_whitespace()
        .map(|w| width(w, font))
        .max()
        .unwrap_or(0)
}

/// How many lines `s` takes in `room` twips, wrapped at spaces as a word processor does (a word
/// wider than the room is cut into as many lines as it needs). An empty text takes one line.
pub fn lines(s: &str, font: Font, room: u32) -> u32 {
    let room = room.max(1);
    let space = width(" ", font);
    let mut total = 0;
    for line in s.split('\n') {
        let mut n = 1;
        let mut x = 0;
        for word in line.split_whitespace() {
            let w = width(word, font);
            if x > 0 && x + space + w <= room {
                x += space + w;
                continue;
            }
            if x > 0 {
                n += 1;
            }
            // A word wider than the line fills whole lines, and its end starts the next.
            n += w.saturating_sub(1) / room;
            x = w - w.saturating_sub(1) / room * room;
        }
        total += n;
    }
    total
}

// Carlito's advance widths (fonts-crosextra-carlito 20220224, read from the fonts' `hmtx`
// tables), in 1/2048 em; the soft hyphen counts nothing and the no-break space as a space.

/// Regular, U+0020–U+007E.
const REGULAR_ASCII: [u16; 95] = [
    463, 667, 821, 1020, 1038, 1464, 1397, 452, 621, 621, 1020, 1020, 511, 627, 517, 791, 1038,
    1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 548, 548, 1020, 1020, 1020, 949, 1831,
    1185, 1114, 1092, 1260, 1000, 941, 1292, 1276, 516, 653, 1064, 861, 1751, 1322, 1356, 1058,
    1378, 1112, 941, 998, 1314, 1162, 1822, 1063, 998, 959, 628, 791, 628, 1020, 1020, 596, 981,
    1076, 866, 1076, 1019, 625, 964, 1076, 470, 490, 931, 470, 1636, 1076, 1080, 1076, 1076, 714,
    801, 686, 1076, 925, 1464, 887, 927, 809, 644, 943, 644, 1020,
];

/// Regular, U+00A0–U+00FF.
const REGULAR_LATIN1: [u16; 96] = [
    463, 667, 1020, 1038, 1020, 1038, 1020, 1020, 804, 1709, 824, 1049, 1020, 0, 1038, 807, 694,
    1020, 688, 685, 598, 1126, 1200, 517, 629, 504, 865, 1049, 1303, 1375, 1383, 949, 1185, 1185,
    1185, 1185, 1185, 1185, 1563, 1092, 1000, 1000, 1000, 1000, 516, 516, 516, 516, 1279, 1322,
    1356, 1356, 1356, 1356, 1356, 1020, 1359, 1314, 1314, 1314, 1314, 998, 1058, 1080, 981, 981,
    981, 981, 981, 981, 1583, 866, 1019, 1019, 1019, 1019, 470, 470, 470, 470, 1076, 1076, 1080,
    1080, 1080, 1080, 1080, 1020, 1084, 1076, 1076, 1076, 1076, 927, 1076, 927,
];

/// Bold, U+0020–U+007E.
const BOLD_ASCII: [u16; 95] = [
    463, 667, 898, 1020, 1038, 1493, 1443, 478, 638, 638, 1020, 1020, 528, 627, 547, 880, 1038,
    1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 565, 565, 1020, 1020, 1020, 949, 1840,
    1241, 1148, 1084, 1291, 999, 940, 1305, 1292, 546, 678, 1120, 866, 1790, 1349, 1385, 1090,
    1405, 1153, 968, 1014, 1337, 1211, 1856, 1128, 1064, 979, 665, 880, 665, 1020, 1020, 615, 1011,
    1099, 857, 1099, 1031, 648, 971, 1099, 503, 523, 983, 503, 1666, 1099, 1101, 1099, 1099, 728,
    817, 710, 1099, 969, 1526, 941, 970, 814, 704, 973, 704, 1020,
];

/// Bold, U+00A0–U+00FF.
const BOLD_LATIN1: [u16; 96] = [
    463, 667, 1020, 1038, 1020, 1038, 1020, 1020, 849, 1709, 852, 1103, 1020, 0, 1038, 799, 701,
    1020, 692, 688, 616, 1154, 1224, 548, 621, 517, 891, 1103, 1347, 1415, 1437, 949, 1241, 1241,
    1241, 1241, 1241, 1241, 1588, 1084, 999, 999, 999, 999, 546, 546, 546, 546, 1309, 1349, 1385,
    1385, 1385, 1385, 1385, 1020, 1394, 1337, 1337, 1337, 1337, 1064, 1090, 1136, 1011, 1011, 1011,
    1011, 1011, 1011, 1587, 857, 1031, 1031, 1031, 1031, 503, 503, 503, 503, 1099, 1099, 1101,
    1101, 1101, 1101, 1101, 1020, 1114, 1099, 1099, 1099, 1099, 970, 1099, 970,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_font_size_and_weight() {
        // "Frequenza" in the header's 9.5 pt bold: 8,852 units of 2,048 at 19 half-points.
        assert_eq!(width("Frequenza", HEADER_CELL), 822);
        assert!(width("Frequenza", CELL) < width("Frequenza", HEADER_CELL));
        assert_eq!(
            width("Anziani", Font::new(38, false)),
            2 * width("Anziani", CELL)
        );
        // Accented letters measure as Calibri has them; other scripts and emoji err wide.
        assert_eq!(width("è", CELL), width("e", CELL));
        assert!(width("ש", CELL) > width("e", CELL));
        assert!(width("😀", CELL) >= width("M", CELL));
        assert_eq!(
            longest_word("Valore di partenza", CELL),
            width("partenza", CELL)
        );
        assert_eq!(longest_word("", CELL), 0);
    }

    #[test]
    fn lines_wrap_at_spaces_and_cut_longer_words() {
        let word = width("parola", CELL);
        let space = width(" ", CELL);
        assert_eq!(lines("", CELL, 1000), 1);
        assert_eq!(lines("parola parola", CELL, 2 * word + space), 1);
        assert_eq!(lines("parola parola", CELL, 2 * word + space - 1), 2);
        assert_eq!(lines("parola\nparola", CELL, 10_000), 2);
        // A word three times the room takes three lines.
        assert_eq!(
            lines(&"x".repeat(30), CELL, width(&"x".repeat(10), CELL)),
            3
        );
    }

    #[test]
    fn the_styles_say_what_the_measures_assume() {
        let styles = crate::export::package::STYLES_XML;
        let style = |id: &str| {
            let at = styles
                .find(&format!("w:styleId=\"{id}\""))
                .unwrap_or_else(|| panic!("{id}"));
            &styles[at..at + styles[at..].find("</w:style>").unwrap()]
        };
        assert!(styles.contains(r#"<w:rFonts w:ascii="Calibri""#));
        assert!(style("TestoTabella").contains(r#"<w:sz w:val="19"/>"#));
        assert!(style("IntestazioneTabella").contains(r#"<w:basedOn w:val="TestoTabella"/>"#));
        assert!(style("IntestazioneTabella").contains("<w:b/>"));
        // A table's caption (`pages.rs`), counted with a table kept on one page.
        assert!(style("Caption").contains(r#"<w:spacing w:before="200" w:after="80"/>"#));
        assert!(
            style("Caption").contains(r#"<w:sz w:val="19"/>"#)
                && style("Caption").contains("<w:b/>")
        );
        assert!(
            style("TableNormal").contains(r#"<w:left w:w="108" w:type="dxa"/>"#)
                && style("TableNormal").contains(r#"<w:right w:w="108" w:type="dxa"/>"#)
        );
        assert_eq!(TEXT_WIDTH, 9_638);
    }
}
