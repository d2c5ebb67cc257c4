"""The one renderer of guide Markdown: sanitised HTML with section anchors and safe video embeds."""

from __future__ import annotations

import functools
import html
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse
from xml.etree import ElementTree as etree

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "iframe", "img", "ins", "kbd", "li",
    "ol", "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "iframe": {"src", "width", "height", "title", "allow", "allowfullscreen", "loading"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Heading ids start with it, so that none equals an id of the page around the guide.
SECTION_PREFIX = "section-"
# Privacy-friendly players only: no tracking cookies until the viewer presses play.
VIDEO_HOSTS = {"www.youtube-nocookie.com", "player.vimeo.com"}
# A video file uploaded anywhere on HTTPS plays in the browser's own player.
VIDEO_FILE_TYPES = (".mp4", ".webm", ".ogv")


@dataclass(frozen=True)
class RenderedGuide:
    html: SafeString
    sections: list[tuple[str, str]]


def guide_render(text: str) -> RenderedGuide:
    """Render guide Markdown to sanitised HTML, listing its sections (anchor, title).

    No id the author writes survives (Markdown's {#id} or raw HTML): the page's own elements
    keep theirs. Headings get ids of their own, "section-" and their text, for the table of
    contents and for questions about a section.
    """
    # Marks the ids this renderer makes, so that the sanitiser tells them from the author's.
    mark = f"m{secrets.token_hex(8)}-"
    converter = markdown.Markdown(
        extensions=["toc", "tables", "fenced_code", "sane_lists", "attr_list"],
        extension_configs={
            "toc": {
                "slugify": lambda value, separator: mark + _anchor(value),
                "toc_depth": "2-3",
            }
        },
        output_format="html",
    )
    # After attr_list has set the author's ids and before toc gives headings theirs.
    converter.treeprocessors.register(_IdRemover(converter), "somos_drop_ids", 6)
    raw = converter.convert(text or "")
    clean = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=functools.partial(_attribute_filter, mark=mark),
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    sections = [
        (token["id"].removeprefix(mark), html.unescape(token["name"]))
        for token in _flatten(converter.toc_tokens)
    ]
    # nh3 output is the sanitiser's, so it is safe to hand to templates as is.
    return RenderedGuide(html=mark_safe(clean), sections=sections)  # noqa: S308


def _anchor(value: str) -> str:
    return SECTION_PREFIX + (slugify(value) or "section")


class _IdRemover(Treeprocessor):
    """Drop every id the author set with attr_list."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            element.attrib.pop("id", None)


def _flatten(tokens: list[dict]) -> list[dict]:
    flat = []
    for token in tokens:
        flat.append(token)
        flat.extend(_flatten(token.get("children", [])))
    return flat


def _attribute_filter(tag: str, attribute: str, value: str, *, mark: str) -> str | None:
    if tag == "iframe" and attribute == "src":
        return value if urlparse(value).hostname in VIDEO_HOSTS else None
    if attribute == "id":
        # Only the renderer's own heading ids; raw HTML's ids could clash with the page's.
        return value.removeprefix(mark) if value.startswith(mark) else None
    return value


@dataclass(frozen=True)
class VideoEmbed:
    provider: str
    embed_url: str


def video_embed(url: str) -> VideoEmbed | None:
    """Turn a YouTube/Vimeo link or a video file URL into something to embed; None otherwise."""
    if not url:
        return None
    parsed = urlparse(url)
    host = (parsed.hostname or "").removeprefix("www.").removeprefix("m.")
    video_id = ""
    if host in {"youtube.com", "youtube-nocookie.com"}:
        if parsed.path == "/watch":
            video_id = parse_qs(parsed.query).get("v", [""])[0]
        elif parsed.path.startswith(("/embed/", "/shorts/")):
            video_id = parsed.path.split("/")[2]
    elif host == "youtu.be":
        video_id = parsed.path.lstrip("/")
    if video_id and re.fullmatch(r"[A-Za-z0-9_-]{6,20}", video_id):
        return VideoEmbed("youtube", f"https://www.youtube-nocookie.com/embed/{video_id}")
    if parsed.scheme == "https" and parsed.path.lower().endswith(VIDEO_FILE_TYPES):
        return VideoEmbed("file", url)
    if host in {"vimeo.com", "player.vimeo.com"}:
        number = parsed.path.rstrip("/").split("/")[-1]
        if number.isdigit():
            return VideoEmbed("vimeo", f"https://player.vimeo.com/video/{number}?dnt=1")
    return None
