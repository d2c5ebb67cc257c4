"""What dashboards asks of the apps above it, which answer from their AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent when a campaign's dashboard figures are built. Argument: campaign. A receiver returns
# how many suspect records (campaigns.triage) the community has corrected: annotation knows,
# from the consensus, and dashboards must not import it.
suspect_fixed_asked = Signal()
