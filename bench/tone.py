"""Benchmark: tone over 100k generated posts of mixed languages, then a rerun on the unchanged archive.

Targets: at least 5,000 posts/s for the first run, under 2 s for the rerun, on the 2-core
machine. The archive is built through ``Store.ingest_batch`` (not timed). Languages: about 55%
English, 20% Spanish, 8% French, 5% Portuguese, 2% German, 10% emoji-only; a fifth of the posts
carry no usable platform tag (None or ``und``), so the lingua detector runs on them; a tenth are
X retweets ("RT @x: ..."). Every run prints its figures; docs/performance.md records them.

    python bench/tone.py [--posts 100000] [--archive DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.tone_store import coverage, run_tone  # noqa: E402
from archiver.archive import open_archive  # noqa: E402
from archiver.collectors.records import AccountRecord, CaptureRecord, Page, PostRecord  # noqa: E402

WORDS = {
    "en": ("The minister {v} the {a} decision on {n} today. {e}",
           ["welcomed", "rejected", "condemned", "praised", "announced", "criticised", "mocked", "supported"],
           ["historic", "shameful", "excellent", "terrible", "important", "disastrous", "fair", "unjust"],
           ["trade", "the border", "the court", "our allies", "the budget", "security", "migration"]),
    "es": ("El ministro {v} la decisión {a} sobre {n} hoy. {e}",
           ["celebró", "rechazó", "condenó", "elogió", "anunció", "criticó"],
           ["histórica", "vergonzosa", "excelente", "terrible", "importante", "injusta"],
           ["el comercio", "la frontera", "el tribunal", "los aliados", "el presupuesto"]),
    "fr": ("Le ministre a {v} la décision {a} sur {n} aujourd'hui. {e}",
           ["salué", "rejeté", "condamné", "annoncé", "critiqué"],
           ["historique", "honteuse", "excellente", "terrible", "importante"],
           ["le commerce", "la frontière", "le tribunal", "les alliés"]),
    "pt": ("O ministro {v} a decisão {a} sobre {n} hoje. {e}",
           ["celebrou", "rejeitou", "condenou", "anunciou", "criticou"],
           ["histórica", "vergonhosa", "excelente", "terrível", "importante"],
           ["o comércio", "a fronteira", "o tribunal", "os aliados"]),
    "de": ("Der Minister hat die {a} Entscheidung über {n} heute {v}. {e}",
           ["begrüßt", "abgelehnt", "verurteilt", "angekündigt", "kritisiert"],
           ["historische", "beschämende", "hervorragende", "schreckliche", "wichtige"],
           ["den Handel", "die Grenze", "das Gericht", "die Verbündeten"]),
}
MIX = [("en", 55), ("es", 20), ("fr", 8), ("pt", 5), ("de", 2), ("emoji", 10)]
EMOJI = ["😂", "👍", "🔥", "😡", "🙏", "❤", "🇺🇸", "👏", "😢", "🎉", ""]


def generate(count: int, seed: int = 7) -> list[Page]:
    rng = random.Random(seed)
    langs = [lang for lang, weight in MIX for _ in range(weight)]
    authors = [AccountRecord("x", str(10_000 + i), f"official{i}", None, True) for i in range(200)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    pages: list[Page] = []
    posts: list[PostRecord] = []
    originals: list[PostRecord] = []
    for i in range(count):
        lang = rng.choice(langs)
        tag: str | None
        emoji = rng.choice(EMOJI) + rng.choice(EMOJI)
        if lang == "emoji":
            text, tag = (emoji or "🙏") * rng.randint(1, 3), "zxx"
        else:
            template, verbs, adjectives, nouns = WORDS[lang]
            text = template.format(v=rng.choice(verbs), a=rng.choice(adjectives), n=rng.choice(nouns), e=emoji)
            text += f" #{rng.randint(1, 10**6)}"  # distinct texts: no content is a duplicate
            tag = lang if rng.random() >= 0.2 else rng.choice([None, "und"])
        kind, reposted = "post", None
        if originals and rng.random() < 0.1:
            source = rng.choice(originals)
            kind, reposted, text, tag = "repost", source.platform_id, f"RT @{source.author.handle}: {source.text}", \
                source.lang
        pid = str(1_900_000_000_000_000_000 + i)
        post = PostRecord("x", pid, f"https://x.com/i/status/{pid}", rng.choice(authors),
                          start + timedelta(minutes=7 * i), text, tag, kind, b"{}",  # type: ignore[arg-type]
                          reposted_id=reposted, content_id=pid)
        posts.append(post)
        if kind == "post":
            originals.append(post)
        if len(posts) == 1000:
            pages.append(_page(posts))
            posts = []
    if posts:
        pages.append(_page(posts))
    return pages


def _page(posts: list[PostRecord]) -> Page:
    capture = CaptureRecord("file", "bench://tone", 200, datetime.now(UTC), b"bench page")
    return Page(capture=capture, posts=posts)


def main() -> None:
    parser = argparse.ArgumentParser(description="tone benchmark")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--archive", type=Path, help="archive directory (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, open_archive(args.archive or Path(tmp) / "archive", None,
                                                           create=True) as handle:
        store = handle.store(fetch_media=False)
        began = time.perf_counter()
        pages = generate(args.posts)
        for i in range(0, len(pages), 10):
            store.ingest_batch(pages[i : i + 10])
        print(f"built archive: {args.posts} posts in {time.perf_counter() - began:.1f} s (not part of the figure)")

        began = time.perf_counter()
        first = run_tone(handle.engine)
        elapsed = time.perf_counter() - began
        print(f"first run: {first.analysed} contents in {elapsed:.2f} s = {first.analysed / elapsed:,.0f} posts/s "
              f"(target >= 5,000)")
        began = time.perf_counter()
        again = run_tone(handle.engine)
        rerun = time.perf_counter() - began
        print(f"rerun on unchanged archive: {again.analysed} new, {again.already} already scored, {rerun:.2f} s "
              f"(target < 2 s)")
        print(coverage(handle.engine).summary())


if __name__ == "__main__":
    main()
