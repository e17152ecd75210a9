"""Secrets appear nowhere: not in output, logs, plan files, journals or Markdown.

Contoso signs in with a client secret from its environment variable, fabrikam
with a certificate file whose private key is the secret; both are canaries
(values made for this test). Every command runs as a real process at every log
level (none, -v, -vv) against the emulator: validate, schema, plan in each
format, plan --out, apply of that file, and apply of a fresh plan. Then again
with a wrong secret and a wrong private key, whose values must not be echoed
in the errors either. Everything written is searched: stdout, stderr (where the
logs go), the plan file, the journal, the cache, the schemas.

`reconciler emulator serve --describe` is left out on purpose: it prints the
emulator's own demo secrets so that a demo can use them.
"""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability_support import command_env, reconciler_command

from reconciler.emulator import EmulatorServer, start_emulator
from reconciler.emulator.seeding import demo_seed_mapping

CONTOSO = "5f1c2d3e-0000-4000-8000-000000000001"
FABRIKAM = "7a2b9c4d-0000-4000-8000-000000000002"
SECRET_CLIENT_ID = "c4a7a7c4-0000-4000-8000-00000000c0de"
CERTIFICATE_CLIENT_ID = "c4a7a7c4-0000-4000-8000-00000000ce27"
ROLES = ["SecurityIncident.ReadWrite.All", "SecurityAlert.ReadWrite.All"]
CANARY_SECRET = "canary-secret-5b8e1f3a-must-never-be-printed"
WRONG_CANARY_SECRET = "canary-wrong-secret-0d9c44e2-must-never-be-printed"
LEVELS = {"quiet": [], "info": ["-v"], "debug": ["-vv"]}

FILES = {
    "reconciler.yaml": "defaults:\n  quota_per_minute: 150\n",
    "state/contoso/tenant.yaml": f"""\
tenant_id: {CONTOSO}
display_name: Contoso
client_id: {SECRET_CLIENT_ID}
credential:
  secret_env: CONTOSO_CLIENT_SECRET
""",
    "state/contoso/incidents.yaml": """\
incidents:
  "2972395":
    status: inProgress
    tags: [ransomware, escalated]
""",
    "state/contoso/alerts.yaml": """\
alerts:
  da637551227677560813_-961444813:
    status: inProgress
""",
    "state/fabrikam/tenant.yaml": f"""\
tenant_id: {FABRIKAM}
display_name: Fabrikam
client_id: {CERTIFICATE_CLIENT_ID}
credential:
  certificate_file: certs/fabrikam.pem
""",
    "state/fabrikam/incidents.yaml": """\
incidents:
  "418":
    status: inProgress
    classification: truePositive
    determination: malware
""",
}


@dataclass(frozen=True)
class Setting:
    emulator: EmulatorServer
    root: Path
    env: dict[str, str]
    # Every text that would give the private key away.
    key_material: list[str]


@pytest.fixture(scope="module")
def setting(
    tmp_path_factory: pytest.TempPathFactory,
    write_certificate: Callable[[Path], Path],
) -> Iterator[Setting]:
    base = tmp_path_factory.mktemp("secrets")
    root = base / "repo"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    certificate_file = root / "certs" / "fabrikam.pem"
    certificate_file.parent.mkdir()
    pem = write_certificate(certificate_file).read_text()
    seed = demo_seed_mapping()
    seed["apps"] = [
        {
            "client_id": SECRET_CLIENT_ID,
            "client_secret": CANARY_SECRET,
            "consents": {CONTOSO: ROLES},
        },
        {
            "client_id": CERTIFICATE_CLIENT_ID,
            "certificate": pem[pem.index("-----BEGIN CERTIFICATE-----") :],
            "consents": {FABRIKAM: ROLES},
        },
    ]
    with start_emulator(seed=seed, state_dir=base / "emulator") as emulator:
        env = command_env(emulator, CONTOSO_CLIENT_SECRET=CANARY_SECRET)
        yield Setting(emulator, root, env, private_key_material(pem))


def private_key_material(pem: str) -> list[str]:
    """The private key's PEM markers, body lines, and its body as one string."""
    block = re.search(
        r"-----BEGIN PRIVATE KEY-----\n(.+?)\n-----END PRIVATE KEY-----", pem, re.S
    )
    assert block is not None
    lines = block.group(1).split("\n")
    body = "".join(lines)
    assert base64.b64decode(body)
    return ["PRIVATE KEY", body, *lines]


@pytest.mark.parametrize("level", LEVELS)
def test_no_command_at_any_log_level_shows_a_secret_anywhere(
    setting: Setting, level: str, tmp_path: Path
) -> None:
    emulator = setting.emulator
    emulator.reset()
    plan_file = tmp_path / "plan.json"
    run = _runner(setting, LEVELS[level])

    results = [
        run("validate"),
        run("schema", "--out", str(tmp_path / "schemas")),
        run("plan", "--format", "text"),
        run("plan", "--format", "markdown"),
        run("plan", "--format", "json"),
        run("plan", "--out", str(plan_file)),
        run("apply", str(plan_file)),
    ]
    emulator.reset()
    results.append(run("apply", "--auto-approve"))

    assert [result.returncode for result in results] == [0] * len(results)
    assert {w["tenant_id"] for w in emulator.writes()} == {CONTOSO, FABRIKAM}
    if level == "debug":
        assert "DEBUG reconciler" in results[-1].stderr
    _assert_no_secret(setting, results, [tmp_path, setting.root / ".reconciler"])


@pytest.mark.parametrize("level", LEVELS)
def test_a_refused_secret_or_key_is_not_echoed_in_the_error(
    setting: Setting,
    level: str,
    tmp_path: Path,
    write_certificate: Callable[[Path], Path],
) -> None:
    setting.emulator.reset()
    wrong_key = write_certificate(tmp_path / "wrong.pem").read_text()
    repo = tmp_path / "repo"
    for name in (*FILES, "certs/fabrikam.pem"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text((setting.root / name).read_text())
    (repo / "certs" / "fabrikam.pem").write_text(wrong_key)
    env = dict(setting.env, CONTOSO_CLIENT_SECRET=WRONG_CANARY_SECRET)
    run = _runner(Setting(setting.emulator, repo, env, []), LEVELS[level])

    results = [run("plan"), run("apply", "--auto-approve")]

    assert [result.returncode for result in results] == [1, 1]
    for result in results:
        assert (
            "the client secret in $CONTOSO_CLIENT_SECRET was refused for tenant "
            "contoso; check it is current"
        ) in result.stderr
        assert "the certificate in " in result.stderr
        assert "was refused for tenant fabrikam" in result.stderr
    assert setting.emulator.writes() == []
    wrong = Setting(
        setting.emulator,
        repo,
        env,
        [WRONG_CANARY_SECRET, *private_key_material(wrong_key)],
    )
    _assert_no_secret(wrong, results, [repo / ".reconciler"])


def _runner(
    setting: Setting, options: list[str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            reconciler_command(setting.root, *options, *args),
            env=setting.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def _assert_no_secret(
    setting: Setting,
    results: list[subprocess.CompletedProcess[str]],
    directories: list[Path],
) -> None:
    canaries = [CANARY_SECRET, WRONG_CANARY_SECRET, *setting.key_material]
    texts = {
        f"output of {result.args[3:]}": result.stdout + result.stderr
        for result in results
    }
    for directory in directories:
        for path in directory.rglob("*"):
            if path.is_file():
                texts[str(path)] = path.read_text(errors="replace")
    assert len(texts) > len(results)
    leaks = [
        (where, canary[:24])
        for where, text in texts.items()
        for canary in canaries
        if canary in text
    ]
    assert leaks == []
