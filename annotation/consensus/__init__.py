"""Consensus: settle each record's answers, review disputes, count agreement with it.

`rule` is the majority rule itself (no database), `services` stores what it settles and what
reviewers decide, `bulk` settles many completed records at once. Import from the module that
holds a name: this package re-exports nothing, so importing one part never loads the rest.
"""
