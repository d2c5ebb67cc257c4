"""Two-way sync with Argilla; `gateway` is the only module that speaks to Argilla."""
