#!/usr/bin/env python3
"""python-docx baseline for examples/bench_export.rs.

Usage: bench_export_pythondocx.py BLOCKS.json OUT.docx

BLOCKS.json is the document Tavolo lays out (`export::document::Document` as JSON): title,
headings, paragraphs with bold/italic runs, tables with a header row, page breaks. This script
writes the same content with python-docx's default template (the way a careful python-docx
user would: tables are created with all their rows, since `add_row()` is quadratic) — headings with its heading
styles, tables in "Table Grid" with the header row marked, the same page header and footer text,
core properties — and prints {"seconds": …, "bytes": …}: the time from the loaded JSON to the
saved file, and the file size.
"""

import json
import os
import sys
import time

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.table import _Cell


def mark_header_row(row):
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def main(blocks_path, out_path):
    with open(blocks_path, encoding="utf-8") as f:
        data = json.load(f)
    started = time.perf_counter()
    doc = Document()
    props = doc.core_properties
    props.title = data["title"]
    props.subject = data["subject"]
    props.author = data["author"]
    props.language = "it-IT"
    section = doc.sections[0]
    section.header.paragraphs[0].text = data["header"]
    section.footer.paragraphs[0].text = "Pagina 1 di 1"
    headings = [b for b in data["blocks"] if b["type"] == "heading" and b["level"] <= 2]
    bullet = "List Bullet"
    for b in data["blocks"]:
        kind = b["type"]
        if kind == "title":
            doc.add_heading(b["text"], 0)
        elif kind == "subtitle":
            doc.add_paragraph(b["text"], style="Subtitle")
        elif kind == "heading":
            doc.add_heading(f'{b["number"]} {b["text"]}', b["level"])
        elif kind == "toc":
            doc.add_paragraph(b["title"], style="TOC Heading")
            for h in headings:
                doc.add_paragraph(f'{h["number"]} {h["text"]}')
        elif kind == "paragraph":
            p = doc.add_paragraph(style=bullet if b["style"] == "bullet" else None)
            for span in b["spans"]:
                run = p.add_run(span["text"])
                if span.get("bold"):
                    run.bold = True
                if span.get("italic"):
                    run.italic = True
        elif kind == "table":
            # All rows at once, cells reached through the XML rows: `table.add_row().cells`
            # rescans the whole table on every row (quadratic: 37 s for 5,000 cards here).
            rows = [b["header"]] + b["rows"]
            table = doc.add_table(rows=len(rows), cols=len(b["header"]))
            table.style = "Table Grid"
            for tr, texts in zip(table._tbl.tr_lst, rows):
                for tc, text in zip(tr.tc_lst, texts):
                    _Cell(tc, table).text = text
            mark_header_row(table.rows[0])
        elif kind == "page_break":
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.save(out_path)
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "bytes": os.path.getsize(out_path)}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
