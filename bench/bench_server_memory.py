"""Benchmark the app server's memory over a day's use (not a test): one browser session trains 20 times.

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_server_memory.py                 # 20 trainings, ~4 min
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_server_memory.py --trainings 6   # a smoke run

Starts a real `streamlit run` server on 127.0.0.1 (tests/e2e/streamlit_server.py, its own run store in a
temporary folder) and one Debian chromium page driven by Playwright: it opens the Train page with the sine
lesson's experiment (a shared link), then ``--trainings`` times presses "Start training", waits for that run's
result ("Result: run #k ..."), opens the States page through the sidebar (a probe of the run: every gate and
state) and goes back to Train. After each cycle, with the page idle, it reads the server's resident memory
(VmRSS of its process, from /proc).

A session keeps its last ``app.state.MAX_SESSION_RUNS`` (8) runs, models included, so memory grows until the
8th training and must then stay flat: the target is the issue's bound for the library (bench/bench_memory.py),
under 5% growth, here from training 10 to the last. Prints the RSS after each training, the growth, and exits
1 when the bound is missed or a training did not end normally.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from streamlit_server import BROWSER_ARGS, CHROMIUM, free_port, start_server, stop_server, wait_healthy  # noqa: E402

GROWTH_TARGET = 0.05
FROM_TRAINING = 10  # the growth is measured from here to the last training (the session's 8 runs are kept by then)
SERVER_START_S = 120.0
TRAIN_TIMEOUT_S = 300.0
IDLE_JS = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')")


def rss_mb(pid: int) -> float:
    """VmRSS of one process, in MB (from /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def train_link(url: str, lesson_key: str = "sine") -> str:
    """The Train page with a lesson's experiment, as a shared link carries it."""
    from rnnlab.experiments import PRESETS
    from rnnlab.experiments import lessons as lesson_module

    lesson = next(item for item in lesson_module.LESSONS if item.key == lesson_key)
    query = {**PRESETS[lesson.preset].to_query(), "lesson": lesson_key}
    return f"{url}/train?{urllib.parse.urlencode(query)}"


async def _idle(page) -> None:
    await page.wait_for_timeout(300)  # let a rerun start before asking whether one is running
    await page.wait_for_function(IDLE_JS, polling=200)


async def _drive(url: str, server_pid: int, trainings: int) -> list[dict]:
    from playwright.async_api import async_playwright

    rows = []
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TRAIN_TIMEOUT_S * 1000)
        await page.goto(train_link(url))
        await page.locator(".st-key-train_start button").wait_for(state="visible")
        await _idle(page)
        for k in range(1, trainings + 1):
            start = time.perf_counter()
            await page.locator(".st-key-train_start button").click()
            heading = page.locator("h3", has_text=f"Result: run #{k} ")
            await heading.wait_for(state="visible")
            await _idle(page)
            outcome = " | ".join(await page.locator("[data-testid='stAlertContentSuccess'],"
                                                    " [data-testid='stAlertContentWarning']").all_inner_texts())
            errors = await page.locator("[data-testid='stException'], [data-testid='stAlertContentError']"
                                        ).all_inner_texts()
            train_s = time.perf_counter() - start
            await page.locator("[data-testid='stSidebarNav'] a", has_text="States").click()
            await page.locator("[data-testid='stPlotlyChart']").first.wait_for(state="visible")
            await _idle(page)
            errors += await page.locator("[data-testid='stException'], [data-testid='stAlertContentError']"
                                         ).all_inner_texts()
            await page.locator("[data-testid='stSidebarNav'] a", has_text="Train").click()
            await page.locator(".st-key-train_start button").wait_for(state="visible")
            await _idle(page)
            rows.append(dict(training=k, rss_mb=rss_mb(server_pid), train_s=train_s,
                             ok="Trained" in outcome and not errors, errors=[e[:200] for e in errors]))
            print(f"training {k:2d}: server RSS {rows[-1]['rss_mb']:7.1f} MB, click -> result {train_s:5.1f} s"
                  f"{'' if rows[-1]['ok'] else '  PROBLEM: ' + (outcome[:120] or '; '.join(rows[-1]['errors']))}",
                  flush=True)
        await browser.close()
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trainings", type=int, default=20, help="trainings in the one session (default 20)")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} not found: install Debian's chromium (`make browser`)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="server-memory-") as folder:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = Path(folder) / "streamlit.log"
        server = start_server(port, Path(folder) / "runs", log_path)
        try:
            wait_healthy(url, server, log_path, SERVER_START_S)
            start_mb = rss_mb(server.pid)
            rows = asyncio.run(_drive(url, server.pid, args.trainings))
        finally:
            stop_server(server)
    first = rows[min(FROM_TRAINING, len(rows)) - 1]
    last = rows[-1]
    growth = last["rss_mb"] / first["rss_mb"] - 1
    failed = [row["training"] for row in rows if not row["ok"]]
    print()
    print(f"server RSS, MB: started {start_mb:.0f}, after training 1 {rows[0]['rss_mb']:.0f}, "
          f"{first['training']} {first['rss_mb']:.0f}, {last['training']} {last['rss_mb']:.0f}")
    print(f"growth from training {first['training']} to {last['training']}: {growth:+.1%} "
          f"(target under {GROWTH_TARGET:.0%}); trainings that did not end normally: {failed or 'none'}")
    missed = growth >= GROWTH_TARGET or failed
    print("verdict:", "MISSED" if missed else "ok")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
