"""Named domain errors. Library code raises these; only the front ends turn them into messages."""


class ReportbotError(Exception):
    """Base class: the message is one sentence a person can act on."""


class IndexMissing(ReportbotError):
    """No index has been built in the index directory."""


class IndexMismatch(ReportbotError):
    """The index on disk was built with other settings (model, dimension, chunking)."""


class IndexCorrupt(ReportbotError):
    """The index files are damaged, truncated or disagree with each other."""


class IndexLocked(ReportbotError):
    """Another ingest holds the index lock."""


class DocumentNotFound(ReportbotError):
    """No document with that id (or source) is indexed."""


class UnsupportedFormat(ReportbotError):
    """The file type is not one reportbot can read."""


class BadDocument(ReportbotError):
    """The file claims a supported format but cannot be read (corrupt, encrypted, empty, too big)."""


class FetchError(ReportbotError):
    """A URL could not be fetched, or is not allowed."""


class InvalidQuestion(ReportbotError):
    """The question or claim is empty or too long."""


class QuestionTooLong(InvalidQuestion):
    """The question or claim is over the configured length; front ends word it their way."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"That question is {length:,} characters long; please keep it under {limit:,}."
        )
        self.length = length
        self.limit = limit


class IngestError(ReportbotError):
    """Ingest failed part-way (disk full, interrupted); the previous index is untouched."""


class IndexUnavailable(ReportbotError):
    """The index's database server cannot be reached (down, restarting, network gone)."""


class ClusterUnavailable(ReportbotError):
    """Ray is not installed, or the cluster given to `ingest --ray` cannot be reached."""
