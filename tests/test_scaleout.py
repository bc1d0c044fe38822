"""Dask and Spark runs give the serial run's records exactly: local modes, and real clusters of
worker processes started on this machine (a Dask LocalCluster, a Spark standalone master and
worker)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kpi_engine.scaleout import columns_for, dask_batch, evaluate_records, spark_batch

from .conftest import EXTRA_PACK, SETS

SET = SETS / "project-demo-2024" / "set.yaml"
TEXT = SET.read_text(encoding="utf-8")


def _rows(n: int = 40) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        rows.append(
            {
                "unit": f"U{i:03d}",
                "budget_initial": "800",
                "budget_adjusted": "760",
                "spent": "完成" if i == 3 else str(700 + i),
                "samples_done": str(2900 + i),
                "markets_checked": "48",
                "reports_total": "3126",
                "reports_valid": "3100",
                "nonconforming_found": "94",
                "nonconforming_handled": "94",
                "publish_days": str(20 + i % 5),
                "disposal_days": "30",
                "accidents": "0",
                "respondents": "412",
                "satisfied": str(360 + i),
                "mechanism.tier": "达成",
            }
        )
    rows.append({"unit": "bad", "samples.actual": "1", "samples.tier": "达成"})  # a unit that fails
    return rows


SERIAL = list(evaluate_records(TEXT, str(SET), "unit", _rows()))


def test_serial_records_cover_every_row_including_failures() -> None:
    """One record per row; the structurally bad unit is an error record."""
    assert len(SERIAL) == 41
    assert SERIAL[-1]["status"] == "error"
    assert set(SERIAL[0]) == set(columns_for(TEXT))


def test_dask_gives_identical_records() -> None:
    """A bag in 4 partitions on the process scheduler gives the serial records, in order."""
    dask_bag = pytest.importorskip("dask.bag", reason="the dask extra is not installed")
    import dask

    bag = dask_bag.from_sequence(_rows(), npartitions=4)
    with dask.config.set(scheduler="processes", num_workers=2):
        records = dask_batch(TEXT, bag, source=str(SET)).compute()
    assert records == SERIAL


def test_dask_applies_extra_rule_packs_like_the_serial_run() -> None:
    """Rule packs given as text reach the workers: the error counts match the serial run's."""
    dask_bag = pytest.importorskip("dask.bag", reason="the dask extra is not installed")
    import dask

    serial = list(evaluate_records(TEXT, str(SET), "unit", _rows(), (EXTRA_PACK,)))
    assert serial[0]["flags.error"] != SERIAL[0]["flags.error"]  # the extra pack did fire
    bag = dask_bag.from_sequence(_rows(), npartitions=4)
    with dask.config.set(scheduler="processes", num_workers=2):
        records = dask_batch(TEXT, bag, source=str(SET), rule_texts=(EXTRA_PACK,)).compute()
    assert records == serial


@pytest.mark.spark
def test_spark_gives_identical_records() -> None:
    """mapInArrow on local[2] gives the serial records (sorted by unit key to compare), with and
    without an extra rule pack given as text."""
    pytest.importorskip("pyspark", reason="the spark extra is not installed (separate CI lane)")
    if shutil.which("java") is None:
        pytest.skip("no Java on this machine: Spark needs Java 17")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("kpi_engine-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    try:
        rows = _rows()
        columns = sorted({k for row in rows for k in row})
        frame = spark.createDataFrame(
            [tuple(row.get(c) for c in columns) for row in rows],
            schema=", ".join(f"`{c}` string" for c in columns),
        )
        result = spark_batch(TEXT, frame, source=str(SET)).collect()
        records = [row.asDict() for row in result]
        extra = spark_batch(TEXT, frame, source=str(SET), rule_texts=(EXTRA_PACK,)).collect()
        extra_records = [row.asDict() for row in extra]
    finally:
        spark.stop()

    def by_unit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda r: str(r["unit"]))

    assert by_unit(records) == by_unit(SERIAL)
    serial_extra = list(evaluate_records(TEXT, str(SET), "unit", _rows(), (EXTRA_PACK,)))
    assert by_unit(extra_records) == by_unit(serial_extra)


def test_a_dask_cluster_of_worker_processes_gives_identical_records() -> None:
    """The cluster path of docs/scale-out.md on this machine: a LocalCluster of two worker
    processes (a real scheduler and workers, as on a cluster), reached through Client(address)."""
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    dask_bag = pytest.importorskip("dask.bag")
    from distributed import Client, LocalCluster

    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster.scheduler_address) as client,  # type: ignore[no-untyped-call]
    ):
        bag = dask_bag.from_sequence(_rows(), npartitions=4)
        records = client.compute(dask_batch(TEXT, bag, source=str(SET))).result()
        workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert records == SERIAL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.spark
def test_a_spark_standalone_cluster_gives_identical_records(tmp_path: Path) -> None:
    """The cluster path of docs/scale-out.md on this machine: a standalone master and a worker
    (separate JVMs, as on a cluster), executors on this Python (what PYSPARK_PYTHON names)."""
    pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")
    if shutil.which("java") is None:
        pytest.skip("no Java on this machine: Spark needs Java 17")
    from pyspark.sql import SparkSession

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    port = _free_port()
    env = {
        **os.environ,
        "SPARK_LOG_DIR": str(tmp_path),
        "SPARK_WORKER_DIR": str(tmp_path / "work"),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
    }
    master_url = f"spark://127.0.0.1:{port}"
    daemons = [
        subprocess.Popen(
            [
                *(str(spark_class), "org.apache.spark.deploy.master.Master"),
                *("--host", "127.0.0.1", "--port", str(port), "--webui-port", str(_free_port())),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        daemons.append(
            subprocess.Popen(
                [
                    *(str(spark_class), "org.apache.spark.deploy.worker.Worker", master_url),
                    *("--host", "127.0.0.1", "--cores", "2", "--memory", "1g"),
                    *("--webui-port", str(_free_port())),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        spark = (
            SparkSession.builder.master(master_url)
            .appName("kpi_engine-cluster-test")
            .config("spark.ui.enabled", "false")
            .config("spark.pyspark.python", sys.executable)
            .config("spark.executorEnv.PYTHONPATH", os.pathsep.join(sys.path))
            .config("spark.executor.memory", "512m")
            .getOrCreate()
        )
        try:
            rows = _rows()
            columns = sorted({k for row in rows for k in row})
            frame = spark.createDataFrame(
                [tuple(row.get(c) for c in columns) for row in rows],
                schema=", ".join(f"`{c}` string" for c in columns),
            ).repartition(4)
            records = [row.asDict() for row in spark_batch(TEXT, frame, source=str(SET)).collect()]
            executors = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size()
        finally:
            spark.stop()
    finally:
        for daemon in reversed(daemons):
            daemon.terminate()
            daemon.wait(timeout=30)
    assert executors >= 2  # the driver and at least one executor on the worker
    assert sorted(records, key=lambda r: str(r["unit"])) == sorted(
        SERIAL, key=lambda r: str(r["unit"])
    )
