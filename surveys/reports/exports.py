"""Downloads: CSV and Excel (xlsx) streamed row by row, safe to open in a spreadsheet."""

import csv
import io
import os
import tempfile

import xlsxwriter
from flask import Response, stream_with_context

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK_BYTES = 64 * 1024
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """A text cell a spreadsheet will show, never evaluate; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(rows, fields):
    """Yield a CSV header and rows a chunk at a time (constant memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(["" if row[field] is None else neutralise(row[field]) for field in fields])
        if buffer.tell() > CHUNK_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_chunks(rows, fields, sheet_name):
    """Yield an xlsx workbook of the rows in chunks.

    xlsxwriter's constant_memory mode flushes each row to a temporary file as it is
    written, so a million rows take the memory of one; the finished file is then read
    back in chunks and removed.
    """
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        sheet = workbook.add_worksheet(sheet_name)
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, fields, bold)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, [neutralise(row[field]) for field in fields])
        workbook.close()
        with open(path, "rb") as xlsx_file:
            while chunk := xlsx_file.read(CHUNK_BYTES):
                yield chunk
    finally:
        os.remove(path)


def download_filename(name, report_range, kind):
    """A download's file name: puas-NAME-FROM-TO.KIND, FROM and TO the range's days."""
    return f"puas-{name}-{report_range.from_day}-{report_range.to_day}.{kind}"


def download(make_rows, fields, filename, kind):
    """A streamed CSV or xlsx download (`kind` is "csv" or "xlsx").

    `make_rows` is called once the response starts streaming, after the view has
    returned; stream_with_context keeps the app context, and with it the thread's
    connection, until the stream ends.
    """

    def rows():
        yield from make_rows()

    if kind == "xlsx":
        body = xlsx_chunks(rows(), fields, sheet_name=filename.rsplit(".", 1)[0][:31])
        mimetype = XLSX_MIMETYPE
    else:
        body, mimetype = csv_lines(rows(), fields), "text/csv"
    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
