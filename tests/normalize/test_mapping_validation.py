"""Every mapping-file defect is rejected with a message naming file, path and expectation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tap_shipping_exceptions.normalize.classifier import Classifier, MappingError
from tap_shipping_exceptions.normalize.mapping import PACKAGED_MAPPINGS, load_mappings


def edit(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def load_error(mapping_dir: Path) -> str:
    with pytest.raises(MappingError) as info:
        Classifier(mapping_dir)
    return str(info.value)


def test_packaged_mappings_are_valid() -> None:
    mappings = load_mappings(PACKAGED_MAPPINGS)
    assert set(mappings.carriers) == {"brt", "poste_italiane", "sda", "gls", "dhl_express",
                                      "ups", "fedex", "tnt", "dpd", "inpost"}
    assert {"generic.yaml", "shippypro.yaml"} <= set(mappings.versions)
    assert re.fullmatch(r"\d{4}\.\d{2}-\d+", mappings.taxonomy_version)


def test_unknown_top_level_key(mapping_copy: Path) -> None:
    edit(mapping_copy / "brt.yaml", lambda d: d.update(colour="blue"))
    msg = load_error(mapping_copy)
    assert "brt.yaml: $: Additional properties are not allowed ('colour' was unexpected)" in msg


def test_unknown_key_inside_a_rule(mapping_copy: Path) -> None:
    edit(mapping_copy / "generic.yaml", lambda d: d["patterns"][2].update(priority=3))
    msg = load_error(mapping_copy)
    assert "generic.yaml: $.patterns[2]: Additional properties are not allowed " \
           "('priority' was unexpected)" in msg


def test_wrong_type(mapping_copy: Path) -> None:
    edit(mapping_copy / "gls.yaml", lambda d: d["patterns"][0].update(match=42))
    msg = load_error(mapping_copy)
    assert "gls.yaml: $.patterns[0].match: 42 is not of type 'string', 'array'" in msg


def test_version_must_be_a_version_string(mapping_copy: Path) -> None:
    edit(mapping_copy / "ups.yaml", lambda d: d.update(version=3))
    msg = load_error(mapping_copy)
    assert "ups.yaml: $.version: 3 is not of type 'string'" in msg


def test_bad_regex(mapping_copy: Path) -> None:
    edit(mapping_copy / "dpd.yaml", lambda d: d["patterns"][0].update(match=["ok", "(unclosed"]))
    msg = load_error(mapping_copy)
    assert "dpd.yaml: $.patterns[0].match[1]: invalid regular expression '(unclosed'" in msg
    assert "missing ), unterminated subpattern" in msg


def test_bad_regex_in_unless(mapping_copy: Path) -> None:
    edit(mapping_copy / "generic.yaml",
         lambda d: next(r for r in d["patterns"] if "unless" in r).update(unless="[z-a]"))
    msg = load_error(mapping_copy)
    assert re.search(r"generic\.yaml: \$\.patterns\[\d+\]\.unless: invalid regular expression "
                     r"'\[z-a\]': bad character range", msg)


def test_bad_conditional_clause_opener(mapping_copy: Path) -> None:
    edit(mapping_copy / "generic.yaml", lambda d: d["conditional_clauses"].append("if ("))
    msg = load_error(mapping_copy)
    assert re.search(r"generic\.yaml: \$\.conditional_clauses\[\d+\]: invalid regular "
                     r"expression 'if \('", msg)
    edit(mapping_copy / "generic.yaml", lambda d: d.update(conditional_clauses="if"))
    assert "generic.yaml: $.conditional_clauses: 'if' is not of type 'array'" in \
        load_error(mapping_copy)


def test_unknown_category(mapping_copy: Path) -> None:
    edit(mapping_copy / "fedex.yaml", lambda d: d["codes"]["DY"].update(category="weather"))
    msg = load_error(mapping_copy)
    assert "fedex.yaml: $.codes.DY.category: 'weather' is not one of ['address', " in msg


def test_unknown_reason(mapping_copy: Path) -> None:
    edit(mapping_copy / "generic.yaml", lambda d: d["patterns"][0].update(reason="address.typo"))
    msg = load_error(mapping_copy)
    assert "generic.yaml: $.patterns[0].reason: 'address.typo' is not one of" in msg


def test_reason_outside_its_category(mapping_copy: Path) -> None:
    edit(mapping_copy / "brt.yaml", lambda d: d["codes"]["022"].update(reason="recipient.refused"))
    msg = load_error(mapping_copy)
    assert "brt.yaml: $.codes.022.reason: reason 'recipient.refused' does not belong to " \
           "category 'address' (expected 'address.<sub-reason>')" in msg


def test_exception_rule_needs_reason_and_class(mapping_copy: Path) -> None:
    edit(mapping_copy / "tnt.yaml",
         lambda d: d["patterns"].append({"match": "x", "category": "other"}))
    msg = load_error(mapping_copy)
    assert "tnt.yaml: $.patterns[1]: 'reason' is a required property" in msg
    assert "tnt.yaml: $.patterns[1]: 'class' is a required property" in msg


def test_progress_rule_needs_milestone(mapping_copy: Path) -> None:
    edit(mapping_copy / "tnt.yaml", lambda d: d["patterns"].append({"match": "x"}))
    assert "tnt.yaml: $.patterns[1]: 'milestone' is a required property" in \
        load_error(mapping_copy)


def test_unquoted_numeric_code_is_rejected(mapping_copy: Path) -> None:
    path = mapping_copy / "gls.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('  "906":', "  906:"),
                    encoding="utf-8")
    msg = load_error(mapping_copy)
    assert "gls.yaml: $.codes: key 906 is a int, expected a string" in msg


def test_carrier_key_must_match_file_name(mapping_copy: Path) -> None:
    edit(mapping_copy / "sda.yaml", lambda d: d.update(carrier="sda_express"))
    assert "sda.yaml: $.carrier: 'sda_express' must equal the file name without .yaml " \
           "('sda')" in load_error(mapping_copy)


def test_invalid_yaml_names_the_line(mapping_copy: Path) -> None:
    (mapping_copy / "tnt.yaml").write_text("version: '2026.11-1'\nkind: [carrier\n",
                                           encoding="utf-8")
    assert re.search(r"tnt\.yaml: line \d+: not valid YAML", load_error(mapping_copy))


def test_exactly_one_shippypro_file(mapping_copy: Path) -> None:
    (mapping_copy / "shippypro.yaml").unlink()
    assert "expected exactly one file of kind 'shippypro' and one of kind 'generic', " \
           "found 0 and 1" in load_error(mapping_copy)


def test_empty_directory(tmp_path: Path) -> None:
    assert "no *.yaml mapping files found" in load_error(tmp_path)


def test_taxonomy_version_is_the_highest_file_version(mapping_copy: Path) -> None:
    edit(mapping_copy / "gls.yaml", lambda d: d.update(version="2026.12-10"))
    edit(mapping_copy / "brt.yaml", lambda d: d.update(version="2026.12-9"))
    clf = Classifier(mapping_copy)
    assert clf.taxonomy_version == "2026.12-10"  # numeric order: 10 > 9 > 1 (lexicon)
    assert clf.classify("brt", 6, "CONSEGNATA").taxonomy_version == "2026.12-10"
