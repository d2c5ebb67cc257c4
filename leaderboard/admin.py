from __future__ import annotations

from django.contrib import admin

from leaderboard.models import CampaignTarget, LeaderboardDataset, LeaderboardDatasetVersion


class LeaderboardDatasetVersionInline(admin.TabularInline):
    model = LeaderboardDatasetVersion
    extra = 0
    raw_id_fields = ("campaign",)


@admin.register(LeaderboardDataset)
class LeaderboardDatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "task", "license")
    search_fields = ("name", "task", "domain")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [LeaderboardDatasetVersionInline]


@admin.register(CampaignTarget)
class CampaignTargetAdmin(admin.ModelAdmin):
    list_display = ("campaign", "dataset")
    raw_id_fields = ("campaign",)
