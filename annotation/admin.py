from __future__ import annotations

from django.contrib import admin

from annotation.argilla.models import (
    ArgillaAccount,
    ArgillaDatasetLink,
    ArgillaSyncRun,
    WebhookDelivery,
)
from annotation.models import Response, ResponseRevision


class ResponseRevisionInline(admin.TabularInline):
    model = ResponseRevision
    extra = 0
    readonly_fields = ("number", "values", "status", "origin", "created_at")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("record", "user", "status", "origin", "revision", "updated_at")
    list_filter = ("status", "origin")
    raw_id_fields = ("record", "campaign", "user")
    inlines = [ResponseRevisionInline]


@admin.register(ArgillaDatasetLink)
class ArgillaDatasetLinkAdmin(admin.ModelAdmin):
    list_display = ("campaign", "dataset_id", "pushed_until", "pulled_at")
    raw_id_fields = ("campaign",)


@admin.register(ArgillaAccount)
class ArgillaAccountAdmin(admin.ModelAdmin):
    list_display = ("username", "user", "placeholder", "created_by_somos", "created_at")
    list_filter = ("placeholder", "created_by_somos")
    search_fields = ("username", "user__email")
    raw_id_fields = ("user",)


@admin.register(ArgillaSyncRun)
class ArgillaSyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "campaign",
        "trigger",
        "status",
        "records_pushed",
        "responses_pulled",
        "started_at",
    )
    list_filter = ("status", "trigger")
    raw_id_fields = ("campaign",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("message_id", "event", "status", "received_at")
    list_filter = ("status", "event")
    search_fields = ("message_id",)
