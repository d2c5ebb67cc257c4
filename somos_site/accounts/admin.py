from __future__ import annotations

from django.contrib import admin

from somos_site.accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "country", "spanish_variety", "public_ranking")
    list_filter = ("spanish_variety", "public_ranking")
    search_fields = (
        "user__email",
        "display_name",
        "huggingface_username",
        "huggingface_verified_username",
    )
    raw_id_fields = ("user",)
    # Set only by a Hugging Face login: it is what the public may see of that account.
    readonly_fields = ("huggingface_verified_username",)
