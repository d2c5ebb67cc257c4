"""Keep a record's heap row narrow: its original row stored out of line, its texts in line.

Consensus and export pass over every record of a campaign (lock, status update, reads), and
at fillfactor 50 a 2 KB record took a 4 KB share of a page: at 100k records the table was
~400 MB, past PostgreSQL's default buffers. When a row passes PostgreSQL's toasting
threshold (2,032 bytes, fixed at build time; toast_tuple_target sets only the size it then
aims for), `source_row` (about half a record, read back only by the export of row-shaped
layouts and re-imports) now goes to the TOAST table as it is, without a compression attempt
(EXTERNAL), until the row is under 1,400 bytes; `fields` (what every page and consensus
read) stays in the row (MAIN: compressed only if the row is still too long without the
original row). Measured with bench/export_bench.py --records 100000 (ARC records of ~2 KB,
about half of them past the threshold), interleaved: 5.56–5.98 s against 6.45–7.09 s; the
import's time did not move beyond the machine's noise. Existing rows keep their layout until
they are next written.
"""

from django.db import migrations

TOAST_TUPLE_TARGET = 1400


def texts_layout_set(apps, schema_editor):
    _alter(
        apps,
        schema_editor,
        "ALTER COLUMN source_row SET STORAGE EXTERNAL, ALTER COLUMN fields SET STORAGE MAIN,"
        f" SET (toast_tuple_target = {TOAST_TUPLE_TARGET})",
    )


def texts_layout_reset(apps, schema_editor):
    _alter(
        apps,
        schema_editor,
        "ALTER COLUMN source_row SET STORAGE EXTENDED, ALTER COLUMN fields SET STORAGE EXTENDED,"
        " SET (toast_tuple_target = 8160)",
    )


def _alter(apps, schema_editor, change: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("campaigns", "Record")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} {change}")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0009_record_import_write_path")]

    operations = [migrations.RunPython(texts_layout_set, texts_layout_reset)]
