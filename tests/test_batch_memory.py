"""A warm worker's resident memory stays flat over a long batch of different scenes."""

from __future__ import annotations

import pytest

from renderer.batch import BatchConfig, run_batch
from renderer.bench import memory_growth


@pytest.mark.slow
def test_resident_memory_grows_less_than_ten_percent_over_500_frames(tmp_path):
    summary = run_batch(
        BatchConfig(
            recipe="tabletop",
            out=tmp_path,
            count=500,
            resolution=(32, 32),
            samples=1,
            workers=1,
            recycle_after=10_000,
        )
    )
    assert summary.done == 500 and not summary.failed
    growth = memory_growth(summary.rss_bytes)  # after 50 warm-up frames
    print(growth)
    assert growth["growth_percent"] < 10.0, growth
