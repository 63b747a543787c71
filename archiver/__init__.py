"""statement-archiver: a hash-verified archive of official posts on X and Bluesky."""

__version__ = "0.1.0"
