"""Running a compiled trial on DuckDB or Spark, and turning its result rows into decisions.

``load_tables`` registers event tables (Arrow tables, from bound records or from Parquet files) with a
connection; ``run`` executes the query and yields, per patient in position order, ``(patient_id, position,
statuses, missing)`` where statuses are ``MET``/``NOT_MET``/``UNKNOWN`` and missing is the sorted missing
summary over the UNKNOWN criteria (``explain.outcome.decide``'s rule).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .criteria import STATUS_BITS, CompiledSql, unpack
from .schema import TABLES, sql_types
from .units import arrow_units, distinct_units_sql, unit_rows

STATUS = ("NOT_MET", "UNKNOWN", "MET", "DEFER")  # DEFER: a row the Python engine must decide (criteria.py)


def duckdb_connection(threads: int | None = None) -> Any:
    import duckdb

    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads TO {int(threads)}")
    return con


def load_arrow_duckdb(con: Any, tables: dict[str, Any]) -> None:
    for name, table in tables.items():
        con.register(name, table)
    con.register("units", arrow_units(tables))


def _units_from_query(rows: list) -> Any:
    import pyarrow as pa

    from .units import UNITS

    data = unit_rows(r[0] for r in rows)
    types = {"text": pa.string(), "number": pa.decimal128(38, 12)}
    return pa.table({c: pa.array(data[c], type=types[k]) for c, k in UNITS})


def parquet_patients(con: Any, directory: str) -> int:
    """How many rows ``<directory>/patients.parquet`` holds (0 when it is absent)."""
    from pathlib import Path

    path = Path(directory) / "patients.parquet"
    if not path.exists():
        return 0
    return int(con.execute(f"SELECT count(*) FROM read_parquet('{_quote(path)}')").fetchone()[0])


def _empty_view(con: Any, name: str, cols: tuple, types: dict[str, str], key: str | None = None) -> None:
    """A view with the table's columns and no rows (its file is absent); ``key``: the patient_id's type."""
    cast = ", ".join(f'CAST(NULL AS {key if key and c == "patient_id" else types[k]}) AS "{c}"' for c, k in cols)
    con.execute(f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT {cast} WHERE FALSE")


def load_parquet_duckdb_plain(con: Any, directory: str) -> None:
    """Views over ``<directory>/<table>.parquet`` as they are (text ids: ``screening/table_records.py`` reads
    records from them); a table that is absent is empty."""
    from pathlib import Path

    types = sql_types("duckdb")
    for name, cols in TABLES.items():
        path = Path(directory) / f"{name}.parquet"
        if path.exists():
            select = ", ".join(f'CAST("{c}" AS {types[k]}) AS "{c}"' for c, k in cols)
            con.execute(f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT {select} FROM read_parquet('{_quote(path)}')")
        else:
            _empty_view(con, name, cols, types)
    register_units_duckdb(con)


def split_parquet_duckdb(con: Any, directory: str, size: int, out: str) -> int:
    """Write the event tables of ``directory`` again under ``out``, split into parts of ``size`` patients by
    position (``out/<table>/elig_part=K/*.parquet``, one pass over each table); returns how many parts.  A
    population too big for one query within memory is then screened part by part, each reading its own."""
    from pathlib import Path

    people = Path(directory) / "patients.parquet"
    con.execute("CREATE OR REPLACE TEMP TABLE elig_split AS SELECT CAST(patient_id AS VARCHAR) AS patient_id, "
                f"(row_number() OVER (ORDER BY position, patient_id) - 1) // {int(size)} AS elig_part "
                f"FROM read_parquet('{_quote(people)}')")
    for name in TABLES:
        path = Path(directory) / f"{name}.parquet"
        if path.exists():
            con.execute(f"COPY (SELECT t.*, s.elig_part FROM read_parquet('{_quote(path)}') AS t JOIN elig_split AS s "
                        f"ON CAST(t.patient_id AS VARCHAR) = s.patient_id) TO '{_quote(Path(out) / name)}' "
                        "(FORMAT PARQUET, PARTITION_BY (elig_part))")
    parts = con.execute("SELECT coalesce(max(elig_part) + 1, 0) FROM elig_split").fetchone()[0]
    con.execute("DROP TABLE elig_split")
    return int(parts)


def load_parquet_duckdb(con: Any, directory: str, part: int | None = None) -> dict[int, str]:
    """Views over ``<directory>/<table>.parquet`` (with ``part``: over that part of ``split_parquet_duckdb``'s
    output); a table that is absent is empty.

    In the views a patient is keyed by an integer (``patient_id`` is the patient's rank by position): the
    query's joins and aggregations over integers, not text, are faster and smaller.  Returns each key's
    ``patient_id`` as the tables hold it, to translate the result rows back."""
    from pathlib import Path

    def source(name: str) -> str | None:
        if part is None:
            path = Path(directory) / f"{name}.parquet"
            return f"read_parquet('{_quote(path)}')" if path.exists() else None
        folder = Path(directory) / name / f"elig_part={int(part)}"
        return f"read_parquet('{_quote(folder)}/*.parquet')" if any(folder.glob("*.parquet")) else None

    types = sql_types("duckdb")
    people = source("patients")
    if people is not None:
        con.execute("CREATE OR REPLACE TEMP TABLE elig_keys AS SELECT row_number() OVER (ORDER BY position, "
                    "patient_id) AS pk, CAST(patient_id AS VARCHAR) AS patient_id, "
                    "CAST(position AS BIGINT) AS position, CAST(birth_date AS DATE) AS birth_date, "
                    f"CAST(sex AS VARCHAR) AS sex FROM {people}")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE elig_keys (pk BIGINT, patient_id VARCHAR, position BIGINT, "
                    "birth_date DATE, sex VARCHAR)")
    for name, cols in TABLES.items():
        table = source(name)
        if name == "patients":
            con.execute('CREATE OR REPLACE VIEW "patients" AS SELECT pk AS "patient_id", "position", "birth_date", '
                        '"sex" FROM elig_keys')
        elif table is not None:
            select = ", ".join(f'CAST(t."{c}" AS {types[k]}) AS "{c}"' for c, k in cols if c != "patient_id")
            con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT k.pk AS "patient_id", {select} '
                        f'FROM {table} AS t JOIN elig_keys AS k ON CAST(t."patient_id" AS VARCHAR) = k.patient_id')
        else:
            _empty_view(con, name, cols, types, key="BIGINT")
    register_units_duckdb(con)
    return dict(con.execute("SELECT pk, patient_id FROM elig_keys").fetchall())


def register_units_duckdb(con: Any) -> None:
    """The `units` table (every unit the event tables hold, with its exact factor) the compiled queries join."""
    con.register("units", _units_from_query(con.execute(distinct_units_sql('"')).fetchall()))


def _quote(path: Any) -> str:
    return str(path).replace("'", "''")


def decode(compiled: CompiledSql, row: tuple, cache: dict | None = None) -> tuple[str, int, tuple[str, ...],
                                                                          tuple[str, ...]]:
    """(patient_id, position, statuses, missing) from a result row (patient_id, position, the packed statuses,
    the packed missing flags: ``criteria._packed``)."""
    key = row[2:]
    found = cache.get(key) if cache is not None else None
    if found is None:
        k = compiled.status_columns
        statuses = tuple(STATUS[x] for x in unpack(row[2:2 + k], len(compiled.criteria), STATUS_BITS))
        flags = unpack(row[2 + k:], len(compiled.missing), 1)
        missing: set[str] = set()
        for i, s in enumerate(statuses):
            if s == "UNKNOWN":
                missing.update(compiled.missing[j] for j in compiled.missing_of[i] if flags[j])
        found = (statuses, tuple(sorted(missing)))
        if cache is not None and len(cache) < 100_000:
            cache[key] = found
    return row[0], int(row[1]), found[0], found[1]


def run_duckdb(con: Any, compiled: CompiledSql, chunk: int = 50_000) -> Iterator[tuple]:
    cur = con.execute(compiled.sql("duckdb"))
    cache: dict = {}
    while rows := cur.fetchmany(chunk):
        for row in rows:
            yield decode(compiled, row, cache)


# ------------------------------------------------------------------ Spark

_SPARK: Any = None


def spark_session(master: str = "local[2]") -> Any:
    """One session per process (starting one is slow).  The driver gets ``ELIG_SPARK_DRIVER_MEMORY`` (default
    6g: Spark's 1g fails on a million patients), joins are never broadcast (a screening query's per-patient
    tables are as large as the population, and Spark's size estimate of them would have the driver hold one),
    and shuffles have ``ELIG_SPARK_PARTITIONS`` partitions (default 64, so that one task's share of a big
    population fits in memory; adaptive execution merges them again for a small one)."""
    global _SPARK
    if _SPARK is None:
        import os

        from pyspark.sql import SparkSession

        _SPARK = (SparkSession.builder.master(master).appName("eligibility_dsl")
                  .config("spark.driver.memory", os.environ.get("ELIG_SPARK_DRIVER_MEMORY", "6g"))
                  .config("spark.sql.autoBroadcastJoinThreshold", "-1")
                  .config("spark.ui.enabled", "false")
                  .config("spark.sql.shuffle.partitions", os.environ.get("ELIG_SPARK_PARTITIONS", "64"))
                  .config("spark.sql.adaptive.enabled", "true")
                  .config("spark.sql.adaptive.coalescePartitions.enabled", "true")
                  .config("spark.ui.showConsoleProgress", "false")
                  .config("spark.sql.ansi.enabled", "false")
                  .config("spark.sql.session.timeZone", "UTC").getOrCreate())
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


def load_arrow_spark(spark: Any, tables: dict[str, Any]) -> None:
    from pyspark.sql import types as st

    kinds = {"text": st.StringType(), "int": st.LongType(), "date": st.DateType(), "boolean": st.BooleanType(),
             "number": st.DecimalType(38, 12)}
    for name, cols in TABLES.items():
        schema = st.StructType([st.StructField(c, kinds[k], True) for c, k in cols])
        data = tables[name].to_pylist()
        rows = [tuple(r[c] for c, _ in cols) for r in data]
        df = spark.createDataFrame(spark.sparkContext.parallelize(rows, 1), schema)
        df.createOrReplaceTempView(name)
    _spark_units(spark, arrow_units(tables))


def _spark_units(spark: Any, units: Any) -> None:
    from pyspark.sql import types as st

    from .units import UNITS

    kinds = {"text": st.StringType(), "number": st.DecimalType(38, 12)}
    schema = st.StructType([st.StructField(c, kinds[k], True) for c, k in UNITS])
    rows = [tuple(r[c] for c, _ in UNITS) for r in units.to_pylist()]
    spark.createDataFrame(spark.sparkContext.parallelize(rows, 1), schema).createOrReplaceTempView("units")


def load_parquet_spark(spark: Any, directory: str) -> None:
    """Views over ``<directory>/<table>.parquet`` (read by Spark itself); a table that is absent is empty."""
    from pathlib import Path

    types = sql_types("spark")
    for name, cols in TABLES.items():
        path = Path(directory) / f"{name}.parquet"
        if path.exists():
            df = spark.read.parquet(str(path))
            df.createOrReplaceTempView(f"raw_{name}")
            select = ", ".join(f"CAST(`{c}` AS {types[k]}) AS `{c}`" for c, k in cols)
            spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW `{name}` AS SELECT {select} FROM `raw_{name}`")
        else:
            cast = ", ".join(f"CAST(NULL AS {types[k]}) AS `{c}`" for c, k in cols)
            spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW `{name}` AS SELECT {cast} WHERE FALSE")
    _spark_units(spark, _units_from_query(spark.sql(distinct_units_sql("`")).collect()))


def run_spark(spark: Any, compiled: CompiledSql) -> Iterator[tuple]:
    cache: dict = {}
    for row in spark.sql(compiled.sql("spark")).toLocalIterator(prefetchPartitions=True):
        yield decode(compiled, tuple(row), cache)


def write_parquet(directory: Any, tables: dict[str, Any]) -> None:
    """Write event tables (Arrow, as ``schema.Tables.arrow`` gives them) as ``<directory>/<table>.parquet``."""
    from pathlib import Path

    import pyarrow.parquet as pq

    Path(directory).mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, Path(directory) / f"{name}.parquet")
