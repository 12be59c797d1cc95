"""What the engine keeps on disk: the data folder, its SQLite files, and the run store (runs, evaluations, configs)."""
