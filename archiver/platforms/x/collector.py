"""The X collector: tweepy's ``Client`` (API v2) in, ``Page`` objects out.

Per source, in this order: resolve the account (by its stable id once known), read the timeline
incrementally (``since_id``), refresh the posts already archived (``get_tweets``: X's per-id
errors are the only definitive word on deletion), fetch the latest version of any edited tweet
seen in an older version, then the quote tweets of the account's posts (and quotes of those,
three deep), the replies (recent search on ``conversation_id``) and the accounts it follows.

Every response becomes one ``Page`` whose capture holds the exact bytes received (recorded by
``XSession``); the records come from the shared normalizer, so the importer and the collector
hash a tweet the same way. A superseded version of an edited tweet is never yielded as a post:
the archive keeps the newest content and never flip-flops between versions.

Failures never raise and never change a status: a 429 waits for ``x-rate-limit-reset`` and 5xx,
timeouts and malformed JSON back off, both within one ``RetryBudget`` per source; when the budget
is spent the source is reported incomplete (a ``SourceProblem``) and the run goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
import tweepy

from archiver.chunks import chunked
from archiver.collectors.base import SourceState
from archiver.collectors.ratelimit import RetryBudget
from archiver.collectors.records import AccountRecord, Follow, Page, PostRecord, SourceProblem, StatusClaim
from archiver.config import PlatformSettings, Secrets, Source
from archiver.errors import BadInputError
from archiver.platforms.x.normalize import account_from_user, index_includes, normalize_tweet, page_tweets
from archiver.platforms.x.session import X_API_HOST, RecordedResponse, XSession

TWEET_FIELDS = ["attachments", "author_id", "conversation_id", "created_at", "edit_controls",
                "edit_history_tweet_ids", "entities", "in_reply_to_user_id", "lang", "note_tweet",
                "possibly_sensitive", "public_metrics", "referenced_tweets", "reply_settings"]
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id", "attachments.media_keys",
              "in_reply_to_user_id"]
MEDIA_FIELDS = ["url", "preview_image_url", "alt_text", "width", "height", "type"]
USER_FIELDS = ["username", "name", "created_at", "description", "protected", "verified", "public_metrics"]
TWEET_PARAMS: dict[str, Any] = {"tweet_fields": TWEET_FIELDS, "expansions": EXPANSIONS,
                                "media_fields": MEDIA_FIELDS, "user_fields": USER_FIELDS}
LOOKUP_BATCH = 100  # get_tweets takes at most 100 ids
QUOTE_DEPTH = 3
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


class _Stop(Exception):
    """Ends one source's collection with a problem (never escapes ``XCollector.collect``)."""

    def __init__(self, problem: SourceProblem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


class XCollector:
    """Collects X sources through one tweepy client; see the module docstring for the order."""

    def __init__(self, settings: PlatformSettings, secrets: Secrets,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.settings = settings
        self.base_url = (settings.base_url or X_API_HOST).rstrip("/")
        self.sleep = sleep or time.sleep
        token = secrets.get("X_BEARER_TOKEN")
        if token is None and _loopback(self.base_url):
            token = "sandbox"  # the sandbox accepts any token; never used against a real host
        self.session = XSession(self.base_url, timeout=settings.timeout_seconds)
        self.client: tweepy.Client | None = None
        if token is not None:
            self.client = tweepy.Client(bearer_token=token, return_type=dict, wait_on_rate_limit=False)
            self.client.session = self.session

    def collect(self, source: Source, state: SourceState) -> Iterator[Page | SourceProblem]:
        if self.client is None:
            yield SourceProblem(source.name, "no_credentials",
                                f"X needs a bearer token for {self.base_url}: set X_BEARER_TOKEN")
            return
        run = _SourceRun(self, self.client, source, state)
        try:
            yield from run.run()
        except _Stop as stop:
            yield stop.problem
        except BadInputError as exc:
            yield SourceProblem(source.name, "bad_response", f"X sent data the archiver cannot read: {exc}")

    def close(self) -> None:
        self.session.close()


class _SourceRun:
    """One source in one run: the retry budget and what this run has seen so far."""

    def __init__(self, collector: XCollector, client: tweepy.Client, source: Source, state: SourceState) -> None:
        self.client = client
        self.session = collector.session
        self.settings = collector.settings
        self.source = source
        self.state = state
        self.budget = RetryBudget(max_total_wait=collector.settings.max_wait_seconds, sleep=collector.sleep)
        self.user_id: str | None = None
        self.latest_seen: set[str] = set()  # version ids yielded as posts in this run
        self.wanted_latest: set[str] = set()  # newest version ids of edited tweets seen superseded
        self.observed: dict[str, dict[str, Any]] = {}  # platform id -> tweet JSON as last seen
        self.new_originals: list[str] = []

    # ---- calling the API --------------------------------------------------------------
    def call(self, what: str, method: Callable[..., Any], *args: Any, **params: Any
             ) -> tuple[dict[str, Any], RecordedResponse]:
        """One API call, waiting out rate limits and retrying transient failures within budget."""
        while True:
            try:
                body = method(*args, **params)
                recorded = self.session.take()
                if not isinstance(body, dict):
                    raise ValueError("the response is JSON but not an object")
                self.budget.reset_attempts()
                return body, recorded
            except tweepy.TooManyRequests as exc:
                reset = exc.response.headers.get("x-rate-limit-reset")
                reset_at = float(reset) if reset and reset.strip().isdigit() else None
                if not self.budget.wait_for(reset_at=reset_at):
                    raise _Stop(self.problem("rate_limited", f"{what}: still rate limited after waiting "
                                             f"{self.budget.waited:.0f}s (at most "
                                             f"{self.settings.max_wait_seconds:.0f}s allowed)")) from None
            except (tweepy.TwitterServerError, requests.RequestException, ValueError) as exc:
                if not self.budget.wait_for():
                    raise _Stop(self.problem("server_error", f"{what}: gave up after "
                                             f"{self.budget.attempts - 1} retries: {_describe(exc)}")) from None
            except tweepy.Unauthorized:
                raise _Stop(self.problem("unauthorized", "X refused the bearer token (HTTP 401): "
                                         "check X_BEARER_TOKEN")) from None
            except tweepy.HTTPException as exc:
                raise _Stop(self.problem("http_error", f"{what}: {_describe(exc)}")) from None

    def problem(self, reason: str, detail: str, fatal: bool = True) -> SourceProblem:
        return SourceProblem(self.source.name, reason, detail, fatal_for_source=fatal)

    # ---- turning responses into pages ---------------------------------------------------
    def page(self, body: dict[str, Any], recorded: RecordedResponse, what: str) -> Page:
        users, media = index_includes(body)
        posts: list[PostRecord] = []
        for tweet in page_tweets(body):
            history = tweet.get("edit_history_tweet_ids")
            tid = tweet.get("id")
            if isinstance(history, list) and history and isinstance(history[-1], str) and tid != history[-1]:
                if history[-1] not in self.latest_seen:
                    self.wanted_latest.add(history[-1])  # fetch the newest version instead
                continue
            post = normalize_tweet(tweet, users, media, orjson.dumps(tweet))
            if post.author.platform_id == self.user_id:
                post.author.tracked = True
            assert post.content_id is not None
            self.latest_seen.add(post.content_id)
            self.wanted_latest.discard(post.content_id)
            self.observed[post.platform_id] = tweet
            posts.append(post)
        accounts = [account_from_user(u) for u in users.values()]
        for account in accounts:
            account.tracked = account.platform_id == self.user_id
        return Page(capture=recorded.capture(request=what), posts=posts, accounts=accounts,
                    source=self.source.name)

    # ---- the steps ------------------------------------------------------------------------
    def run(self) -> Iterator[Page | SourceProblem]:
        resolved = yield from self.resolve()
        if resolved:
            yield from self.timeline()
        yield from self.refresh()
        yield from self.latest_versions()
        if not resolved:
            return
        if self.source.quotes:
            yield from self.quotes()
            yield from self.latest_versions()
        if self.source.replies:
            yield from self.replies()
            yield from self.latest_versions()
        if self.source.follows:
            yield from self.following()

    def resolve(self) -> Generator[Page | SourceProblem, None, bool]:
        """The account, by stable id when the archive knows it (a renamed account is still found)."""
        if self.state.account_id:
            body, recorded = self.call("user", self.client.get_user, id=self.state.account_id,
                                       user_fields=USER_FIELDS)
        else:
            body, recorded = self.call("user", self.client.get_user, username=self.source.account,
                                       user_fields=USER_FIELDS)
        user = body.get("data")
        if not isinstance(user, dict):
            errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
            detail = "; ".join(_error_text(e) for e in errors) or "no user in the response"
            refused = any(e.get("title") in ("Forbidden", "Authorization Error") for e in errors)
            yield self.problem("account_unavailable" if refused else "unknown_account",
                               f"X account {self.source.account!r}: {detail}")
            return False
        record = account_from_user(user)
        self.user_id = record.platform_id
        yield Page(capture=recorded.capture(request="user"),
                   accounts=[AccountRecord("x", record.platform_id, record.handle, record.display_name,
                                           tracked=True)],
                   source=self.source.name)
        return True

    def timeline(self) -> Iterator[Page | SourceProblem]:
        """Every page since ``newest_id``, yielded only once the whole timeline was read: stopping
        half-way and storing the newer pages would move ``since_id`` past the unread ones, a gap no
        later run would fill. An interrupted timeline is read again next run."""
        since = self.state.newest_id
        if since is not None and not since.isdigit():
            since = None  # not an X id (a damaged import?): read the whole timeline
        if since is not None and not (yield from self.continuous(since)):
            since = None
        pages: list[Page] = []
        token: str | None = None
        truncated = False
        while True:
            body, recorded = self.call("timeline", self.client.get_users_tweets, self.user_id,
                                       since_id=since, pagination_token=token,
                                       max_results=self.settings.page_size, **TWEET_PARAMS)
            if "data" not in body and body.get("errors"):
                detail = "; ".join(_error_text(e) for e in body["errors"])
                yield self.problem("unavailable", f"X timeline of {self.source.account!r}: {detail}")
                return
            pages.append(self.page(body, recorded, "timeline"))
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
            if len(pages) >= self.source.max_pages:
                truncated = since is not None
                break
        for page in pages:
            for post in page.posts:
                if post.author.platform_id == self.user_id and post.kind != "repost":
                    self.new_originals.append(post.platform_id)
        yield from pages
        if truncated:
            yield self.problem("truncated", f"timeline longer than max_pages={self.source.max_pages}; "
                                            "older new posts were not read", fatal=False)

    def continuous(self, since: str) -> Generator[Page | SourceProblem, None, bool]:
        """Whether ``since_id`` is safe: the archive's newest post by this account may have come
        from another source (a quote or reply found elsewhere), with older timeline posts never
        read. The few timeline posts at and below it must all be archived already; if not, this
        run reads the whole timeline again (the store is idempotent, so that costs only time)."""
        body, recorded = self.call("timeline-check", self.client.get_users_tweets, self.user_id,
                                   until_id=str(int(since) + 1), max_results=5, **TWEET_PARAMS)
        if "data" not in body and body.get("errors"):
            return True  # the timeline itself will report the refusal
        known = set(self.state.archived_ids)
        page = self.page(body, recorded, "timeline-check")
        yield page
        return all(_platform_id(t) in known for t in body.get("data") or [])

    def refresh(self) -> Iterator[Page]:
        """Look up every archived post not seen in this run's timeline. Only X's per-id errors
        become status claims; a missing answer claims nothing."""
        ids = [i for i in dict.fromkeys(self.state.archived_ids) if i not in self.observed]
        for batch in chunked(ids, LOOKUP_BATCH):
            body, recorded = self.call("refresh", self.client.get_tweets, batch, **TWEET_PARAMS)
            page = self.page(body, recorded, "refresh")
            page.statuses = _claims(body, set(batch))
            yield page

    def latest_versions(self) -> Iterator[Page]:
        asked: set[str] = set()
        while True:
            pending = sorted(self.wanted_latest - self.latest_seen - asked)
            if not pending:
                return
            batch = pending[:LOOKUP_BATCH]
            asked.update(batch)
            body, recorded = self.call("edits", self.client.get_tweets, batch, **TWEET_PARAMS)
            yield self.page(body, recorded, "latest-version")

    def _roots(self) -> list[str]:
        return list(dict.fromkeys([*self.state.tracked_ids, *self.new_originals]))

    def quotes(self) -> Iterator[Page]:
        """Quotes of the account's posts, and quotes of those quotes (``QUOTE_DEPTH`` deep). X's
        ``quote_count`` gates each call: a zero means there is nothing to page through (a quote
        too new to be counted is found next run, since tracked posts are refreshed every run)."""
        frontier = [(pid, 1) for pid in self._roots() if _count(self.observed.get(pid), "quote_count")]
        done: set[str] = set()
        while frontier:
            tweet_id, depth = frontier.pop(0)
            if tweet_id in done:
                continue
            done.add(tweet_id)
            token: str | None = None
            for _ in range(self.source.max_pages):
                body, recorded = self.call("quotes", self.client.get_quote_tweets, tweet_id,
                                           max_results=max(10, self.settings.page_size),
                                           pagination_token=token, **TWEET_PARAMS)
                yield self.page(body, recorded, "quotes")
                for tweet in body.get("data") or []:
                    if depth < QUOTE_DEPTH and _count(tweet, "quote_count"):
                        frontier.append((_platform_id(tweet), depth + 1))
                token = (body.get("meta") or {}).get("next_token")
                if not token:
                    break

    def replies(self) -> Iterator[Page]:
        """Replies through recent search on each conversation the account started that has any."""
        conversations: list[str] = []
        for pid in self._roots():
            tweet = self.observed.get(pid)
            if tweet is not None and _count(tweet, "reply_count"):
                conversations.append(str(tweet.get("conversation_id") or pid))
        for conversation in dict.fromkeys(conversations):
            token: str | None = None
            for _ in range(self.source.max_pages):
                body, recorded = self.call("replies", self.client.search_recent_tweets,
                                           f"conversation_id:{conversation}",
                                           max_results=max(10, self.settings.page_size),
                                           next_token=token, **TWEET_PARAMS)
                yield self.page(body, recorded, "replies")
                token = (body.get("meta") or {}).get("next_token")
                if not token:
                    break

    def following(self) -> Iterator[Page]:
        token: str | None = None
        assert self.user_id is not None
        for _ in range(self.source.max_pages):
            body, recorded = self.call("following", self.client.get_users_following, self.user_id,
                                       max_results=1000, pagination_token=token, user_fields=USER_FIELDS)
            users = [u for u in body.get("data") or [] if isinstance(u, dict)]
            accounts = [account_from_user(u) for u in users]
            follows = [Follow("x", self.user_id, a.platform_id) for a in accounts]
            yield Page(capture=recorded.capture(request="following"), accounts=accounts, follows=follows,
                       source=self.source.name)
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break


def _claims(body: dict[str, Any], asked: set[str]) -> list[StatusClaim]:
    """Definitive per-id answers from a lookup: Not Found -> deleted, Authorization -> unavailable."""
    claims: list[StatusClaim] = []
    for error in body.get("errors") or []:
        if not isinstance(error, dict) or error.get("resource_type") != "tweet":
            continue
        tid = error.get("resource_id") or error.get("value")
        if tid not in asked or error.get("parameter") not in (None, "ids"):
            continue
        title = error.get("title")
        if title == "Not Found Error":
            claims.append(StatusClaim("x", str(tid), "deleted", "X: Not Found Error"))
        elif title == "Authorization Error":
            claims.append(StatusClaim("x", str(tid), "unavailable", "X: Authorization Error"))
    return claims


def _count(tweet: dict[str, Any] | None, name: str) -> bool:
    """True when X counts any, or when the count is unknown (then the call is worth making)."""
    if tweet is None:
        return False
    metrics = tweet.get("public_metrics")
    if not isinstance(metrics, dict) or not isinstance(metrics.get(name), int):
        return True
    return bool(metrics[name] > 0)


def _platform_id(tweet: dict[str, Any]) -> str:
    history = tweet.get("edit_history_tweet_ids")
    if isinstance(history, list) and history and isinstance(history[0], str):
        return history[0]
    return str(tweet.get("id"))


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        title, detail = error.get("title"), error.get("detail") or error.get("message")
        return f"{title}: {detail}" if title and detail else str(detail or title or error)
    return str(error)


def _describe(exc: Exception) -> str:
    """One line: the HTTP status and what X said (tweepy puts X's messages after the status)."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    messages = [str(m) for m in getattr(exc, "api_messages", []) if m]
    text = " ".join(str(exc).split()) or type(exc).__name__
    if status:
        return f"HTTP {status}: {'; '.join(messages)}" if messages else f"HTTP {status}: {text}"
    return f"{type(exc).__name__}: {text}"
