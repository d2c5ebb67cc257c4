"""Write lm-evaluation-harness task files that evaluate an export as the okapi tasks do.

Each task mirrors its okapi counterpart (`lm_eval/tasks/okapi/`: arc_multilingual,
mmlu_multilingual, hellaswag_multilingual) but reads the exported JSON Lines files through
`dataset_path: json` and `data_files`. The files are named relative to the export's root, which
is where the harness resolves them from (its working directory): run it there, with
`lm_eval --include_path lm_eval --tasks <task> ...`, and the unzipped export works on any machine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

# The okapi task each harness mirrors, by the campaign's target language: arc_ca, m_mmlu_eu...
BASE_TASK = {
    "arc": "arc_{language}",
    "mmlu": "m_mmlu_{language}",
    "hellaswag": "hellaswag_{language}",
}

# The okapi tasks' own prompt building, for the exported rows (the ARC rows keep option_e,
# empty for four options; empty options are not offered as choices).
_ARC_UTILS = '''"""Build query, choices and gold as okapi/arc_multilingual does."""

import datasets


def process_docs(dataset: datasets.Dataset) -> datasets.Dataset:
    def _process_doc(doc):
        options = [doc["option_" + letter] for letter in "abcde"]
        return {
            "id": doc["id"],
            "query": "Question: " + doc["instruction"] + "\\nAnswer:",
            "choices": [option for option in options if option],
            "gold": ["A", "B", "C", "D", "E"].index(doc["answer"]),
        }

    return dataset.map(_process_doc)
'''

_HELLASWAG_UTILS = '''"""Build query, choices and gold as okapi/hellaswag_multilingual does."""

import re

import datasets


def preprocess(text):
    text = text.strip()
    # Brackets are artifacts of the WikiHow part of HellaSwag.
    text = text.replace(" [title]", ". ")
    text = re.sub("\\\\[.*?\\\\]", "", text)
    text = text.replace("  ", " ")
    return text


def process_docs(dataset: datasets.Dataset) -> datasets.Dataset:
    def _process_doc(doc):
        ctx = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
        return {
            "query": preprocess(doc["activity_label"] + ": " + ctx),
            "choices": [preprocess(ending) for ending in doc["endings"]],
            "gold": int(doc["label"]),
        }

    return dataset.map(_process_doc)
'''

_METRICS = """metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
{norm}metadata:
  version: 1.0
"""
_ACC_NORM = """  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
"""


def task_name(*, harness: str, language: str, slug: str) -> str:
    """Return the task name of a campaign's export: the okapi task's, marked as Somos's."""
    base = BASE_TASK[harness].format(language=_identifier(language))
    return f"{base}_somos_{_identifier(slug)}"


def _identifier(value: str) -> str:
    # Task names are Python-style identifiers: a slug's or a code's hyphens (pt-br) go.
    return value.replace("-", "_")


def _split(splits: Mapping[str, str], *names: str) -> str:
    return next((json.dumps(name) for name in names if name in splits), "null")


def harness_task_write(
    *, harness: str, task: str, folder: Path, data_files: Mapping[str, str], title: str
) -> Path:
    """Write the task YAML (and the utils.py it needs) into folder; return the YAML's path.

    data_files: per split, a path relative to the export's root, or a URL (hf://…).
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = "".join(
        f"    {split}: {json.dumps(path)}\n" for split, path in sorted(data_files.items())
    )
    head = (
        f"# {title}: lm-evaluation-harness task written by Somos.\n"
        "# Run from the export's root (data_files are relative to it):\n"
        f"# lm_eval --include_path lm_eval --tasks {task} ...\n"
        f"task: {task}\n"
        "dataset_path: json\n"
        "dataset_name: null\n"
        "dataset_kwargs:\n"
        "  data_files:\n"
        f"{files}"
        "output_type: multiple_choice\n"
    )
    if harness == "arc":
        body = (
            f"training_split: {_split(data_files, 'train')}\n"
            f"validation_split: {_split(data_files, 'validation')}\n"
            f"test_split: {_split(data_files, 'test')}\n"
            "process_docs: !function utils.process_docs\n"
            'doc_to_text: "query"\n'
            'doc_to_target: "gold"\n'
            'doc_to_choice: "choices"\n'
            "should_decontaminate: true\n"
            'doc_to_decontamination_query: "query"\n'
        ) + _METRICS.format(norm=_ACC_NORM)
        (folder / "utils.py").write_text(_ARC_UTILS, encoding="utf-8")
    elif harness == "mmlu":
        fewshot = (
            'fewshot_split: "train"\nfewshot_config:\n  sampler: first_n\n'
            if "train" in data_files
            else ""
        )
        body = (
            f"test_split: {_split(data_files, 'test', 'val', 'validation', 'train')}\n"
            f"{fewshot}"
            'doc_to_text: "{{instruction.strip()}}\\nA. {{option_a}}\\nB. {{option_b}}\\nC.'
            ' {{option_c}}\\nD. {{option_d}}\\nAnswer:"\n'
            'doc_to_choice: ["A", "B", "C", "D"]\n'
            'doc_to_target: \'{{["A", "B", "C", "D"].index(answer)}}\'\n'
        ) + _METRICS.format(norm="")
    else:
        body = (
            "training_split: null\n"
            f"validation_split: {_split(data_files, 'val', 'validation')}\n"
            # HellaSwag's test split has no labels: the okapi task never evaluates on it.
            "test_split: null\n"
            "process_docs: !function utils.process_docs\n"
            'doc_to_text: "query"\n'
            'doc_to_target: "{{label.lstrip()}}"\n'
            'doc_to_choice: "choices"\n'
        ) + _METRICS.format(norm=_ACC_NORM)
        (folder / "utils.py").write_text(_HELLASWAG_UTILS, encoding="utf-8")
    path = folder / f"{task}.yaml"
    path.write_text(head + body, encoding="utf-8")
    return path
