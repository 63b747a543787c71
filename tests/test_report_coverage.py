"""The report shows coverage gaps: a source left incomplete is named on the index page."""

from __future__ import annotations

from pathlib import Path

from archiver.archive import Archive
from reports.build import build_site
from tests.factories import page, post


def test_index_names_an_incomplete_source_and_the_uncovered_range(archive: Archive, tmp_path: Path) -> None:
    store = archive.store(fetch_media=False)
    run_id = store.start_run("collect", ["x:nayib", "x:rubio"])
    store.ingest(page(post()), run_id)
    good = store.start_coverage(run_id, "x:nayib", "x", "sample_nayib")
    store.finish_coverage(good, pages=1, posts=1, complete=True)
    bad = store.start_coverage(run_id, "x:rubio", "x", "sample_secrubio")
    store.finish_coverage(bad, pages=0, posts=0, complete=False, reason="rate_limited",
                          detail="rate_limited: budget of 900 s spent")
    store.finish_run(run_id, "partial", {}, [{"source": "x:rubio", "error": "rate_limited"}])

    index = Path(build_site(archive.engine, archive.media_dir, tmp_path / "site").index_path).read_text()
    gaps = index.split('id="coverage-gaps"', 1)[1].split("<h3", 1)[0]
    assert "x:rubio" in gaps and "rate_limited" in gaps
    assert "no complete capture of x:rubio" in gaps
    assert "x:nayib" not in gaps
