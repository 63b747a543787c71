"""The Bluesky collector: a thin adapter from ``atproto.Client`` to pages of evidence.

Per source it resolves the account to its DID (a known DID is reused, so a handle rename is
followed), reads the author feed through every cursor, the account's own repost records (exact
time and ``via``, which the feed does not give), quotes (to depth 3) and replies of tracked posts,
ordinary accounts' reposts of them, refreshes archived posts with ``getPosts`` and confirms a
missing one with ``getRecord`` before claiming a deletion, and with ``backfill`` reads the whole
repo CAR. Every page carries the exact response bytes; records are normalized from those bytes
(parsed with orjson), never from the SDK's models, so the CID check hashes what was received.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import orjson
from atproto import Client
from atproto_client.exceptions import AtProtocolError, BadRequestError, UnauthorizedError

from archiver.chunks import chunked
from archiver.collectors.base import SourceState
from archiver.collectors.ratelimit import RetryBudget
from archiver.collectors.records import (
    AccountRecord,
    CaptureRecord,
    Page,
    PostRecord,
    Progress,
    SourceProblem,
    StatusClaim,
)
from archiver.config import PlatformSettings, Secrets, Source
from archiver.errors import BadInputError
from archiver.platforms.bluesky.calls import Caller, GiveUp, Recorder, xrpc_error, xrpc_message
from archiver.platforms.bluesky.normalize import (
    POST_COLLECTION,
    REPOST_COLLECTION,
    author_of,
    normalize_post_view,
    normalize_record,
    split_uri,
)

PUBLIC_APPVIEW = "https://public.api.bsky.app"
QUOTE_DEPTH = 3  # quotes of quotes of quotes
THREAD_DEPTH = 6
MAX_REPOSTERS = 200  # ordinary accounts whose repos are scanned per source and run
MAX_REPOSTER_PAGES = 3  # listRecords pages per reposter repo
GET_POSTS_BATCH = 25  # the AppView's limit

Item = Page | SourceProblem | Progress


class BlueskyCollector:
    """``Collector`` for Bluesky; one instance serves every Bluesky source of a run."""

    def __init__(self, settings: PlatformSettings, secrets: Secrets,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.settings = settings
        self.sleep = sleep if sleep is not None else time.sleep
        self.recorder = Recorder()
        self.appview = self.recorder.client(settings.base_url or PUBLIC_APPVIEW, settings.timeout_seconds)
        self._pds: dict[str, Client] = {}
        self._pds_of_did: dict[str, str] = {}
        self._secrets = secrets
        self._login_tried = False

    def close(self) -> None:
        for client in [self.appview, *self._pds.values()]:
            client.request.close()

    def pds_for(self, did: str) -> tuple[Client, str]:
        """The PDS client for ``did``: the configured one, else the AppView host when overridden
        (the sandbox plays both), else the PDS named in the DID document."""
        url = self.settings.pds_url or self.settings.base_url or self._pds_of_did.get(did)
        if url is None:
            from atproto_identity.resolver import IdResolver

            doc = IdResolver(timeout=int(self.settings.timeout_seconds)).did.resolve(did)
            url = doc.get_pds_endpoint() if doc else None
            if not url:
                raise GiveUp("server_error", f"no PDS endpoint in the DID document of {did}")
            self._pds_of_did[did] = url
        url = url.rstrip("/")
        if url not in self._pds:
            self._pds[url] = self.recorder.client(url, self.settings.timeout_seconds)
        return self._pds[url], url

    def _login(self, source: Source) -> Iterator[Item]:
        """Optional app-password login; its response (tokens) is never captured into a page."""
        handle, password = self._secrets.get("BSKY_HANDLE"), self._secrets.get("BSKY_APP_PASSWORD")
        if self._login_tried or not (handle and password):
            return
        self._login_tried = True
        try:
            self.appview.login(handle, password)
        except AtProtocolError as exc:
            yield SourceProblem(source.name, "login_failed", f"reading anonymously: {xrpc_message(exc)}",
                                fatal_for_source=False)
        finally:
            self.recorder.captures.clear()

    def collect(self, source: Source, state: SourceState) -> Iterator[Item]:
        yield from self._login(source)
        budget = RetryBudget(max_total_wait=self.settings.max_wait_seconds, sleep=self.sleep)
        run = _SourceRun(self, source, state, Caller(self.recorder, budget))
        try:
            yield from run.run()
        except GiveUp as exc:
            yield SourceProblem(source.name, exc.reason, exc.detail)


class _SourceRun:
    """One source in one run: what was seen so far, and the steps in order."""

    def __init__(self, collector: BlueskyCollector, source: Source, state: SourceState, caller: Caller) -> None:
        self.c = collector
        self.source = source
        self.state = state
        self.caller = caller
        self.page_size = collector.settings.page_size
        self.did = ""
        self.account = AccountRecord("bluesky", "", None)
        self.seen: set[str] = set()
        self.originals: list[str] = []
        self.skipped: list[str] = []  # records that did not have the lexicon's shape

    def page(self, capture: CaptureRecord, posts: list[PostRecord] | None = None,
             accounts: list[AccountRecord] | None = None, statuses: list[StatusClaim] | None = None) -> Page:
        return Page(capture=capture, posts=posts or [], accounts=accounts or [], statuses=statuses or [],
                    source=self.source.name)

    def run(self) -> Iterator[Item]:
        if not (yield from self.resolve()):
            return
        yield from self.once("feed", self.author_feed)
        yield from self.once("own_reposts", self.own_reposts)
        targets = [u for u in dict.fromkeys([*self.state.tracked_ids, *self.originals])
                   if split_uri(u)[1] == POST_COLLECTION]
        if self.source.quotes:
            yield from self.quotes(targets)
        if self.source.replies:
            yield from self.replies(targets)
        if self.source.reposters:
            yield from self.reposters(targets)
        yield from self.once("refresh", self.refresh)
        if self.state.backfill:
            yield from self.backfill()
        if self.skipped:
            yield SourceProblem(self.source.name, "bad_record",
                                f"{len(self.skipped)} malformed record(s) skipped, first: {self.skipped[0]}",
                                fatal_for_source=False)

    def once(self, step: str, fetch: Callable[[], Iterator[Item]], unit: str = "") -> Iterator[Item]:
        """Run a sub-fetch unless this source's unfinished streak already finished it; mark it done."""
        if (step, unit) in self.state.done:
            return
        yield from fetch()
        yield Progress(step, unit)

    # -- identity -------------------------------------------------------------------------------
    def resolve(self) -> Generator[Item, None, bool]:
        """DID first: a known DID (or one given in the config) survives handle renames."""
        account = self.source.account
        did = self.state.account_id or (account if account.startswith("did:") else None)
        if did is None:
            try:
                resolved, _ = self.caller.call("resolveHandle", self.c.appview.resolve_handle, account)
            except (BadRequestError, UnauthorizedError) as exc:
                yield self._unknown(f"handle {account!r} does not resolve ({xrpc_message(exc)})")
                return False
            did = resolved.did
        try:
            _, capture = self.caller.call("getProfile", self.c.appview.get_profile, did)
        except (BadRequestError, UnauthorizedError) as exc:
            yield self._unknown(f"profile {did} not found ({xrpc_message(exc)})")
            return False
        self.account = author_of(orjson.loads(capture.body), f"profile {did}", tracked=True)
        self.did = self.account.platform_id
        yield self.page(capture, accounts=[self.account])
        return True

    def _unknown(self, detail: str) -> SourceProblem:
        return SourceProblem(self.source.name, "unknown_account", f"Bluesky {detail}")

    # -- the account's own activity ---------------------------------------------------------------
    def _post(self, view: dict[str, Any]) -> PostRecord | None:
        try:
            post = normalize_post_view(view, orjson.dumps(view))
        except BadInputError as exc:
            self.skipped.append(str(exc))
            return None
        if post.author.platform_id == self.did:
            post.author = self.account
            if post.kind != "repost" and post.platform_id not in self.seen:
                self.originals.append(post.platform_id)
        self.seen.add(post.platform_id)
        return post

    def author_feed(self) -> Iterator[Item]:
        """Every page of the feed. A repost item yields only the ORIGINAL post: the repost itself
        comes from listRecords, with its exact createdAt and ``via``. A streak resumes after its last page."""
        feed_filter = "posts_with_replies" if self.source.replies else "posts_no_replies"
        cursor: str | None = next(iter(self.state.done.get(("feed-cursor", ""), [])[-1:]), None)
        for _ in range(self.source.max_pages):
            response, capture = self.caller.call(
                "getAuthorFeed", self.c.appview.get_author_feed, actor=self.did, cursor=cursor,
                filter=feed_filter, limit=self.page_size)
            feed = orjson.loads(capture.body).get("feed") or []
            posts: list[PostRecord] = []
            for entry in feed:
                views = [entry.get("post")]
                reply = entry.get("reply") or {}
                views += [reply.get(k) for k in ("parent", "root")]
                for view in views:
                    if isinstance(view, dict) and view.get("$type", "app.bsky.feed.defs#postView").endswith(
                            "#postView"):
                        post = self._post(view)
                        if post is not None:
                            posts.append(post)
            yield self.page(capture, posts)
            cursor = response.cursor
            if not cursor or not feed:
                return
            yield Progress("feed-cursor", "", [cursor])

    def _records(self, repo: str, collection: str, max_pages: int) -> Iterator[tuple[list[dict[str, Any]],
                                                                                      CaptureRecord]]:
        client, _ = self.c.pds_for(repo)
        cursor: str | None = None
        for _ in range(max_pages):
            params = {"repo": repo, "collection": collection, "limit": self.page_size, "cursor": cursor}
            response, capture = self.caller.call("listRecords", client.com.atproto.repo.list_records, params)
            records = orjson.loads(capture.body).get("records") or []
            yield records, capture
            cursor = response.cursor
            if not cursor or not records:
                return

    def _from_record(self, entry: dict[str, Any], author: AccountRecord) -> PostRecord | None:
        try:
            post = normalize_record(entry["uri"], entry["cid"], entry["value"], author, orjson.dumps(entry))
        except (BadInputError, KeyError, TypeError) as exc:
            self.skipped.append(f"{entry.get('uri', 'record')}: {exc}")
            return None
        self._fill_media_urls(post)
        return post

    def _fill_media_urls(self, post: PostRecord) -> None:
        """A record without an AppView view names its images by blob CID only; getBlob fetches them."""
        missing = [m for m in post.media if m.url is None]
        if missing:
            _, pds = self.c.pds_for(post.author.platform_id)
            for media in missing:
                media.url = f"{pds}/xrpc/com.atproto.sync.getBlob?did={post.author.platform_id}&cid={media.ref}"

    def own_reposts(self) -> Iterator[Item]:
        for records, capture in self._records(self.did, REPOST_COLLECTION, self.source.max_pages):
            posts = [p for p in (self._from_record(r, self.account) for r in records) if p is not None]
            self.seen.update(p.platform_id for p in posts)
            yield self.page(capture, posts)

    # -- how tracked posts spread ---------------------------------------------------------------
    def quotes(self, targets: list[str]) -> Iterator[Item]:
        frontier = [(uri, 1) for uri in targets]
        done: set[str] = set()
        while frontier:
            uri, depth = frontier.pop(0)
            if uri in done:
                continue
            done.add(uri)
            if ("quotes", uri) in self.state.done:  # finished earlier in this streak: only its children
                frontier += [(c, depth + 1) for c in self.state.done[("quotes", uri)] if depth < QUOTE_DEPTH]
                continue
            children: list[str] = []
            cursor: str | None = None
            for _ in range(self.source.max_pages):
                params = {"uri": uri, "cursor": cursor, "limit": self.page_size}
                response, capture = self.caller.call("getQuotes", self.c.appview.app.bsky.feed.get_quotes, params)
                views = orjson.loads(capture.body).get("posts") or []
                posts = [p for p in (self._post(v) for v in views) if p is not None]
                yield self.page(capture, posts)
                children += [p.platform_id for p in posts]
                cursor = response.cursor
                if not cursor or not views:
                    break
            if depth < QUOTE_DEPTH:
                frontier += [(child, depth + 1) for child in children]
            yield Progress("quotes", uri, children)

    def replies(self, targets: list[str]) -> Iterator[Item]:
        for uri in (u for u in targets if ("replies", u) not in self.state.done):
            _, capture = self.caller.call(
                "getPostThread", self.c.appview.get_post_thread, uri=uri, depth=THREAD_DEPTH, parent_height=0)
            thread = orjson.loads(capture.body).get("thread") or {}
            posts: list[PostRecord] = []
            stack = [thread]
            while stack:
                node = stack.pop()
                if not isinstance(node, dict) or node.get("$type") != "app.bsky.feed.defs#threadViewPost":
                    continue  # notFoundPost / blockedPost: no claim, only getRecord can say "deleted"
                view = node.get("post")
                if isinstance(view, dict) and (view.get("uri") != uri or uri not in self.seen):
                    post = self._post(view)
                    if post is not None:
                        posts.append(post)
                stack.extend(node.get("replies") or [])
            if posts:
                yield self.page(capture, posts)
            yield Progress("replies", uri)

    def reposters(self, targets: list[str]) -> Iterator[Item]:
        """Ordinary accounts' repost records of tracked posts: getRepostedBy names the accounts
        (profiles only), their repos give each repost's exact time and ``via``. Bounded."""
        wanted = set(targets)
        reposters: dict[str, AccountRecord] = {}
        for uri in targets:
            if ("repostedBy", uri) in self.state.done:  # finished earlier in this streak: only whom it found
                reposters.update({d: AccountRecord("bluesky", d, None) for d in self.state.done[("repostedBy", uri)]})
                continue
            found: list[str] = []
            cursor: str | None = None
            for _ in range(MAX_REPOSTER_PAGES):
                params = {"uri": uri, "cursor": cursor, "limit": self.page_size}
                response, capture = self.caller.call(
                    "getRepostedBy", self.c.appview.app.bsky.feed.get_reposted_by, params)
                profiles = orjson.loads(capture.body).get("repostedBy") or []
                accounts = [author_of(p, f"repostedBy {uri}") for p in profiles if isinstance(p, dict)]
                if accounts:
                    yield self.page(capture, accounts=accounts)
                for account in accounts:
                    if account.platform_id != self.did:
                        reposters[account.platform_id] = account
                        found.append(account.platform_id)
                cursor = response.cursor
                if not cursor or not profiles:
                    break
            yield Progress("repostedBy", uri, found)
        for account in list(reposters.values())[:MAX_REPOSTERS]:
            if ("reposter", account.platform_id) in self.state.done:
                continue
            for records, capture in self._records(account.platform_id, REPOST_COLLECTION, MAX_REPOSTER_PAGES):
                kept = [r for r in records if isinstance(r.get("value"), dict)
                        and (r["value"].get("subject") or {}).get("uri") in wanted]
                posts = [p for p in (self._from_record(r, account) for r in kept) if p is not None]
                if posts:
                    yield self.page(capture, posts)
            yield Progress("reposter", account.platform_id)

    # -- deletions ------------------------------------------------------------------------------
    def refresh(self) -> Iterator[Item]:
        """Archived posts not seen in this run: getPosts, and for each URI it omits, getRecord."""
        pending = [u for u in self.state.archived_ids if u not in self.seen]
        posts = [u for u in pending if split_uri(u)[1] == POST_COLLECTION]
        others = [u for u in pending if split_uri(u)[1] != POST_COLLECTION]
        for batch in chunked(posts, GET_POSTS_BATCH):
            _, capture = self.caller.call("getPosts", self.c.appview.get_posts, uris=batch)
            views = orjson.loads(capture.body).get("posts") or []
            found = [p for p in (self._post(v) for v in views) if p is not None]
            yield self.page(capture, found)
            returned = {p.platform_id for p in found}
            for uri in batch:
                if uri not in returned:
                    yield from self.confirm(uri)
        for uri in others:
            yield from self.confirm(uri)

    def confirm(self, uri: str) -> Iterator[Item]:
        """Only the PDS saying ``RecordNotFound`` is a deletion; any other answer is no claim."""
        did, collection, rkey = split_uri(uri)
        client, _ = self.c.pds_for(did)
        params = {"repo": did, "collection": collection, "rkey": rkey}
        try:
            _, capture = self.caller.call("getRecord", client.com.atproto.repo.get_record, params)
        except (BadRequestError, UnauthorizedError) as exc:
            capture_or_none = self.caller.last_capture()
            if xrpc_error(exc) == "RecordNotFound" and capture_or_none is not None:
                claim = StatusClaim("bluesky", uri, "deleted", "Bluesky: RecordNotFound")
                yield self.page(capture_or_none, statuses=[claim])
            else:
                yield SourceProblem(self.source.name, "unconfirmed", f"{uri}: {xrpc_message(exc)}",
                                    fatal_for_source=False)
            return
        author = self.account if did == self.did else AccountRecord("bluesky", did, None)
        post = self._from_record(orjson.loads(capture.body), author)
        if post is not None:
            self.seen.add(uri)
            yield self.page(capture, [post])

    # -- the whole repository --------------------------------------------------------------------
    def backfill(self) -> Iterator[Item]:
        from archiver.platforms.bluesky.car_import import pages_from_car

        client, _ = self.c.pds_for(self.did)
        _, capture = self.caller.call("getRepo", client.com.atproto.sync.get_repo, {"did": self.did})
        for page in pages_from_car(capture.body, capture, handle=self.account.handle):
            page.source = self.source.name
            yield page
