"""Export validated campaigns as Hugging Face datasets in their source's layout.

`layouts` rebuilds each preset's rows, `read` gathers records and answers, `write` the
files, `harness` the lm-evaluation-harness tasks, `card` the dataset card, and `services`
runs an export and registers its version.
"""
