"""The evaluation datasets of the first Spanish LLM leaderboard (#Somos600M paper, Table 5)."""

from __future__ import annotations

from typing import NamedTuple


class RegistryEntry(NamedTuple):
    name: str
    languages: tuple[str, ...]
    domain: str
    task: str


TABLE_5 = (
    RegistryEntry("AQuAS", ("es",), "Miscellaneous", "Abstractive QA"),
    RegistryEntry("RagQuAS", ("es",), "Miscellaneous", "RAG and Abstractive QA"),
    RegistryEntry("HellaSwag_es", ("es",), "Miscellaneous", "Commonsense NLI"),
    RegistryEntry("MMLU_es", ("es",), "Miscellaneous", "Multiple choice QA"),
    RegistryEntry("TELEIA", ("es",), "Language proficiency", "Multiple choice QA"),
    RegistryEntry("Meta4XNLI", ("es",), "Language proficiency", "NLI"),
    RegistryEntry("HumorQA", ("es",), "Language proficiency", "Classification"),
    RegistryEntry("ARC-C_es", ("es",), "Science", "Multiple choice QA"),
    RegistryEntry("NoticIA", ("es",), "Press", "Summarization"),
    RegistryEntry("SpaLawEx", ("es",), "Legal", "Multiple choice QA"),
    RegistryEntry("MedicalExpertES", ("es",), "Clinical", "Open QA"),
    RegistryEntry("MedExpQA", ("es",), "Clinical", "Multiple choice QA"),
    RegistryEntry("CasiMedicos-SQUAD", ("es",), "Clinical", "Extractive QA"),
    RegistryEntry("CONAN-EUS", ("es", "eu"), "Hate speech", "Counter narrative generation"),
    RegistryEntry("CatalanQA", ("ca",), "Miscellaneous", "Extractive QA"),
    RegistryEntry("TE_ca", ("ca",), "Miscellaneous", "NLI"),
    RegistryEntry("XNLI_ca", ("ca",), "Miscellaneous", "NLI"),
    RegistryEntry("WNLI_ca", ("ca",), "Miscellaneous", "NLI"),
    RegistryEntry("COPA_ca", ("ca",), "Miscellaneous", "Commonsense Reasoning"),
    RegistryEntry("PAWS_ca", ("ca",), "Miscellaneous", "Paraphrasing"),
    RegistryEntry("XQUAD_ca", ("ca",), "Miscellaneous", "Extractive QA"),
    RegistryEntry("caBREU", ("ca",), "Press", "Summarization"),
)
