"""The guide renderer lets Markdown through and nothing hostile."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from guides.rendering import guide_render, video_embed
from guides.services import guide_version_publish


def _html(text: str) -> str:
    return str(guide_render(text).html)


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert('x')</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">clic</a>',
        "[clic](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">clic</a>',
        '<div onclick="alert(1)" onmouseover="alert(2)">texto</div>',
        '<iframe src="https://evil.example/embed"></iframe>',
        '<iframe src="javascript:alert(1)"></iframe>',
        "<style>body{display:none}</style>",
        '<svg onload="alert(1)"><circle/></svg>',
        "<b>sin cerrar <i>nada",
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        '<form action="https://evil.example"><input name="p"></form>',
    ],
)
def test_guide_render_strips_hostile_markup(hostile):
    html = _html(f"## Sección\n\n{hostile}\n\nFin.").lower()
    forbidden = (
        "<script", "javascript:", "onerror", "onclick", "onmouseover", "onload",
        "evil.example", "<style", "<svg", "<form", "<input", "data:text",
    )  # fmt: skip
    for marker in forbidden:
        assert marker not in html
    assert "fin." in html


def test_guide_render_keeps_markdown_anchors_and_allowed_videos():
    rendered = guide_render(
        "## Qué hay que hacer\n\nLee **bien**.\n\n### Ejemplo resuelto\n\n"
        "| original | traducción |\n|---|---|\n| cat | gato |\n\n"
        '<iframe src="https://www.youtube-nocookie.com/embed/abcdefghijk"></iframe>'
    )
    html = str(rendered.html)
    assert '<h2 id="section-que-hay-que-hacer">' in html
    assert "<strong>bien</strong>" in html and "<table>" in html
    assert 'src="https://www.youtube-nocookie.com/embed/abcdefghijk"' in html
    assert rendered.sections == [
        ("section-que-hay-que-hacer", "Qué hay que hacer"),
        ("section-ejemplo-resuelto", "Ejemplo resuelto"),
    ]


@pytest.mark.parametrize(
    "markdown",
    [
        '<div id="main">texto</div>',
        '<p id="ask">texto</p>',
        '<h2 id="my-questions">Título</h2>',
        '<a id="ack-title" href="https://example.org">enlace</a>',
        "Párrafo {#main}",
        "## Título {#ask}",
        '<span id="section-titulo">falsificado</span>',
    ],
)
def test_guide_render_drops_the_authors_ids(markdown):
    html = _html(f"## Título\n\n{markdown}\n")
    ids = re.findall(r'\sid="([^"]*)"', html)
    # Only the heading ids the renderer makes itself, each once.
    assert all(value.startswith("section-") for value in ids), ids
    assert len(ids) == len(set(ids)), ids
    assert "main" not in ids and "ask" not in ids


def test_guide_render_gives_every_heading_its_own_section_id():
    rendered = guide_render("## Ask {#ask}\n\n## Ask\n\n### A & B\n\n# Uno")
    ids = re.findall(r'\sid="([^"]*)"', str(rendered.html))
    assert ids == ["section-ask", "section-ask_1", "section-a-b", "section-uno"]
    # The table of contents (h2 and h3) links to exactly those ids, titles as written.
    assert rendered.sections == [
        ("section-ask", "Ask"),
        ("section-ask_1", "Ask"),
        ("section-a-b", "A & B"),
    ]


@pytest.mark.django_db
def test_guide_page_links_its_sections_to_their_headings(client, arc_campaign, organizer):
    guide_version_publish(
        guide=arc_campaign.guide, body="## Reglas {#main}\n\nUna.", user=organizer
    )
    page = client.get(reverse("guide", args=[arc_campaign.slug])).content.decode()
    assert '<h2 id="section-reglas">Reglas</h2>' in page
    assert 'href="#section-reglas"' in page and 'href="?section=section-reglas#ask"' in page
    assert page.count('id="main"') == 1


def test_guide_render_closes_unclosed_tags():
    html = _html("<b>negrita <i>cursiva")
    assert html.count("<b>") == html.count("</b>") and html.count("<i>") == html.count("</i>")


def test_video_embed_accepts_youtube_vimeo_and_files_only():
    assert video_embed("https://www.youtube.com/watch?v=JzpvHRrqtSU").embed_url == (
        "https://www.youtube-nocookie.com/embed/JzpvHRrqtSU"
    )
    assert video_embed("https://youtu.be/JzpvHRrqtSU").provider == "youtube"
    assert video_embed("https://vimeo.com/123456").embed_url == (
        "https://player.vimeo.com/video/123456?dnt=1"
    )
    assert video_embed("https://cdn.example.org/guia.mp4").provider == "file"
    assert video_embed("http://cdn.example.org/guia.mp4") is None
    assert video_embed("https://evil.example/watch?v=abc") is None
    assert video_embed("javascript:alert(1)") is None
