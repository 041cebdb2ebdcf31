"""Tests for csmkpi.config (SPEC §5): the YAML KPI definition and its located errors."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from csmkpi.config import (
    TABLE_NAMES,
    KpiConfig,
    KpiDef,
    LoadedConfig,
    load_config,
    parse_config_text,
)
from csmkpi.errors import ConfigError, ExitCode, InputMissingError

BASE = Path("/project/configs")

SPEC_EXAMPLE = """\
version: 1
calendar: {fiscal_year_start_month: 1}
data:
  dir: ../sample_data            # relative to this file
  tables:                        # optional, per table
    accounts: {file: sf_accounts.csv, columns: {account_id: "Account ID", csm_id: "Account Owner"}}
    tickets: {file: zendesk.csv, date_format: "%m/%d/%Y %H:%M", encoding: cp1252, delimiter: ";"}
attribution: period_start
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 5}
kpis:
  - {id: nrr, metric: nrr, label: Net revenue retention, target: 1.02, weight: 30}
  - {id: logo_churn, metric: churn, params: {basis: logos}, target: 0.03, better: lower, weight: 15}
  - {id: csat, metric: csat, target: 0.9, weight: 15}
"""

MINIMAL = "version: 1\nkpis:\n  - {id: nrr, metric: nrr}\n"


class WindowParams(BaseModel):
    """Params of the test metrics nrr / csat."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    window: Literal["period", "trailing_12m"] = "period"


class ChurnParams(BaseModel):
    """Params of the test metric churn."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    basis: Literal["logos", "revenue"] = "logos"
    window: Literal["period", "trailing_12m"] = "period"


METRICS: dict[str, type[BaseModel]] = {"nrr": WindowParams, "churn": ChurnParams, "csat": WindowParams}


def parse(text: str, metrics: dict[str, type[BaseModel]] | None = None) -> LoadedConfig:
    """Parse YAML text written as an indented block."""
    return parse_config_text(dedent(text), "kpis.yaml", BASE, metrics)


def problems(text: str, metrics: dict[str, type[BaseModel]] | None = None) -> list[str]:
    """Return the rendered issues of an invalid config."""
    with pytest.raises(ConfigError) as caught:
        parse(text, metrics)
    assert caught.value.exit_code == ExitCode.CONFIG
    assert caught.value.message == f"invalid config kpis.yaml: {len(caught.value.issues)} problem(s)"
    assert all(issue.level == "error" and issue.file == "kpis.yaml" for issue in caught.value.issues)
    return [issue.render() for issue in caught.value.issues]


def one_problem(text: str, metrics: dict[str, type[BaseModel]] | None = None) -> str:
    """Return the single rendered issue of an invalid config."""
    found = problems(text, metrics)
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------------------------------------------ valid configs


def test_spec_example_loads_with_defaults_filled() -> None:
    config = parse(SPEC_EXAMPLE, METRICS)

    assert isinstance(config, KpiConfig)
    assert config.version == 1
    assert config.calendar.fiscal_year_start_month == 1
    assert config.attribution == "period_start"
    assert (config.scoring.amber_at, config.scoring.cap, config.scoring.min_sample) == (0.9, 1.5, 5)
    assert config.plugins == []
    assert config.checks == {}

    accounts = config.data.tables["accounts"]
    assert accounts.file == "sf_accounts.csv"
    assert accounts.columns == {"account_id": "Account ID", "csm_id": "Account Owner"}
    assert (accounts.encoding, accounts.delimiter, accounts.date_format, accounts.number_format) == (
        "utf-8",
        None,
        None,
        None,
    )
    tickets = config.data.tables["tickets"]
    assert (tickets.date_format, tickets.encoding, tickets.delimiter) == ("%m/%d/%Y %H:%M", "cp1252", ";")
    assert tickets.columns == {}

    nrr, churn, csat = config.kpis
    assert (nrr.id, nrr.metric, nrr.label, nrr.target, nrr.weight) == ("nrr", "nrr", "Net revenue retention", 1.02, 30)
    assert (nrr.better, nrr.params, nrr.min_sample) == ("higher", {}, None)
    assert isinstance(nrr.weight, float)
    assert nrr.display_label == "Net revenue retention"
    assert (churn.better, churn.params, churn.display_label) == ("lower", {"basis": "logos"}, "logo_churn")
    assert csat.weight == 15

    assert config.params == {
        "nrr": WindowParams(),
        "logo_churn": ChurnParams(basis="logos"),
        "csat": WindowParams(),
    }
    assert config.path == BASE / "kpis.yaml"
    assert config.data_dir == BASE / "../sample_data"


def test_minimal_config_gets_every_default() -> None:
    config = parse(MINIMAL)

    assert config.calendar.fiscal_year_start_month == 1
    assert config.data.dir == "."
    assert config.data.tables == {}
    assert config.data_dir == BASE
    assert config.attribution == "period_start"
    assert (config.scoring.amber_at, config.scoring.cap, config.scoring.min_sample) == (0.9, 1.5, 5)
    assert (config.kpis[0].weight, config.kpis[0].target, config.kpis[0].label) == (1.0, None, None)
    assert config.params == {}  # no metrics given: params are not validated


def test_every_option_is_accepted() -> None:
    config = parse(
        """\
        version: 1
        calendar: {fiscal_year_start_month: 7}
        data:
          dir: data
          tables:
            mrr: {delimiter: "\\t", number_format: {thousands: ",", decimal: ".", currency: "$"}}
            surveys: {number_format: {thousands: ".", decimal: ","}, delimiter: "|"}
        attribution: period_end
        scoring: {amber_at: 1, cap: 2, min_sample: 0}
        plugins: [local_metrics, company.metrics.extra]
        checks: {out_of_range: warning, duplicate_key: error}
        kpis:
          - id: Churn_2
            metric: churn
            label: "12"
            params: {basis: revenue, window: trailing_12m}
            target: 0
            better: lower
            weight: 0.5
            min_sample: 0
        """,
        METRICS,
    )
    assert config.calendar.fiscal_year_start_month == 7
    fmt = config.data.tables["mrr"].number_format
    assert fmt is not None and (fmt.thousands, fmt.decimal, fmt.currency) == (",", ".", "$")
    assert config.data.tables["mrr"].delimiter == "\t"
    assert config.plugins == ["local_metrics", "company.metrics.extra"]
    assert config.checks == {"out_of_range": "warning", "duplicate_key": "error"}
    assert config.kpis[0].label == "12"
    assert config.params["Churn_2"] == ChurnParams(basis="revenue", window="trailing_12m")
    assert config.data_dir == BASE / "data"


@pytest.mark.parametrize(
    ("written", "value"),
    [("1.5", 1.5), (".5", 0.5), ("1e3", 1000.0), ("2", 2.0), ("+3", 3.0), ("1.", 1.0), ("2.5E-1", 0.25)],
)
def test_plain_numbers_in_float_fields(written: str, value: float) -> None:
    config = parse(f"version: 1\nkpis: [{{id: a, metric: m, target: {written}}}]\n")
    assert config.kpis[0].target == value


@pytest.mark.parametrize("written", ["null", "~", "", "Null", "NULL"])
def test_null_forms(written: str) -> None:
    config = parse(f"version: 1\nkpis:\n  - id: a\n    metric: m\n    label: {written}\n")
    assert config.kpis[0].label is None


@pytest.mark.parametrize(("written", "value"), [("true", True), ("False", False), ("TRUE", True)])
def test_true_false_are_booleans(written: str, value: bool) -> None:
    config = parse(f"version: 1\nkpis: [{{id: a, metric: m, params: {{flag: {written}}}}}]\n")
    assert config.kpis[0].params == {"flag": value}


def test_quoted_and_block_scalars_stay_text() -> None:
    config = parse(
        """\
        version: 1
        kpis:
          - id: a
            metric: m
            params:
              a: "NO"
              b: '010'
              c: "1:30"
              d: "true"
              e: 2026-07-01
              f: |
                block
              g: >-
                folded
                text
        """
    )
    assert config.kpis[0].params == {
        "a": "NO",
        "b": "010",
        "c": "1:30",
        "d": "true",
        "e": "2026-07-01",  # dates stay text
        "f": "block\n",
        "g": "folded text",
    }


def test_anchors_and_aliases_are_allowed() -> None:
    config = parse(
        """\
        version: 1
        kpis:
          - {id: nrr, metric: nrr, params: &ttm {window: trailing_12m}}
          - {id: grr, metric: nrr, params: *ttm}
        """,
        METRICS,
    )
    assert config.params["grr"] == WindowParams(window="trailing_12m")


# ------------------------------------------------------------------------------------------------ files


def test_load_config_resolves_data_dir_next_to_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "configs"
    folder.mkdir()
    path = folder / "kpis.yaml"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")

    config = load_config(path, METRICS)

    assert config.path == path
    assert config.data_dir == folder / ".." / "sample_data"
    assert config.data_dir.resolve() == (tmp_path / "sample_data").resolve()
    assert set(config.params) == {"nrr", "logo_churn", "csat"}


def test_absolute_data_dir_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_text(f"version: 1\ndata: {{dir: '{tmp_path / 'exports'}'}}\nkpis: [{{id: a, metric: m}}]\n")
    assert load_config(path).data_dir == tmp_path / "exports"


def test_default_data_dir_is_the_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_text(MINIMAL)
    assert load_config(path).data_dir == tmp_path


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_config(path).kpis[0].id == "nrr"


def test_errors_name_the_file_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    Path("configs/kpis.yaml").write_text("version: 1\nkpis: [{id: a, metric: m}]\nextra: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(Path("configs/kpis.yaml"))
    assert caught.value.message == "invalid config configs/kpis.yaml: 1 problem(s)"
    assert [issue.render() for issue in caught.value.issues] == [
        "configs/kpis.yaml:3:1: extra: unknown key; the keys here are: version, calendar, data, attribution, scoring, kpis, plugins, checks, limits, reasons"
    ]


def test_missing_file_is_input_missing(tmp_path: Path) -> None:
    path = tmp_path / "configs" / "kpis.yaml"
    with pytest.raises(InputMissingError) as caught:
        load_config(path)
    assert caught.value.exit_code == ExitCode.NO_INPUT
    assert caught.value.message == f"config file not found: {path}"


def test_a_directory_is_input_missing(tmp_path: Path) -> None:
    with pytest.raises(InputMissingError, match="is a directory"):
        load_config(tmp_path)


def test_invalid_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_bytes(b"version: 1\nkpis: []\n# caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [issue.render() for issue in caught.value.issues] == [f"{path}:3: the config is not valid UTF-8 text"]


# ------------------------------------------------------------------------------------------------ keys


def test_unknown_key_at_top_level() -> None:
    assert one_problem(MINIMAL + "kpi: []\n") == "kpis.yaml:4:1: kpi: unknown key; did you mean kpis?"


def test_unknown_key_nested() -> None:
    text = """\
        version: 1
        data:
          tables:
            accounts: {file: a.csv, delim: ";"}
        kpis:
          - id: nrr
            metric: nrr
            traget: 1.02
        """
    assert problems(text) == [
        "kpis.yaml:4:29: data.tables.accounts.delim: unknown key; did you mean delimiter?",
        "kpis.yaml:8:5: kpis.0.traget: unknown key; did you mean target?",
    ]


def test_unknown_table_is_reported_at_its_key() -> None:
    text = "version: 1\ndata:\n  tables:\n    account: {file: a.csv}\nkpis: [{id: a, metric: m}]\n"
    assert one_problem(text) == (
        "kpis.yaml:4:5: data.tables.account: expected accounts, csms, mrr, subscriptions, "
        "tickets, surveys, opportunities, activities, assignments, usage or milestones, not 'account'; did you mean accounts?"
    )


def test_missing_required_key_is_reported_at_the_parent() -> None:
    text = """\
        version: 1
        kpis:
          - id: nrr
            label: NRR
        """
    assert one_problem(text) == "kpis.yaml:3:5: kpis.0.metric: missing: this key is required"


def test_missing_top_level_keys() -> None:
    assert problems("calendar: {fiscal_year_start_month: 4}\n") == [
        "kpis.yaml:1:1: version: missing: this key is required",
        "kpis.yaml:1:1: kpis: missing: this key is required",
    ]


def test_duplicate_key_at_top_level() -> None:
    assert one_problem(MINIMAL + "version: 1\n") == "kpis.yaml:4:1: duplicate key 'version' (first at line 1)"


def test_duplicate_keys_nested() -> None:
    text = """\
        version: 1
        data:
          tables:
            accounts: {file: a.csv, file: b.csv}
        kpis:
          - id: nrr
            metric: nrr
            params: {window: period}
            params: {window: trailing_12m}
        checks: {out_of_range: warning, "out_of_range": error}
        """
    assert problems(text) == [
        "kpis.yaml:4:29: data.tables.accounts: duplicate key 'file' (first at line 4)",
        "kpis.yaml:9:5: kpis.0: duplicate key 'params' (first at line 8)",
        "kpis.yaml:10:33: checks: duplicate key 'out_of_range' (first at line 10)",
    ]


def test_merge_keys_are_not_allowed() -> None:
    text = """\
        version: 1
        kpis:
          - &base {id: a, metric: m}
          - {<<: *base, id: b}
        """
    assert one_problem(text) == "kpis.yaml:4:6: kpis.1: YAML merge keys ('<<') are not allowed"


@pytest.mark.parametrize("key", ["1", "true", "~", "[a, b]"])
def test_mapping_keys_must_be_text(key: str) -> None:
    rendered = one_problem(MINIMAL + f"checks: {{{key}: warning}}\n")
    assert rendered.startswith("kpis.yaml:4:10: checks: mapping key")


# ------------------------------------------------------------------------------------------------ YAML surprises


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"""\
        version: 1
        kpis:
          - id: nrr
            metric: nrr
            label: !!python/object/apply:os.system ["touch {marker}"]
        """
    assert one_problem(text) == "kpis.yaml:5:12: kpis.0.label: YAML tags are not allowed"
    assert not marker.exists()


@pytest.mark.parametrize("tagged", ["!!str 010", "!custom x", "! x", "!!map {a: 1}", "!!python/name:os.system ''"])
def test_any_explicit_tag_is_an_error(tagged: str) -> None:
    text = f"version: 1\nkpis:\n  - id: a\n    metric: m\n    params: {{p: {tagged}}}\n"
    assert one_problem(text) == "kpis.yaml:5:17: kpis.0.params.p: YAML tags are not allowed"


def test_a_tag_on_the_document_itself() -> None:
    assert one_problem("--- !!map\n" + MINIMAL) == "kpis.yaml:1:5: YAML tags are not allowed"


def test_yaml11_boolean_as_a_value() -> None:
    text = """\
        version: 1
        kpis:
          - id: churn
            metric: churn
            params: {basis: NO}
        """
    expected = "kpis.yaml:5:21: kpis.0.params.basis: ambiguous YAML 1.1 boolean 'NO': quote it or write true/false"
    assert one_problem(text, METRICS) == expected  # the params model's own error is not added


@pytest.mark.parametrize("word", ["yes", "No", "ON", "off", "y", "N"])
def test_every_yaml11_boolean_is_ambiguous(word: str) -> None:
    rendered = one_problem(f"version: 1\nkpis: [{{id: a, metric: m, label: {word}}}]\n")
    assert (
        rendered == f"kpis.yaml:2:34: kpis.0.label: ambiguous YAML 1.1 boolean {word!r}: quote it or write true/false"
    )


def test_yaml11_boolean_as_a_key() -> None:
    rendered = one_problem(MINIMAL + "checks:\n  on: warning\n")
    assert rendered == "kpis.yaml:5:3: checks: ambiguous YAML 1.1 boolean 'on': quote it or write true/false"


def test_leading_zero_number() -> None:
    text = """\
        version: 1
        calendar:
          fiscal_year_start_month: 010
        kpis: [{id: a, metric: m}]
        """
    assert one_problem(text) == (
        "kpis.yaml:3:28: calendar.fiscal_year_start_month: ambiguous number '010': quote it or write 10"
    )


@pytest.mark.parametrize(
    ("written", "suggested"),
    [
        ("09", "9"),
        ("-010", "-10"),
        ("0x1F", "31"),
        ("0o17", "15"),
        ("0b101", "5"),
        ("1_000", "1000"),
        ("1_000.5", "1000.5"),
        ("1:30", "90"),
        ("1:30.5", "90.5"),
        ("00", "0"),
    ],
)
def test_ambiguous_numbers(written: str, suggested: str) -> None:
    rendered = one_problem(f"version: 1\nkpis: [{{id: a, metric: m, weight: {written}}}]\n")
    assert rendered == f"kpis.yaml:2:35: kpis.0.weight: ambiguous number {written!r}: quote it or write {suggested}"


def test_a_number_with_too_many_digits_is_an_error_not_a_crash() -> None:
    rendered = one_problem(f"version: 1\nkpis: [{{id: a, metric: m, weight: {'1' * 5000}}}]\n")
    assert rendered == f"kpis.yaml:2:35: kpis.0.weight: number {'1' * 20!r}... has too many digits"


def test_yaml_syntax_error_is_one_issue() -> None:
    assert one_problem("version: 1\nkpis: a: b\n") == "kpis.yaml:2:8: invalid YAML: mapping values are not allowed here"


def test_yaml_syntax_error_names_the_context_line() -> None:
    text = """\
        version: 1
        kpis:
          - id: a
           metric: m
        """
    assert one_problem(text) == (
        "kpis.yaml:4:4: invalid YAML: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block collection at line 3)"
    )


def test_unclosed_flow_mapping() -> None:
    assert one_problem("version: 1\nkpis: [{id: a, metric: m}\n") == (
        "kpis.yaml:3:1: invalid YAML: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence at line 2)"
    )


def test_undefined_alias() -> None:
    assert one_problem("version: 1\nkpis: *nope\n") == "kpis.yaml:2:7: invalid YAML: found undefined alias 'nope'"


def test_recursive_alias() -> None:
    rendered = problems(MINIMAL + "plugins: &loop [a, *loop]\n")
    assert rendered == ["kpis.yaml:4:10: plugins.1: recursive YAML alias"]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n", "--- null\n...\n"])
def test_empty_config(text: str) -> None:
    assert one_problem(text) == "kpis.yaml: the config is empty: expected a mapping with 'version' and 'kpis'"


def test_top_level_list() -> None:
    assert one_problem("- version: 1\n- kpis: []\n") == (
        "kpis.yaml:1:1: the top level must be a mapping of settings, not a list"
    )


def test_top_level_scalar() -> None:
    assert one_problem("version 1\n") == (
        "kpis.yaml:1:1: the top level must be a mapping of settings, not the value 'version 1'"
    )


# ------------------------------------------------------------------------------------------------ values


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ('weight: "x"', "kpis.yaml:5:13: kpis.0.weight: expected a number, not 'x'"),
        ("label: 12", "kpis.yaml:5:12: kpis.0.label: expected text, not 12 (quote it)"),
        ("weight: true", "kpis.yaml:5:13: kpis.0.weight: expected a number, not true"),
        ("min_sample: 2.5", "kpis.yaml:5:17: kpis.0.min_sample: expected a whole number, not 2.5"),
        ("min_sample: -1", "kpis.yaml:5:17: kpis.0.min_sample: must be at least 0, not -1"),
        ("weight: -1", "kpis.yaml:5:13: kpis.0.weight: must be at least 0, not -1"),
        ("weight: .nan", "kpis.yaml:5:13: kpis.0.weight: expected a finite number, not .inf or .nan"),
        ("better: up", "kpis.yaml:5:13: kpis.0.better: expected higher or lower, not 'up'"),
        ("params: [window]", "kpis.yaml:5:13: kpis.0.params: expected a mapping ({key: value}), not a list"),
        ("target: -0.5", "kpis.yaml:5:13: kpis.0.target: target must be > 0 when better is 'higher'"),
        ("target: 0", "kpis.yaml:5:13: kpis.0.target: target must be > 0 when better is 'higher'"),
        (
            "id: 2nrr",
            "kpis.yaml:3:9: kpis.0.id: must start with a letter and hold only letters, digits and _ (like nrr_12m)",
        ),
    ],
)
def test_wrong_kpi_values(field: str, expected: str) -> None:
    name, _, value = field.partition(": ")
    kpi = {"id": "a", "metric": "m"} | {name: value}
    text = "version: 1\nkpis:\n  - " + "\n    ".join(f"{key}: {val}" for key, val in kpi.items()) + "\n"
    assert one_problem(text) == expected


def test_negative_target_with_better_lower() -> None:
    text = "version: 1\nkpis:\n  - {id: a, metric: m, better: lower, target: -1}\n"
    assert one_problem(text) == "kpis.yaml:3:47: kpis.0.target: target must be >= 0 when better is 'lower'"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('version: "1"', "kpis.yaml:1:10: version: expected 1, not '1': write it without quotes"),
        ("version: true", "kpis.yaml:1:10: version: expected 1, not true or false"),
        ("version: 2", "kpis.yaml:1:10: version: expected 1, not 2"),
    ],
)
def test_version(line: str, expected: str) -> None:
    assert one_problem(line + "\nkpis: [{id: a, metric: m}]\n") == expected


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            "calendar: {fiscal_year_start_month: 13}",
            "1:37: calendar.fiscal_year_start_month: must be at most 12, not 13",
        ),
        (
            "attribution: period_middle",
            "1:14: attribution: expected period_start or period_end, not 'period_middle'; did you mean period_end?",
        ),
        ("scoring: {amber_at: 0}", "1:21: scoring.amber_at: must be more than 0, not 0"),
        ("scoring: {cap: 0.9}", "1:16: scoring.cap: must be at least 1, not 0.9"),
        ("scoring: {min_sample: 1.0}", "1:23: scoring.min_sample: expected a whole number, not 1.0"),
        (
            "checks: {unknown_value: warn}",
            "1:25: checks.unknown_value: expected error or warning, not 'warn'; did you mean warning?",
        ),
        (  # a misspelt check name was accepted and did nothing
            "checks: {invlid_value: warning}",
            "1:24: checks.invlid_value: unknown check; did you mean invalid_value or missing_value? Checks: "
            "missing_value, invalid_value, unknown_value, out_of_range, duplicate_key, ragged_row, "
            "resolved_before_opened, closed_at_missing, end_before_start, overlapping_assignment",
        ),
        (  # a warning-only check: a setting for it did nothing
            "checks: {missing_month: error}",
            "1:25: checks.missing_month: missing_month is always a warning and cannot be set; checks: "
            "missing_value, invalid_value, unknown_value, out_of_range, duplicate_key, ragged_row, "
            "resolved_before_opened, closed_at_missing, end_before_start, overlapping_assignment",
        ),
        (
            "plugins: [my-metrics]",
            "1:11: plugins.0: must be a Python module name (like my_metrics)",
        ),
        ("kpis: []", "1:7: kpis: needs at least 1 item"),
        ("data: {dir: 12}", "1:13: data.dir: expected text, not 12 (quote it)"),
        ("data: {tables: {mrr: {encoding: klingon}}}", "1:33: data.tables.mrr.encoding: unknown encoding 'klingon'"),
        ("data: {tables: {mrr: {encoding: rot13}}}", "1:33: data.tables.mrr.encoding: 'rot13' is not a text encoding"),
        (
            "data: {tables: {mrr: {delimiter: ':'}}}",
            "1:34: data.tables.mrr.delimiter: expected ',', ';', '\\t' or '|', not ':'",
        ),
        (
            "data: {tables: {mrr: {columns: {mrr: 3}}}}",
            "1:38: data.tables.mrr.columns.mrr: expected text, not 3 (quote it)",
        ),
        (
            "data: {tables: {mrr: {number_format: {thousands: ',', decimal: ','}}}}",
            "1:50: data.tables.mrr.number_format.thousands: "
            "the thousands separator must differ from the decimal separator",
        ),
        (
            "data: {tables: {mrr: {number_format: {decimal: ', '}}}}",
            "1:48: data.tables.mrr.number_format.decimal: must be at most 1 character",
        ),
        # A digit as a separator read 1,000.00 as 1,.. .: ARR managed 1,662,690.48 instead of 3,805,842.48, exit 0.
        (
            "data: {tables: {mrr: {number_format: {thousands: '0'}}}}",
            "1:50: data.tables.mrr.number_format.thousands: must not hold a digit, a sign or an exponent letter, not '0'",
        ),
        (
            "data: {tables: {mrr: {number_format: {decimal: e}}}}",
            "1:48: data.tables.mrr.number_format.decimal: must not hold a digit, a sign or an exponent letter, not 'e'",
        ),
        (
            "data: {tables: {mrr: {number_format: {currency: US9}}}}",
            "1:49: data.tables.mrr.number_format.currency: must not hold a digit or a sign, not 'US9'",
        ),
    ],
)
def test_wrong_top_level_values(block: str, expected: str) -> None:
    kpis = "" if block.startswith("kpis") else "kpis: [{id: a, metric: m}]\n"
    text = block + "\n" + kpis + "version: 1\n"
    assert one_problem(text) == "kpis.yaml:" + expected


# ------------------------------------------------------------------------------------------------ metrics


def test_unknown_metric() -> None:
    text = """\
        version: 1
        kpis:
          - {id: nrr, metric: nrr}
          - {id: ebr, metric: ebr_rate}
        """
    assert one_problem(text, METRICS) == (
        "kpis.yaml:4:23: kpis.1.metric: unknown metric 'ebr_rate'. Available: churn, csat, nrr"
    )


def test_unknown_metric_is_not_checked_without_metrics() -> None:
    assert parse("version: 1\nkpis: [{id: a, metric: ebr_rate}]\n").kpis[0].metric == "ebr_rate"


def test_bad_param() -> None:
    text = """\
        version: 1
        kpis:
          - id: nrr
            metric: nrr
          - id: nrr_ttm
            metric: nrr
            params:
              window: yearly
        """
    assert one_problem(text, METRICS) == (
        "kpis.yaml:8:15: kpis.1.params.window: expected period or trailing_12m, not 'yearly'"
    )


def test_unknown_param() -> None:
    text = "version: 1\nkpis:\n  - {id: nrr, metric: nrr, params: {windw: period}}\n"
    assert one_problem(text, METRICS) == "kpis.yaml:3:37: kpis.0.params.windw: unknown key; did you mean window?"


def test_duplicate_kpi_id() -> None:
    text = """\
        version: 1
        kpis:
          - {id: nrr, metric: nrr}
          - {id: csat, metric: csat}
          - {id: nrr, metric: churn}
        """
    assert one_problem(text, METRICS) == "kpis.yaml:5:10: kpis.2.id: duplicate KPI id 'nrr' (first at line 3)"


def test_kpi_ids_differ_in_more_than_case_and_are_not_scorecard_columns() -> None:
    # nrr and NRR were both accepted, then --kpi Nrr found neither; an id "score" or "group" clashed with
    # the wide layout's own column: an internal error (exit 1) instead of a config error.
    text = """\
        version: 1
        kpis:
          - {id: nrr, metric: nrr}
          - {id: NRR, metric: nrr}
          - {id: Score, metric: csat}
          - {id: group, metric: churn}
        """
    assert problems(text, METRICS) == [
        "kpis.yaml:4:10: kpis.1.id: duplicate KPI id 'NRR' (first at line 3)",
        "kpis.yaml:5:10: kpis.2.id: 'Score' is a column of the scorecard; choose another id "
        "(reserved: group, group_by, name, period, period_end, period_start, rank, score)",
        "kpis.yaml:6:10: kpis.3.id: 'group' is a column of the scorecard; choose another id "
        "(reserved: group, group_by, name, period, period_end, period_start, rank, score)",
    ]


def test_a_variant_or_change_column_may_not_repeat_another_kpis_id(tmp_path: Path) -> None:
    from csmkpi.engine import load_metrics_and_config
    from csmkpi.errors import ConfigError

    for second in ("mrr_churn", "MRR_CHURN_change", "nrr_change"):
        path = tmp_path / "kpis.yaml"
        path.write_text(
            f"version: 1\nkpis:\n  - {{id: mrr, metric: mrr_movements}}\n  - {{id: nrr, metric: nrr}}\n"
            f"  - {{id: {second}, metric: churn}}\n",
            encoding="utf-8",
        )
        with pytest.raises(ConfigError, match="would both write a column"):
            load_metrics_and_config(path)
    path.write_text("version: 1\nkpis:\n  - {id: mrr, metric: mrr_movements}\n  - {id: mrr_x, metric: churn}\n")
    load_metrics_and_config(path)


def test_duplicate_kpi_id_is_found_when_another_kpi_is_invalid() -> None:
    text = """\
        version: 1
        kpis:
          - {id: nrr, metric: nrr}
          - {id: nrr, metric: nrr, weight: heavy}
        """
    assert problems(text) == [
        "kpis.yaml:4:10: kpis.1.id: duplicate KPI id 'nrr' (first at line 3)",
        "kpis.yaml:4:36: kpis.1.weight: expected a number, not 'heavy'",
    ]


def test_kpi_config_built_directly_rejects_duplicate_ids() -> None:
    with pytest.raises(ValidationError) as caught:
        KpiConfig(version=1, kpis=[KpiDef(id="a", metric="m"), KpiDef(id="a", metric="n")])
    [error] = caught.value.errors()
    assert error["loc"] == ("kpis", 1, "id")
    assert error["msg"] == "duplicate KPI id 'a' (first at kpis.0)"


# ------------------------------------------------------------------------------------------------ together


def test_all_problems_are_reported_together_in_file_order() -> None:
    text = """\
        version: 1
        bogus: true
        data:
          tables:
            tickets: {encoding: nope}
        kpis:
          - id: nrr
            metric: nrr
            params: {window: yearly}
            weight: "x"
          - {id: logo_churn, metric: churn, params: {basis: NO}, label: 12}
          - {id: nrr, metric: ebr_rate, target: 010}
        scoring: {cap: 1, cap: 2}
        """
    assert problems(text, METRICS) == [
        "kpis.yaml:2:1: bogus: unknown key; the keys here are: version, calendar, data, attribution, scoring, kpis, plugins, checks, limits, reasons",
        "kpis.yaml:5:25: data.tables.tickets.encoding: unknown encoding 'nope'",
        "kpis.yaml:9:22: kpis.0.params.window: expected period or trailing_12m, not 'yearly'",
        "kpis.yaml:10:13: kpis.0.weight: expected a number, not 'x'",
        "kpis.yaml:11:53: kpis.1.params.basis: ambiguous YAML 1.1 boolean 'NO': quote it or write true/false",
        "kpis.yaml:11:65: kpis.1.label: expected text, not 12 (quote it)",
        "kpis.yaml:12:10: kpis.2.id: duplicate KPI id 'nrr' (first at line 7)",
        "kpis.yaml:12:23: kpis.2.metric: unknown metric 'ebr_rate'. Available: churn, csat, nrr",
        "kpis.yaml:12:41: kpis.2.target: ambiguous number '010': quote it or write 10",
        "kpis.yaml:13:19: scoring: duplicate key 'cap' (first at line 13)",
    ]


def test_issues_carry_line_and_column() -> None:
    with pytest.raises(ConfigError) as caught:
        parse("version: 1\nkpis: [{id: a, metric: m, weight: x}]\n")
    [issue] = caught.value.issues
    assert (issue.file, issue.line, issue.col_no, issue.level) == ("kpis.yaml", 2, 35, "error")
    assert issue.message == "kpis.0.weight: expected a number, not 'x'"


# ------------------------------------------------------------------------------------------------ locate


def test_locate() -> None:
    config = parse(SPEC_EXAMPLE)
    assert config.locate(()) == (1, 1)
    assert config.locate(("data", "dir")) == (4, 8)
    assert config.locate(("data", "tables", "accounts", "columns", "csm_id")) == (6, 83)
    assert config.locate(("data", "tables", "accounts", "columns", "csm_id"), key=True) == (6, 75)
    assert config.locate(("data", "tables", "tickets", "encoding")) == (7, 75)
    assert config.locate(("kpis", 1, "params", "basis")) == (12, 53)
    assert config.locate(("kpis", 2)) == (13, 5)


def test_locate_falls_back_to_the_nearest_existing_parent() -> None:
    config = parse(SPEC_EXAMPLE)
    assert config.locate(("data", "tables", "accounts", "columns", "segment")) == (6, 48)
    assert config.locate(("data", "tables", "mrr", "columns", "mrr")) == (6, 5)
    assert config.locate(("kpis", 7, "params")) == (11, 3)
    assert config.locate(("kpis", 0, "params", "window")) == (11, 5)
    assert config.locate(("scoring", "cap", "deeper")) == (9, 31)
    assert config.locate(("data", "tables", "tickets", "[key]")) == (7, 5)


def test_locate_on_a_config_built_directly() -> None:
    config = LoadedConfig(version=1, kpis=[KpiDef(id="a", metric="m")])
    assert config.locate(("kpis", 0)) is None
    assert config.params == {}


def test_table_names() -> None:
    assert TABLE_NAMES == (
        "accounts",
        "csms",
        "mrr",
        "subscriptions",
        "tickets",
        "surveys",
        "opportunities",
        "activities",
        "assignments",
        "usage",
        "milestones",
    )
