"""Sample files and small file makers shared by the import tests."""

from __future__ import annotations

import json
from pathlib import Path

from campaigns.samples import SAMPLE_DATA

ARC_EN = SAMPLE_DATA / "arc_challenge_validation_en.jsonl"
ARC_ES = SAMPLE_DATA / "okapi_arc_challenge_validation_es.jsonl"
MMLU_EN = SAMPLE_DATA / "mmlu_validation_en.jsonl"
MMLU_ES = SAMPLE_DATA / "okapi_mmlu_val_es.jsonl"
HELLASWAG_EN = SAMPLE_DATA / "hellaswag_validation_en.jsonl"
MPEP = SAMPLE_DATA / "mpep_spanish_schema_example.jsonl"


def load(path: Path) -> list[dict]:
    """Read a JSONL file into rows."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    """Write rows as JSONL and return the path."""
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def hellaswag_spanish(rows: list[dict]) -> list[dict]:
    """Make an Okapi-layout Spanish file from English rows by tagging every string."""
    tagged = []
    for row in rows:
        copy = dict(row, split="val")
        for field in ("activity_label", "ctx_a", "ctx_b"):
            copy[field] = f"[es] {row[field]}"
        copy["ctx"] = f"{copy['ctx_a']} {copy['ctx_b']}"
        copy["endings"] = [f"[es] {ending}" for ending in row["endings"]]
        tagged.append(copy)
    return tagged


MMLU_SUBJECTS = ("anatomy", "astronomy", "econometrics", "virology")


def mmlu_pair_write(directory: Path, rows: int) -> tuple[Path, Path]:
    """Write N synthetic MMLU items: English `cais/mmlu` JSONL and its Okapi Spanish twin."""
    english = directory / "mmlu_en.jsonl"
    spanish = directory / "okapi_mmlu_es.jsonl"
    with english.open("w", encoding="utf-8") as en, spanish.open("w", encoding="utf-8") as es:
        for number in range(rows):
            subject = MMLU_SUBJECTS[number % len(MMLU_SUBJECTS)]
            index = number // len(MMLU_SUBJECTS)
            answer = number % 4
            en_row = {
                "question": f"Question {number} about {subject}: which of these holds?",
                "subject": subject,
                "choices": [f"choice {k} of question {number}" for k in range(4)],
                "answer": answer,
                "_row_index": index,
            }
            es_row = {
                "instruction": f"Pregunta {number} sobre {subject}: ¿cuál de estas se cumple?",
                **{
                    f"option_{letter}": f"opción {k} de la pregunta {number}"
                    for k, letter in enumerate("abcd")
                },
                "answer": "ABCD"[answer],
                "id": f"{subject}/val/{index}",
            }
            en.write(json.dumps(en_row) + "\n")
            es.write(json.dumps(es_row, ensure_ascii=False) + "\n")
    return english, spanish
