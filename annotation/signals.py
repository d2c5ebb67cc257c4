"""What annotation tells whoever listens (the Argilla sync) when an answer changes."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the answer's transaction once a submitted or skipped answer is written (never
# for drafts, nor for an answer that did not change): receivers that act after the commit
# register transaction.on_commit. Arguments: response, campaign.
answer_saved = Signal()
