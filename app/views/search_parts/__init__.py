"""The parts of the Search page (``app/views/search.py``): its form, its live view and its results."""
