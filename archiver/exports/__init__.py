"""Streaming exports: posts and versions as JSONL, CSV or Parquet, and X posts as twarc2 JSONL."""
