"""What every room stands on, knowing no astronomy: atomic writes, SQLite, content digests, tables in and out,
staging folders, guarded CSV and gzip reading, downloads, SAMP, and where per-object work runs."""
