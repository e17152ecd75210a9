"""The command group: version, usage errors and lazy loading."""

import subprocess
import sys

from click.testing import CliRunner

from reconciler import __version__
from reconciler.cli import main


def test_an_unknown_option_exits_1_not_2_which_means_changes_present() -> None:
    result = CliRunner().invoke(main, ["plan", "--format", "yaml"])

    assert result.exit_code == 1
    assert "Invalid value for '--format': 'yaml'" in result.output


def test_an_unknown_command_exits_1() -> None:
    result = CliRunner().invoke(main, ["destroy"])

    assert result.exit_code == 1
    assert "No such command 'destroy'" in result.output


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(main, ["--version"])

    assert result.exit_code == 0
    assert result.output == f"reconciler, version {__version__}\n"


def test_version_imports_no_command_module_or_heavy_library() -> None:
    probe = (
        "import sys; from reconciler.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('msal', 'httpx', 'pydantic', 'reconciler.engine')"
        " if m in sys.modules]\n"
        "print(heavy)"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout

    assert output.splitlines()[-1] == "[]"
