"""`reconciler emulator serve` as a user runs it (design.md, Command line)."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
import time

import httpx
from emulator_support import CONTOSO


def serve(*args, cwd):
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "serve", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path, process):
    deadline = time.monotonic() + 20
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(process.communicate())
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the emulator did not write its description")
        time.sleep(0.05)
    return json.loads(path.read_text())


def test_serve_describes_itself_answers_https_and_exits_0_on_sigterm(tmp_path):
    describe = tmp_path / "emulator.json"
    process = serve("--port", "0", "--describe", str(describe), cwd=tmp_path)
    try:
        description = wait_for(describe, process)
        context = ssl.create_default_context(cafile=description["ca_bundle"])
        response = httpx.get(
            f"{description['url']}/{CONTOSO}/v2.0/.well-known/openid-configuration",
            verify=context,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)

    assert response.status_code == 200
    assert [t["name"] for t in description["tenants"]] == ["contoso", "fabrikam"]
    assert process.returncode == 0, stderr
    assert f"Emulator listening at {description['url']}" in stdout
    assert f"CA bundle: {description['ca_bundle']}" in stdout
    assert stdout.endswith("Emulator stopped.\n")


def test_bad_generate_value_is_a_usage_error(tmp_path):
    process = serve("--generate", "three", cwd=tmp_path)
    _, stderr = process.communicate(timeout=20)

    assert process.returncode == 1
    assert "'three' is not T:N (tenants:incidents each), e.g. 3:500" in stderr


def test_bad_seed_file_exits_1_naming_the_place(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("tenants:\n  - name: acme\n")
    process = serve("--port", "0", "--seed", str(seed), cwd=tmp_path)
    _, stderr = process.communicate(timeout=20)

    assert process.returncode == 1
    assert stderr == (
        f"{seed}:2:5: error: tenants[0].tenant_id must be a GUID, got None\n"
    )


def test_port_in_use_exits_1_with_the_fix(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = serve("--port", str(port), cwd=tmp_path)
        _, stderr = process.communicate(timeout=20)

    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in stderr
    assert "--port (0 picks a free one)" in stderr


def test_seed_and_generate_exclude_each_other(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("tenants: []\n")
    process = serve("--seed", str(seed), "--generate", "1:1", cwd=tmp_path)
    _, stderr = process.communicate(timeout=20)

    assert process.returncode == 1
    assert "give --seed or --generate, not both" in stderr
