"""Turn benchmark files and their machine translations into record drafts (no database).

`sources` reads rows; `presets` knows each benchmark's layout and pairs English with its
translation; `records` holds the drafts handed to the database layer and the problems.
"""
