"""Shared fixtures: warehouses built once per test session."""

from __future__ import annotations

import pytest

from data_pipeline.build import build_warehouse
from data_pipeline.warehouse import Warehouse
from tests.factories import tiny_source

#: The demo country at a small scale: every level present, fast to build.
DEMO_TEST_SCALE = 0.06


@pytest.fixture(scope="session")
def tiny_warehouse_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    build_warehouse(tiny_source(), path)
    return path


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_warehouse_path):
    with Warehouse(tiny_warehouse_path) as wh:
        yield wh


@pytest.fixture(scope="session")
def demo_source_small():
    from data_pipeline.sources import demo_source

    return demo_source(seed=7, scale=DEMO_TEST_SCALE)


@pytest.fixture(scope="session")
def demo_warehouse_path(tmp_path_factory, demo_source_small):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_warehouse(demo_source_small, path)
    return path


@pytest.fixture(scope="session")
def demo_warehouse(demo_warehouse_path):
    with Warehouse(demo_warehouse_path) as wh:
        yield wh


@pytest.fixture(scope="session")
def real_warehouse_path(tmp_path_factory):
    """The warehouse built from ../shared/data/real for 2024 (skips without it, fails on CI)."""
    from data_pipeline.cli import build_from_files
    from tests.realdata import real_data_dir

    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    build_from_files(path, real_data_dir(), 2024)
    return path


@pytest.fixture(scope="session")
def real_warehouse(real_warehouse_path):
    with Warehouse(real_warehouse_path) as wh:
        yield wh
