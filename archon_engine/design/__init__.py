"""Designs as the user edits and keeps them: editing operations on architectures, and the preset gallery."""
