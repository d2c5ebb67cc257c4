from __future__ import annotations

from django.contrib import admin

from dashboards.models import CampaignCounter, ContributorCounter


@admin.register(CampaignCounter)
class CampaignCounterAdmin(admin.ModelAdmin):
    list_display = ("campaign", "records_total", "records_completed", "responses_submitted")
    readonly_fields = [field.name for field in CampaignCounter._meta.fields]


@admin.register(ContributorCounter)
class ContributorCounterAdmin(admin.ModelAdmin):
    list_display = ("campaign", "user", "submitted", "corrections", "last_submitted_at")
    list_filter = ("campaign",)
    raw_id_fields = ("campaign", "user")
