"""The background jobs the pages poll: the mechanism they share (``base``), and a run, an evaluation and a search."""
