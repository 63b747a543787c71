"""One post resolver: whatever a user pastes, to the archive's row id of one post.

Accepted, in this order:

- a form a registered platform claims (``Platform.parse_post``): an x.com or twitter.com status
  URL (any handle, any query string), a bsky.app post link with a handle or a DID, an at:// URI.
  A handle is resolved through the archive's handle history (current and past handles), never
  over the network, so a link copied before a rename still finds the post;
- a platform id or a stored post URL, exactly;
- the archive's own row id (a number of up to 11 digits that no post uses as its platform id);
- the id of a later version of an edited post (X gives each edit its own tweet id: the
  snapshot's ``content_id``).

``show``, ``tone show`` and ``export graph --cascade`` all come here, so they accept the same
forms and fail with the same message.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from archiver import platforms
from archiver.errors import BadInputError
from archiver.platforms import PostRef
from archiver.tables import T_ACCOUNT, T_HANDLE, T_POST, T_SNAPSHOT

__all__ = ["parse_ref", "resolve_post"]

_HELP = "give a row id, platform id, post URL or at:// URI"


def parse_ref(text: str) -> PostRef | None:
    """The first registered platform's reading of ``text``; None when no platform claims it."""
    for platform in platforms.platforms():
        ref = platform.parse_post(text)
        if ref is not None:
            return ref
    return None


def resolve_post(conn: Connection, text: str, label: str | None = None) -> int:
    """The row id of the one post ``text`` names; BadInputError (exit 2) if none or several.

    ``label`` starts the error message (the option or argument the user typed it in)."""
    text = text.strip()
    where = label or repr(text)
    ids = _matches(conn, text)
    if not ids:
        raise BadInputError(f"{where}: no such post in the archive ({_HELP})")
    if len(ids) > 1:
        raise BadInputError(f"{where}: matches posts {ids}; give the row id or the full URL")
    return ids[0]


def _matches(conn: Connection, text: str) -> list[int]:
    if not text:
        return []
    ref = parse_ref(text)
    if ref is not None:
        found = _by_ref(conn, ref)
        if found:
            return found
    found = _ids(conn, select(T_POST.c.id).where(or_(T_POST.c.platform_id == text, T_POST.c.url == text)))
    if found:
        return found
    if text.isdigit() and len(text) < 12:  # a row id (platform ids this short were matched above)
        return _ids(conn, select(T_POST.c.id).where(T_POST.c.id == int(text)))
    # last, a later version's own id: content_id has no index, so this runs only when all else failed
    return _ids(conn, select(T_SNAPSHOT.c.post_id).where(T_SNAPSHOT.c.content_id == text))


def _by_ref(conn: Connection, ref: PostRef) -> list[int]:
    platform = platforms.get(ref.platform)
    if ref.platform_id is not None:
        candidates = [ref.platform_id]
    else:
        assert ref.author is not None and ref.key is not None
        candidates = [platform.post_id(account_id, ref.key) for account_id in _accounts(conn, ref)]
    if not candidates:
        return []
    query = select(T_POST.c.id).where((T_POST.c.platform == ref.platform) & T_POST.c.platform_id.in_(candidates))
    found = _ids(conn, query)
    if not found and ref.platform_id is not None:  # an edited post named by a later version's id
        found = _ids(conn, select(T_SNAPSHOT.c.post_id).join(T_POST, T_POST.c.id == T_SNAPSHOT.c.post_id)
                     .where((T_POST.c.platform == ref.platform) & (T_SNAPSHOT.c.content_id == ref.platform_id)))
    return found


def _accounts(conn: Connection, ref: PostRef) -> list[str]:
    """The platform ids of the accounts that hold or held the handle (or have that id)."""
    author = (ref.author or "").lower()
    past = select(T_HANDLE.c.account_id).where(func.lower(T_HANDLE.c.handle) == author)
    query = select(T_ACCOUNT.c.platform_id).where(
        (T_ACCOUNT.c.platform == ref.platform)
        & or_(T_ACCOUNT.c.platform_id == ref.author, func.lower(T_ACCOUNT.c.handle) == author,
              T_ACCOUNT.c.id.in_(past)))
    return sorted(set(conn.execute(query).scalars()))


def _ids(conn: Connection, query: object) -> list[int]:
    return sorted({int(i) for i in conn.execute(query).scalars()})  # type: ignore[call-overload]
