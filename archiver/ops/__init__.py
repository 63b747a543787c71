"""Operations: unattended runs (lock, run, coverage gaps, structured logs) and archive copies."""
