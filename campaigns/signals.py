"""What campaigns tells the apps above it, which connect in their AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the import's transaction, after its records are written: receivers' writes
# commit or roll back with the records. Arguments: campaign, records_total, settled_retexted
# (ids of records that had been settled, validated or disputed, whose pieces the import changed).
records_imported = Signal()
