"""`breachwatch poll` and `breachwatch sources` against the loopback server.

The CLI runs in a worker thread (it calls asyncio.run itself) while the test's loop serves the feeds; stdout
and stderr are captured as a terminal user would see them.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import json
import os
import pty
import signal
import struct
import sys
import termios
from pathlib import Path
from unittest import mock

import pytest

from bot.cli import main
from tests.feedserver import FeedServer


def _env(tmp_path: Path, sources: list[str]) -> dict[str, str]:
    toml = "".join(
        f'[[source]]\nurl = "{url}"\nname = "Test {i}"\nlanguage = "en"\n\n' for i, url in enumerate(sources)
    )
    (tmp_path / "sources.toml").write_text(toml, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BREACHWATCH_") and k != "DISCORD_TOKEN"}
    env.update(
        BREACHWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        BREACHWATCH_SOURCES_FILE=str(tmp_path / "sources.toml"),
        # The test server is on loopback, which the guard refuses by default.
        BREACHWATCH_ALLOW_PRIVATE_SOURCES="true",
        BREACHWATCH_PARSE_WORKERS="0",
        BREACHWATCH_FETCH_TIMEOUT="3",
        BREACHWATCH_LOG_LEVEL="WARNING",
    )
    return env


def _run(env: dict[str, str], args: tuple[str, ...]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env, clear=True), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    return await asyncio.wait_for(asyncio.to_thread(_run, env, args), timeout=60)


async def test_poll_once_json(feed_server: FeedServer, tmp_path: Path) -> None:
    env = _env(tmp_path, [feed_server.url("/feed"), feed_server.url("/status/404"), feed_server.url("/html")])
    code, out, err = await _cli(env, "poll", "--once", "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    by_path = {line["source"].rsplit("/", 1)[-1]: line for line in lines}
    assert set(by_path) == {"feed", "404", "html"}
    assert all({"source", "status", "http_status", "entries", "new", "error"} <= set(line) for line in lines)
    assert (by_path["feed"]["status"], by_path["feed"]["http_status"], by_path["feed"]["entries"]) == ("ok", 200, 3)
    assert by_path["feed"]["new"] == 3 and by_path["feed"]["error"] is None
    assert by_path["404"]["status"] == "error" and by_path["404"]["error"].startswith("http_4xx")
    assert by_path["html"]["error"].startswith("not_a_feed")
    assert "\r" not in err  # no progress bar when not on a terminal
    # A second --once polls again (forced) and the feed answers 304.
    code, out, _ = await _cli(env, "poll", "--once", "--json")
    second = {json.loads(line)["source"].rsplit("/", 1)[-1]: json.loads(line) for line in out.splitlines()}
    assert code == 0 and second["feed"]["status"] == "not_modified" and second["feed"]["http_status"] == 304


async def test_poll_given_sources_and_plain_output(feed_server: FeedServer, tmp_path: Path) -> None:
    env = _env(tmp_path, [feed_server.url("/feed")])
    extra = feed_server.url("/gzip")
    code, out, err = await _cli(env, "poll", "--once", "--source", extra)
    assert code == 0, err
    assert extra in out and "entries=4" in out and feed_server.url("/feed") not in out
    assert "1 feeds polled, 0 failed, 4 new entries" in out
    code, out, _ = await _cli(env, "sources", "list")
    assert code == 0 and extra in out and "[operator]" in out and "[config]" in out


async def test_poll_misuse_is_an_error(tmp_path: Path) -> None:
    env = _env(tmp_path, [])
    assert (await _cli(env, "poll"))[0] == 2
    assert (await _cli(env, "poll", "--once", "--source", "ftp://x/feed"))[0] == 2


async def test_sources_add_remove_check(feed_server: FeedServer, tmp_path: Path) -> None:
    env = _env(tmp_path, [])
    url = feed_server.url("/feed")
    code, out, _ = await _cli(env, "sources", "add", url, "--name", "Loopback")
    assert code == 0 and out.startswith("added")
    code, out, _ = await _cli(env, "sources", "list", "--json")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert (row["url"], row["name"], row["scope"], row["state"]) == (url, "Loopback", "operator", "not polled yet")
    code, out, _ = await _cli(env, "sources", "remove", url)
    assert code == 0 and "removed" in out
    assert (await _cli(env, "sources", "remove", url))[0] == 1
    code, out, _ = await _cli(env, "sources", "list")
    assert url not in out
    code, out, _ = await _cli(env, "sources", "check", url)
    assert code == 0 and "entries: 3" in out and "HTTP 200" in out
    code, out, _ = await _cli(env, "sources", "check", feed_server.url("/status/410"))
    assert code == 1 and "http_4xx" in out
    assert not (await _cli(env, "sources", "list", "--all"))[1].count("not polled yet") > 1


@pytest.mark.parametrize("allow", ["false"])
async def test_check_refuses_private_without_allow(allow: str, feed_server: FeedServer, tmp_path: Path) -> None:
    env = _env(tmp_path, []) | {"BREACHWATCH_ALLOW_PRIVATE_SOURCES": allow}
    code, out, _ = await _cli(env, "sources", "check", feed_server.url("/feed"))
    assert code == 1 and "private_address" in out
    assert feed_server.state.requests == 0  # refused before connecting


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's other end is closed and everything has been read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("as_json", [False, True])
async def test_progress_bar_only_on_a_terminal_and_never_with_json(
    as_json: bool, feed_server: FeedServer, tmp_path: Path
) -> None:
    env = _env(tmp_path, [feed_server.url("/feed"), feed_server.url("/status/404")])
    env["BREACHWATCH_LOG_LEVEL"] = "INFO"
    master, slave = pty.openpty()
    # A terminal 100 columns wide: a fresh pty is 0 x 0, which tqdm draws as an empty bar.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    args = ["-m", "bot", "poll", "--once", *(["--json"] if as_json else [])]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=slave
    )
    os.close(slave)
    try:
        # Read while it runs: what is left unread when the terminal's last writer exits can be lost.
        reader = asyncio.create_task(asyncio.to_thread(_read_all, master))
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
        terminal = await asyncio.wait_for(reader, timeout=10)
    finally:
        os.close(master)
    assert proc.returncode == 0, terminal
    if as_json:
        assert b"feed/s" not in terminal and b"\r" not in terminal
        assert len(out.splitlines()) == 2
    else:
        assert b"/2 [" in terminal and b"\r" in terminal, terminal  # tqdm's bar: "0/2 [00:00<?, ?feed/s]"
        # Log lines print above the bar, each on a line of its own, never glued to the bar's text.
        logged = [line for line in terminal.split(b"\n") if b"poll cycle:" in line]
        assert len(logged) == 1 and logged[0].rstrip(b"\r").split(b"\r")[-1].startswith(b"20"), logged
        assert b"ok" in out and b"http_4xx" in out


async def test_run_stops_cleanly_while_a_poll_is_in_flight(feed_server: FeedServer, tmp_path: Path) -> None:
    # SIGTERM while fetches hang on a server that drips bytes: the poll job is cancelled, unwinds, and only then
    # do the HTTP session and the database close. Exit 0, promptly, with "stopped cleanly".
    env = _env(tmp_path, [feed_server.url(f"/drip?n={n}") for n in range(6)])
    env.update(BREACHWATCH_FETCH_TIMEOUT="60", BREACHWATCH_LOG_LEVEL="INFO", BREACHWATCH_HEALTH_PORT="0",
               DISCORD_TOKEN="", BREACHWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}")  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stderr is not None
    log = b""
    try:
        async with asyncio.timeout(30):
            while b"scheduler started" not in log:
                log += await proc.stderr.readline()
        await asyncio.sleep(2.0)  # the first cycle is now waiting on the dripping feeds
        proc.send_signal(signal.SIGTERM)
        sent = asyncio.get_running_loop().time()
        rest = await asyncio.wait_for(proc.stderr.read(), timeout=15)
        await asyncio.wait_for(proc.wait(), timeout=5)
        elapsed = asyncio.get_running_loop().time() - sent
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 0, rest.decode()[-3000:]
    assert b"stopped cleanly" in rest
    assert elapsed < 5.0, f"shutdown took {elapsed:.1f}s"
