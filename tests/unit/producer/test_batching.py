"""Limits and ordering of ``split_batches`` / ``validate_record`` at every boundary."""

from __future__ import annotations

import re

import pytest

from ml_data_platform.producer import (
    DEFAULT_MAX_RECORD_BYTES,
    LARGE_RECORD_MAX_BYTES,
    MAX_RECORDS_PER_REQUEST,
    MAX_REQUEST_BYTES,
    Record,
    split_batches,
)

MIB = 1024 * 1024


def sized(size: int, key: str = "k") -> Record:
    """A record whose data + partition key is exactly ``size`` bytes."""
    return Record(b"x" * (size - len(key.encode())), key)


def small(count: int) -> list[Record]:
    return [Record(str(i).encode(), f"key-{i}") for i in range(count)]


def test_limits_match_the_documented_values() -> None:
    assert (MAX_RECORDS_PER_REQUEST, MAX_REQUEST_BYTES) == (500, 5 * MIB)
    assert (DEFAULT_MAX_RECORD_BYTES, LARGE_RECORD_MAX_BYTES) == (MIB, 10 * MIB)


def test_size_counts_data_and_utf8_partition_key_bytes() -> None:
    assert Record(b"abc", "é").size == 5


def test_exactly_500_records_make_one_batch() -> None:
    records = small(500)
    assert list(split_batches(records)) == [records]


def test_501_records_make_two_batches_in_order() -> None:
    records = small(501)
    assert list(split_batches(records)) == [records[:500], records[500:]]


def test_batches_preserve_order_across_many_splits() -> None:
    records = small(1_234)
    batches = list(split_batches(records))
    assert [len(b) for b in batches] == [500, 500, 234]
    assert [r for batch in batches for r in batch] == records


def test_exactly_5_mib_is_one_batch() -> None:
    records = [sized(MIB, key=f"k{i}") for i in range(5)]
    assert sum(r.size for r in records) == MAX_REQUEST_BYTES
    assert list(split_batches(records)) == [records]


def test_one_byte_over_5_mib_starts_a_new_batch() -> None:
    records = [*(sized(MIB, key=f"k{i}") for i in range(5)), Record(b"", "z")]
    assert list(split_batches(records)) == [records[:5], records[5:]]


def test_byte_limit_splits_before_the_count_limit() -> None:
    records = [sized(100 * 1024, key=f"k{i}") for i in range(120)]  # 51.2 records fit 5 MiB
    assert [len(b) for b in split_batches(records)] == [51, 51, 18]


def test_record_of_exactly_1_mib_is_accepted() -> None:
    record = sized(MIB)
    assert list(split_batches([record])) == [[record]]


def test_record_of_1_mib_plus_1_byte_is_rejected_with_index_size_and_limit() -> None:
    records = [*small(3), sized(MIB + 1)]
    with pytest.raises(ValueError) as error:
        list(split_batches(records))
    assert str(error.value) == (
        "record 3: 1048577 bytes (data + partition key) exceeds the 1048576-byte record limit"
    )


def test_partition_key_bytes_count_toward_the_record_limit() -> None:
    with pytest.raises(ValueError, match=r"^record 0: 1048577 bytes"):
        list(split_batches([Record(b"x" * MIB, "k")]))


def test_index_of_a_bad_record_is_its_position_in_the_whole_input() -> None:
    records = [*small(700), Record(b"data", "")]
    with pytest.raises(ValueError, match=r"^record 700: "):
        list(split_batches(records))


@pytest.mark.parametrize("key", ["k", "k" * 256, "é" * 256, "🙂" * 256])
def test_partition_keys_of_1_to_256_characters_are_accepted(key: str) -> None:
    assert list(split_batches([Record(b"d", key)])) == [[Record(b"d", key)]]


@pytest.mark.parametrize(("key", "chars"), [("", 0), ("k" * 257, 257), ("é" * 257, 257)])
def test_partition_keys_outside_1_to_256_characters_are_rejected(key: str, chars: int) -> None:
    with pytest.raises(ValueError) as error:
        list(split_batches([*small(2), Record(b"d", key)]))
    assert str(error.value) == (
        f"record 2: partition key has {chars} characters; it must have 1 to 256"
    )


@pytest.mark.parametrize("hash_key", ["0", "42", str(2**128 - 1)])
def test_valid_explicit_hash_keys_are_accepted(hash_key: str) -> None:
    record = Record(b"d", "k", explicit_hash_key=hash_key)
    assert list(split_batches([record])) == [[record]]


@pytest.mark.parametrize("hash_key", ["", "-1", "1.5", "abc", "٣", str(2**128)])
def test_invalid_explicit_hash_keys_are_rejected(hash_key: str) -> None:
    with pytest.raises(ValueError, match=r"^record 0: explicit hash key .* 0 to 2\*\*128 - 1$"):
        list(split_batches([Record(b"d", "k", explicit_hash_key=hash_key)]))


def test_large_record_limit_is_a_parameter_and_a_10_mib_record_gets_its_own_call() -> None:
    big = sized(10 * MIB)
    records = [Record(b"a", "k"), big, Record(b"b", "k")]
    assert list(split_batches(records, max_record_bytes=10 * MIB)) == [
        records[:1],
        [big],
        records[2:],
    ]
    with pytest.raises(ValueError, match=re.escape("exceeds the 1048576-byte record limit")):
        list(split_batches(records))


@pytest.mark.parametrize("limit", [0, 10 * MIB + 1])
def test_record_limit_outside_what_kinesis_allows_is_rejected(limit: int) -> None:
    with pytest.raises(ValueError, match=rf"^max_record_bytes is {limit}; Kinesis allows 1 to"):
        list(split_batches(small(1), max_record_bytes=limit))


def test_no_records_make_no_batches() -> None:
    assert list(split_batches([])) == []
