"""Redshift DDL: identifiers, types, keys, and the exact SQL generated."""

import pytest

from ml_data_platform.warehouse import (
    DistStyle,
    RedshiftColumn,
    RedshiftTable,
    RedshiftType,
    quote_identifier,
)


def events(**kwargs):
    columns = kwargs.pop(
        "columns",
        [
            RedshiftColumn("event_id", RedshiftType.varchar(64), nullable=False),
            RedshiftColumn("user_id", "VARCHAR(64)"),
            RedshiftColumn("event_time", RedshiftType.TIMESTAMPTZ, nullable=False),
            RedshiftColumn("amount", RedshiftType.decimal(12, 2)),
            RedshiftColumn("properties", RedshiftType.SUPER),
        ],
    )
    return RedshiftTable("events", columns, **kwargs)


def test_create_table_sql_with_key_distribution_and_sort_key():
    table = events(dist_key="user_id", sort_keys=["event_time", "event_id"])
    assert table.create_table_sql() == (
        'CREATE TABLE IF NOT EXISTS "public"."events" (\n'
        '  "event_id" VARCHAR(64) NOT NULL,\n'
        '  "user_id" VARCHAR(64),\n'
        '  "event_time" TIMESTAMPTZ NOT NULL,\n'
        '  "amount" DECIMAL(12,2),\n'
        '  "properties" SUPER\n'
        ")\n"
        "DISTSTYLE KEY\n"
        'DISTKEY ("user_id")\n'
        'SORTKEY ("event_time", "event_id");'
    )
    assert table.dist_style is DistStyle.KEY
    assert table.setup_statements() == [table.create_table_sql(), *table.add_missing_columns_sql()]
    assert table.qualified_name == "public.events"
    assert table.column_names == ("event_id", "user_id", "event_time", "amount", "properties")


def test_default_distribution_is_auto_without_sort_key():
    table = RedshiftTable("t", [RedshiftColumn("id", "bigint")])
    assert table.create_table_sql() == (
        'CREATE TABLE IF NOT EXISTS "public"."t" (\n  "id" BIGINT\n)\nDISTSTYLE AUTO;'
    )


def test_other_schema_is_created_first_and_even_distribution():
    table = events(schema="ml", dist_style=DistStyle.EVEN)
    assert table.setup_statements() == [
        'CREATE SCHEMA IF NOT EXISTS "ml";',
        table.create_table_sql(),
        *table.add_missing_columns_sql(),
    ]
    assert table.create_table_sql().startswith('CREATE TABLE IF NOT EXISTS "ml"."events" (')
    assert "DISTSTYLE EVEN" in table.create_table_sql()
    assert table.qualified_name == "ml.events"


@pytest.mark.parametrize(
    ("text", "sql"),
    [
        ("smallint", "SMALLINT"),
        ("INTEGER", "INTEGER"),
        ("int", "INTEGER"),
        ("int8", "BIGINT"),
        ("float", "DOUBLE PRECISION"),
        ("bool", "BOOLEAN"),
        ("bigint", "BIGINT"),
        ("real", "REAL"),
        ("double   precision", "DOUBLE PRECISION"),
        ("boolean", "BOOLEAN"),
        ("date", "DATE"),
        ("timestamp", "TIMESTAMP"),
        ("timestamptz", "TIMESTAMPTZ"),
        ("super", "SUPER"),
        ("decimal(38, 0)", "DECIMAL(38,0)"),
        ("numeric(10)", "DECIMAL(10,0)"),
        ("char(1)", "CHAR(1)"),
        ("varchar(65535)", "VARCHAR(65535)"),
    ],
)
def test_type_parsing(text, sql):
    assert RedshiftType.parse(text).sql == sql


def test_type_constants():
    assert RedshiftType.DOUBLE_PRECISION.sql == "DOUBLE PRECISION"
    assert RedshiftType.parse("BIGINT") == RedshiftType.BIGINT
    assert not RedshiftType.SUPER.sortable


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: RedshiftType.parse("text"), ValueError, r"unsupported Redshift type 'text'"),
        (lambda: RedshiftType.parse("varchar"), ValueError, "unsupported Redshift type"),
        (lambda: RedshiftType.varchar(70000), ValueError, r"VARCHAR length must be 1–65535"),
        (lambda: RedshiftType.char(0), ValueError, r"CHAR length must be 1–4096, got 0"),
        (lambda: RedshiftType.decimal(39, 2), ValueError, r"DECIMAL precision must be 1–38"),
        (lambda: RedshiftType.decimal(5, 6), ValueError, r"DECIMAL scale must be 0–5, got 6"),
        (lambda: RedshiftType.parse(5), TypeError, "must be a RedshiftType or str"),
        (
            lambda: RedshiftColumn("amount", "money"),
            ValueError,
            r"column 'amount': unsupported Redshift type 'money'",
        ),
    ],
)
def test_bad_types(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Events", r"table name 'Events' is not a valid Redshift name here: use lowercase"),
        ("1events", "is not a valid Redshift name"),
        ("my-events", "is not a valid Redshift name"),
        ("e" * 128, "is 128 bytes long; Redshift names are at most 127 bytes"),
        ("table", "table name 'table' is a Redshift reserved word"),
    ],
)
def test_bad_table_names(name, message):
    with pytest.raises(ValueError, match=message):
        RedshiftTable(name, [RedshiftColumn("id", "bigint")])


def test_max_length_name_is_accepted():
    assert RedshiftTable("e" * 127, [RedshiftColumn("id", "bigint")]).name == "e" * 127


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("userId", r"column name 'userId' is not a valid Redshift name"),
        ("timestamp", r"column name 'timestamp' is a Redshift reserved word"),
        ("user", "reserved word"),
    ],
)
def test_bad_column_names(name, message):
    with pytest.raises(ValueError, match=message):
        RedshiftColumn(name, "bigint")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"dist_key": "missing"},
            ValueError,
            r"table 'public.events': dist_key 'missing' is not a column; columns are",
        ),
        (
            {"sort_keys": ["event_time", "nope"]},
            ValueError,
            r"sort key 'nope' is not a column",
        ),
        ({"sort_keys": ["properties"]}, ValueError, r"sort key 'properties' is SUPER"),
        ({"dist_key": "properties"}, ValueError, r"dist_key 'properties' is SUPER"),
        (
            {"dist_key": "user_id", "dist_style": DistStyle.EVEN},
            ValueError,
            r"dist_key 'user_id' needs dist_style KEY, got EVEN",
        ),
        ({"dist_style": DistStyle.KEY}, ValueError, r"dist_style KEY needs a dist_key column"),
        ({"dist_style": "KEY"}, TypeError, r"dist_style must be a DistStyle"),
        (
            {"sort_keys": ["event_id", "event_id"]},
            ValueError,
            r"sort_keys \['event_id', 'event_id'\] repeat a column",
        ),
        ({"schema": "Public"}, ValueError, r"schema name 'Public' is not a valid"),
        ({"columns": []}, ValueError, r"columns must list at least one column"),
        (
            {"columns": [RedshiftColumn("a", "int"), RedshiftColumn("a", "bigint")]},
            ValueError,
            r"duplicate columns \['a'\]",
        ),
        ({"columns": [("a", "int")]}, TypeError, r"columns must be RedshiftColumn"),
    ],
)
def test_bad_table_specs(kwargs, error, message):
    with pytest.raises(error, match=message):
        events(**kwargs)


def test_missing_columns_are_added_by_a_temporary_procedure():
    table = RedshiftTable(
        "events", [RedshiftColumn("id", "bigint", nullable=False), RedshiftColumn("at", "date")]
    )
    procedure = f'"public"."ml_data_platform_add_columns_{table._digest()}"()'
    create, call, drop = table.add_missing_columns_sql()
    assert create == (
        f"CREATE OR REPLACE PROCEDURE {procedure}\n"
        "AS $$\n"
        "BEGIN\n"
        "  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = 'events' AND column_name = 'id') THEN\n"
        """    EXECUTE 'ALTER TABLE "public"."events" ADD COLUMN "id" BIGINT';\n"""
        "  END IF;\n"
        "  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = 'events' AND column_name = 'at') THEN\n"
        """    EXECUTE 'ALTER TABLE "public"."events" ADD COLUMN "at" DATE';\n"""
        "  END IF;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql;"
    )
    assert (call, drop) == (f"CALL {procedure};", f"DROP PROCEDURE {procedure};")


def test_a_new_column_changes_the_statements_and_the_procedure_name():
    before = RedshiftTable("events", [RedshiftColumn("id", "bigint")])
    after = RedshiftTable("events", [*before.columns, RedshiftColumn("price", "decimal(10,2)")])
    assert after.setup_statements() != before.setup_statements()
    assert before._digest() != after._digest()
    assert """ADD COLUMN "price" DECIMAL(10,2)';""" in after.add_missing_columns_sql()[0]
    assert "price" not in before.add_missing_columns_sql()[0]


def test_a_name_with_the_procedure_body_quote_is_rejected():
    with pytest.raises(ValueError) as error:
        RedshiftTable("events", [RedshiftColumn("a$$b", "bigint")])
    assert str(error.value) == (
        "table 'public.events': names ['a$$b'] contain '$$', which ends the body of the "
        "procedure that adds missing columns"
    )


def test_more_than_400_sort_keys_are_rejected_with_the_count():
    columns = [RedshiftColumn(f"c{i}", "bigint") for i in range(401)]
    with pytest.raises(ValueError) as error:
        RedshiftTable("wide", columns, sort_keys=[c.name for c in columns])
    assert str(error.value) == (
        "table 'public.wide': a compound sort key has at most 400 columns, got 401"
    )


def test_type_parameters_must_be_integers():
    with pytest.raises(TypeError) as error:
        RedshiftType.decimal("10")
    assert str(error.value) == "DECIMAL precision must be an integer, got '10'"


def test_quote_identifier_doubles_quotes():
    assert quote_identifier('we"ird') == '"we""ird"'
