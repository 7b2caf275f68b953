"""bot.staging: where an ingest writes, and what a failure there leaves behind."""

from __future__ import annotations

import errno

import pytest

from bot.errors import IndexLocked, IngestError
from bot.staging import SqliteStaging


def test_a_second_ingest_is_refused_while_the_first_holds_the_lock(tmp_path) -> None:
    first, second = SqliteStaging(tmp_path), SqliteStaging(tmp_path)
    with (
        first.locked(),
        pytest.raises(IndexLocked, match="Another ingest is already running"),
        second.locked(),
    ):
        pass
    with second.locked():  # released once the first is done
        pass


def test_a_full_disk_is_one_sentence_and_releases_the_lock(tmp_path) -> None:
    staging = SqliteStaging(tmp_path)
    with (
        pytest.raises(IngestError, match=r"the disk is full .*previous index is unchanged"),
        staging.locked(),
    ):
        raise OSError(errno.ENOSPC, "No space left on device")
    with SqliteStaging(tmp_path).locked():
        pass


def test_nothing_is_live_before_the_first_publish(tmp_path) -> None:
    staging = SqliteStaging(tmp_path)
    assert staging.live_meta() is None
    with pytest.raises(RuntimeError, match="stage"):
        staging.db  # noqa: B018 (the property refuses before stage())
