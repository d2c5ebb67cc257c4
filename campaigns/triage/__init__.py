"""Rank machine translations by how likely they are to be wrong, so volunteers see those first."""
