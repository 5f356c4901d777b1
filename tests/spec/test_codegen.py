"""The code generation pipeline: tools/codegen.py turning openapi.yaml into rupt_api/_generated.

These run the pinned openapi-python-client (about a second per generation), always into
temporary directories: the committed tree and the real openapi.yaml are only read.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.tools import load_tool

ROOT = Path(__file__).resolve().parents[2]
# Under pytest-xdist, on one worker: the module's generation runs once, not on each.
pytestmark = pytest.mark.xdist_group("codegen")


@pytest.fixture(scope="module")
def codegen() -> ModuleType:
    """tools/codegen.py, imported from its file (tools/ is not a package)."""
    return load_tool("codegen")


@pytest.fixture(scope="module")
def fresh_tree(codegen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generation from the real openapi.yaml, shared by the tests of this module."""
    out: Path = codegen._run_generator(tmp_path_factory.mktemp("fresh"))
    return out


def test_fresh_generation_produces_the_expected_package(fresh_tree: Path) -> None:
    """The generator really wrote a package (so the comparisons below compare something)."""
    names = set(fresh_tree.rglob("*.py"))
    for expected in (
        "__init__.py",
        "client.py",
        "types.py",
        "models/evaluation.py",
        "models/user.py",
        "api/evaluations/get_evaluation.py",
        "api/users/update_user.py",
    ):
        assert fresh_tree / expected in names, expected


def test_generation_is_deterministic(codegen: ModuleType, fresh_tree: Path, tmp_path: Path) -> None:
    """Two generations from the same inputs are identical file by file, or `make check-generated`
    would fail at random and reviews would drown in noise."""
    second: Path = codegen._run_generator(tmp_path)
    first_files = codegen._files(fresh_tree)
    second_files = codegen._files(second)
    assert first_files, "the generator wrote no files"
    assert sorted(first_files) == sorted(second_files)
    for name, text in first_files.items():
        assert second_files[name] == text, f"{name} differs between two generations"


def test_committed_client_is_up_to_date(codegen: ModuleType, fresh_tree: Path) -> None:
    """rupt_api/_generated is exactly what openapi.yaml, generator-config.yaml and templates/
    produce: nobody edited it by hand or forgot `make generate` after changing the spec."""
    committed = ROOT / "rupt_api" / "_generated"
    assert committed.is_dir()
    diff = codegen.diff_trees(committed, fresh_tree)
    assert not diff, "run `make generate`:\n" + "".join(diff[:200])


def test_generated_types_read_absent_fields_as_none(fresh_tree: Path) -> None:
    """templates/types.py.jinja.patch is applied: UNSET is None, not the stock sentinel."""
    types_py = (fresh_tree / "types.py").read_text(encoding="utf-8")
    assert "UNSET: None = None" in types_py
    assert "class Unset" not in types_py


def test_generated_models_define_no_enums(fresh_tree: Path) -> None:
    """No generated model restricts a field to a closed set of values: one unknown value from the
    API would make the whole response fail to parse."""
    for path in sorted((fresh_tree / "models").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for marker in ("Enum", "Literal["):
            assert marker not in text, f"{path.name} contains {marker}"


def test_a_property_added_to_the_spec_appears_in_the_generated_model(
    codegen: ModuleType, fresh_tree: Path, tmp_path: Path
) -> None:
    """The maintainer workflow works: add a property to a schema (in a copy of openapi.yaml),
    generate, and the model gains a typed, documented attribute that parses from the wire."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    user_properties = document["components"]["schemas"]["User"]["properties"]
    assert "nickname" not in user_properties
    user_properties["nickname"] = {
        "type": "string",
        "description": "What the user likes to be called.",
    }
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    out_parent = tmp_path / "out"
    out_parent.mkdir()
    generated: Path = codegen._run_generator(out_parent, spec=spec)

    before = (fresh_tree / "models" / "user.py").read_text(encoding="utf-8")
    after = (generated / "models" / "user.py").read_text(encoding="utf-8")
    assert "nickname" not in before
    assert "nickname: str | Unset = UNSET" in after
    assert "What the user likes to be called." in after

    # Import the generated package from the temporary directory, in a separate interpreter so
    # this test's `_generated` never shadows or mixes with the committed one.
    check = (
        "from _generated.models import User\n"
        "user = User.from_dict({'nickname': 'x', 'rupt_id': 'r'})\n"
        "assert user.nickname == 'x', user\n"
        "assert user.additional_properties == {}, user.additional_properties\n"
        "assert User.from_dict({}).nickname is None\n"
        "assert user.to_dict() == {'rupt_id': 'r', 'nickname': 'x'}, user.to_dict()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=out_parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- template patches, tool versions, provenance ---------------------------------------------------


def test_every_template_patch_applies_to_the_pinned_generator_and_says_why(
    codegen: ModuleType, tmp_path: Path
) -> None:
    """Each templates/**/*.patch starts with why it exists and applies, hunk by hunk, to the
    installed (pinned) generator's own template, changing it."""
    patches = codegen.patch_files()
    assert len(patches) >= 3
    codegen.render_templates(tmp_path)
    upstream = codegen.upstream_templates()
    for patch in patches:
        text = patch.read_text(encoding="utf-8")
        assert text.startswith("Why: "), f"{patch.name} must start with `Why: ...`"
        assert "Against: openapi-python-client " in text, patch.name
        name = patch.relative_to(codegen.PATCHES).as_posix().removesuffix(".patch")
        patched = (tmp_path / name).read_text(encoding="utf-8")
        assert patched != (upstream / name).read_text(encoding="utf-8"), name
    assert not list(codegen.PATCHES.rglob("*.jinja")), "templates/ holds patches, not copies"


def test_a_hunk_that_no_longer_applies_stops_generation_naming_it(codegen: ModuleType) -> None:
    """An upstream template that changed under a patch fails loudly, with file and hunk."""
    patch = codegen.PATCHES / "property_templates" / "datetime_property.py.jinja.patch"
    upstream = codegen.upstream_templates() / "property_templates" / "datetime_property.py.jinja"
    changed = upstream.read_text(encoding="utf-8").replace("fromisoformat", "from_iso_format")
    with pytest.raises(codegen.CodegenError) as caught:
        codegen.apply_patch(changed, patch.read_text(encoding="utf-8"), "templates/x.patch")
    message = str(caught.value)
    assert "hunk 1 of templates/x.patch (@@ -1,5 +1,8 @@) no longer applies" in message
    assert "datetime.datetime.fromisoformat({{ source }})" in message


def test_a_hunk_still_applies_when_upstream_adds_lines_above_it(codegen: ModuleType) -> None:
    patch = (codegen.PATCHES / "types.py.jinja.patch").read_text(encoding="utf-8")
    upstream = (codegen.upstream_templates() / "types.py.jinja").read_text(encoding="utf-8")
    shifted = codegen.apply_patch("# a new upstream line\n" + upstream, patch, "types")
    assert shifted == "# a new upstream line\n" + codegen.apply_patch(upstream, patch, "types")


def test_another_generator_version_is_named_before_anything_runs(codegen: ModuleType) -> None:
    pins = codegen.pinned_versions()
    assert set(pins) == {"openapi-python-client", "ruff"}
    codegen.check_versions(dict(pins))  # the pinned versions pass
    with pytest.raises(codegen.CodegenError) as caught:
        codegen.check_versions({**pins, "openapi-python-client": "0.28.3"})
    expected = f"generator openapi-python-client {pins['openapi-python-client']} expected, 0.28.3"
    assert f"{expected} installed" in str(caught.value)
    assert "ruff" not in str(caught.value).split(". ")[0]


def test_the_provenance_stamp_records_tools_and_input_hashes(codegen: ModuleType) -> None:
    """PROVENANCE.json beside the generated code names the tool versions and hashes every input
    (`test_committed_client_is_up_to_date` keeps it current)."""
    stamp = json.loads((ROOT / "rupt_api" / "_generated" / "PROVENANCE.json").read_text("utf-8"))
    assert stamp["tools"] == codegen.pinned_versions()
    for name in ("openapi.yaml", "generator-config.yaml"):
        digest = hashlib.sha256((ROOT / name).read_bytes()).hexdigest()
        assert stamp["inputs"][name] == digest, name
    patches = {
        f"templates/{p.relative_to(codegen.PATCHES).as_posix()}" for p in codegen.patch_files()
    }
    assert patches <= set(stamp["inputs"])
    assert len(stamp["patched_templates"]) == len(patches)


def test_a_deprecated_field_still_reads_and_warns_on_access(
    codegen: ModuleType, tmp_path: Path
) -> None:
    """`deprecated: true` in the spec (templates/model.py.jinja.patch): the field keeps parsing
    and reads None when absent, its access raises a DeprecationWarning, to_dict() stays quiet."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    document["components"]["schemas"]["Risk"]["properties"]["category"] = {
        "type": "string",
        "deprecated": True,
        "description": "The risk's category. Rupt no longer sends it.",
    }
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    out_parent = tmp_path / "out"
    out_parent.mkdir()
    codegen._run_generator(out_parent, spec=spec)
    check = (
        "import warnings\n"
        "from _generated.models import Risk\n"
        "warnings.simplefilter('error')\n"
        "risk = Risk.from_dict({'category': 'x', 'name': 'ato'})\n"
        "assert risk.to_dict() == {'category': 'x', 'name': 'ato'}, risk.to_dict()\n"
        "assert risk.name == 'ato'\n"
        "try:\n"
        "    risk.category\n"
        "except DeprecationWarning as w:\n"
        "    assert 'Risk.category is deprecated' in str(w), w\n"
        "else:\n"
        "    raise AssertionError('no DeprecationWarning')\n"
        "warnings.simplefilter('ignore')\n"
        "assert risk.category == 'x'\n"
        "assert Risk.from_dict({}).category is None\n"
        "assert Risk(category='y').category == 'y'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=out_parent, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
