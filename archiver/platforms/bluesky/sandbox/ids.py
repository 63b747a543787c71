"""The scenario's Bluesky repositories: every Bluesky item as a real atproto record with its
record key, at:// URI and true CID, and every image as a blob with its raw-codec CID.

Why a separate module: records must be identical whichever endpoint serves them (author feed,
getPosts, listRecords, getRecord, the repo CAR), and a record's CID depends on the CIDs of the
records it references (reply parents, quoted posts, repost subjects, ``via``). So all records are
built once per scenario, oldest reference first, and the XRPC views only look them up.

Records do not change between steps (the scenario edits only X posts); a step decides which of
them are visible.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import libipld

from archiver.collectors.records import iso_utc
from archiver.hashing import bluesky_cid
from archiver.platforms.bluesky.sandbox.repo_car import make_tid
from archiver.sandbox.scenario import Image, Item, Person, Scenario

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
_RAW_CID_PREFIX = b"\x01\x55\x12\x20"  # CIDv1, raw codec, sha2-256, 32-byte digest


@dataclass(frozen=True)
class Record:
    """One record in one account's repository."""

    item: Item
    did: str
    collection: str
    rkey: str
    uri: str
    cid: str
    value: dict[str, Any]

    def strong_ref(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}


@dataclass(frozen=True)
class Blob:
    cid: str
    image: Image
    data: bytes


@dataclass
class Repos:
    """Every Bluesky record and blob of a scenario, with the look-ups the XRPC views need."""

    scenario: Scenario
    records: dict[str, Record]  # by item key
    by_uri: dict[str, Record]
    blobs: dict[str, Blob]  # by blob CID
    blob_of_image: dict[str, Blob]  # by image key
    people_by_did: dict[str, Person]

    def visible(self, record: Record, step: int) -> bool:
        return record.item.visible_at(step)

    def person_by_actor(self, actor: str, step: int) -> Person | None:
        """A DID, or a handle as it is at ``step`` (an old handle no longer resolves)."""
        if actor.startswith("did:"):
            return self.people_by_did.get(actor)
        wanted = actor.lower().lstrip("@")
        for person in self.scenario.people.values():
            handle = self.scenario.handle(person.key, "bluesky", step)
            if handle and handle.lower() == wanted:
                return person
        return None

    def handle(self, person: Person, step: int) -> str:
        return self.scenario.handle(person.key, "bluesky", step) or "handle.invalid"

    def by_author(self, did: str, step: int, collection: str | None = None) -> list[Record]:
        """The account's visible records, newest first (the order of feeds and listRecords)."""
        out = [
            r
            for r in self.records.values()
            if r.did == did and self.visible(r, step) and (collection is None or r.collection == collection)
        ]
        return sorted(out, key=lambda r: r.rkey, reverse=True)


def raw_cid(data: bytes) -> str:
    """The CID a PDS gives a blob: CIDv1, raw codec (0x55), sha2-256, base32 ``bafkrei...``."""
    return str(libipld.encode_cid(_RAW_CID_PREFIX + hashlib.sha256(data).digest()))


def rkey_for(item: Item) -> str:
    """A TID from the item's time; the clock id (from the key) separates items of the same minute."""
    micros = int(item.at.timestamp()) * 1_000_000
    clock_id = int(hashlib.sha256(item.key.encode()).hexdigest()[:4], 16) % 1024
    return make_tid(micros, clock_id)


def _blob_ref(blob: Blob) -> dict[str, Any]:
    return {"$type": "blob", "ref": {"$link": blob.cid}, "mimeType": blob.image.mime, "size": len(blob.data)}


def _images_embed(blob: Blob) -> dict[str, Any]:
    return {"$type": "app.bsky.embed.images", "images": [{"alt": blob.image.alt, "image": _blob_ref(blob)}]}


def _value(item: Item, refs: dict[str, Record], blobs: dict[str, Blob]) -> dict[str, Any]:
    """The record JSON as a PDS stores it (key order as the official client writes it)."""
    created = iso_utc(item.at)
    if item.kind == "repost":
        assert item.target is not None
        value: dict[str, Any] = {
            "$type": REPOST,
            "subject": refs[item.target].strong_ref(),
            "createdAt": created,
        }
        if item.via:
            value["via"] = refs[item.via].strong_ref()
        return value
    value = {"$type": POST, "text": item.text_at(1), "createdAt": created}
    if item.lang:
        value["langs"] = [item.lang]
    if item.kind == "reply":
        assert item.target is not None
        parent = refs[item.target]
        root = parent
        while root.item.kind == "reply" and root.item.target is not None:
            root = refs[root.item.target]
        value["reply"] = {"root": root.strong_ref(), "parent": parent.strong_ref()}
    image = blobs[item.image] if item.image else None
    if item.kind == "quote":
        assert item.target is not None
        record_embed = {"$type": "app.bsky.embed.record", "record": refs[item.target].strong_ref()}
        if image is not None:
            value["embed"] = {
                "$type": "app.bsky.embed.recordWithMedia",
                "record": record_embed,
                "media": _images_embed(image),
            }
        else:
            value["embed"] = record_embed
    elif image is not None:
        value["embed"] = _images_embed(image)
    return value


_CACHE: dict[int, Repos] = {}


def repos(scenario: Scenario) -> Repos:
    """The scenario's repositories, built once (records are immutable across steps)."""
    cached = _CACHE.get(id(scenario))
    if cached is not None and cached.scenario is scenario:
        return cached
    blob_of_image: dict[str, Blob] = {}
    blobs: dict[str, Blob] = {}
    for key, image in scenario.images.items():
        data = image.data()
        blob = Blob(raw_cid(data), image, data)
        blob_of_image[key] = blob
        blobs[blob.cid] = blob
    items = {k: i for k, i in scenario.items.items() if i.platform == "bluesky"}
    records: dict[str, Record] = {}

    def build(key: str) -> Record:
        if key in records:
            return records[key]
        item = items[key]
        for dep in (item.target, item.via):
            if dep is not None:
                build(dep)
        did = scenario.people[item.author].did
        collection = REPOST if item.kind == "repost" else POST
        rkey = rkey_for(item)
        value = _value(item, records, blob_of_image)
        record = Record(
            item, did, collection, rkey, f"at://{did}/{collection}/{rkey}", bluesky_cid(value), value
        )
        records[key] = record
        return record

    for key in sorted(items):
        build(key)
    built = Repos(
        scenario=scenario,
        records=records,
        by_uri={r.uri: r for r in records.values()},
        blobs=blobs,
        blob_of_image=blob_of_image,
        people_by_did={p.did: p for p in scenario.people.values() if p.bsky_handle},
    )
    _CACHE[id(scenario)] = built
    return built
