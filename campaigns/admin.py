from __future__ import annotations

from django.contrib import admin

from campaigns.models import Campaign, ImportRun, Job, Question, Record


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "status", "overlap", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("organizers", "reviewers")
    inlines = [QuestionInline]


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ("external_id", "campaign", "status", "submitted_count")
    list_filter = ("status", "campaign")
    search_fields = ("external_id",)
    raw_id_fields = ("campaign",)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("campaign", "source_name", "status", "records_created", "started_at")
    list_filter = ("status",)
    raw_id_fields = ("campaign", "created_by")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "campaign", "status", "done", "total", "created_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("campaign", "created_by")
    readonly_fields = ("created_at", "started_at", "finished_at")
