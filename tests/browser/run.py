#!/usr/bin/python3
"""Drives Debian's headless Chromium against a running sela-server with
nodes and jobs (sela-loadgen jobs): the dashboard at /admin shows numbers
that move and draws its charts, a wrong token gets the login form back, the
Swagger UI at /api/docs lists every operation of /openapi.json, and the pages
request nothing but the server itself. Saves screenshots of both pages.

    /usr/bin/python3 tests/browser/run.py --server build/release/src/app/sela-server \\
        --loadgen build/release/tools/loadgen/sela-loadgen --screenshot-dir build/release/screenshots

--load-seconds, --nodes and --job-rate make a longer, heavier run (the
screenshot in docs/ comes from one). Prints one line per check and, last,
"N passed, M failed".
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import traceback
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))

import cdp  # noqa: E402
import proc  # noqa: E402  (tests/e2e: starts servers on free ports in temp dirs)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
TOKEN = "dash-" + secrets.token_hex(16)  # ADMIN_TOKEN: 32 characters at least


def number(text):
    return float(text.replace(",", "").split()[0]) if text and text[0].isdigit() else None


def foreign_requests(urls):
    """URLs that would leave the machine (anything but loopback and inline)."""
    out = []
    for u in urls:
        p = urllib.parse.urlsplit(u)
        if p.scheme in ("data", "blob", "about", "chrome", "devtools"):
            continue
        if p.hostname not in LOCAL_HOSTS:
            out.append(u)
    return out


def stat_js(name):
    return f"document.getElementById('stat-{name}').textContent"


async def check_refused_token(browser, base):
    await browser.navigate(f"{base}/admin#token=wrong-{TOKEN}")
    await browser.wait_for("!document.getElementById('login').hidden && "
                           "document.getElementById('login-error').textContent.includes('Invalid')",
                           "the login form after a wrong token")
    assert await browser.evaluate("document.getElementById('board').hidden"), "the board shows with a wrong token"
    href = await browser.evaluate("location.href")
    assert TOKEN not in href, f"the token stays in the address bar: {href}"


async def check_dashboard(browser, base, shot):
    await browser.navigate(f"{base}/admin#token={TOKEN}")
    await browser.wait_for("!document.getElementById('board').hidden && Number(document.body.dataset.samples) > 0",
                           "the first sample")
    assert "#token" not in await browser.evaluate("location.href"), "the token stays in the address bar"
    online = await browser.wait_for(f"Number({stat_js('nodes-online')}.replace(/,/g, '')) > 0 && "
                                    f"{stat_js('nodes-online')}",
                                    "nodes online", timeout=15)
    samples0 = int(await browser.evaluate("document.body.dataset.samples"))
    done0 = number(await browser.evaluate(stat_js("completed-total"))) or 0
    await browser.wait_for(f"Number(document.body.dataset.samples) >= {samples0 + 2} && "
                           f"Number({stat_js('completed-total')}.replace(/,/g, '')) > {done0}",
                           "two more samples with more jobs completed", timeout=15)
    rate = await browser.wait_for(f"Number({stat_js('completed-per-s')}.replace(/,/g, '')) > 0 && "
                                  f"{stat_js('completed-per-s')}", "jobs completed per second > 0", timeout=10)
    p99 = await browser.wait_for(f"{stat_js('p99')}.endsWith('ms') && {stat_js('p99')}", "a round-trip p99")
    # Every chart has drawn its lines (some non-background pixels).
    for chart in ("nodes", "jobs", "latency", "queue"):
        painted = await browser.evaluate(
            f"(() => {{ const c = document.getElementById('chart-{chart}');"
            "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()")
        assert painted > 100, f"chart {chart} drew {painted} pixels"
    await browser.screenshot(shot)
    return f"nodes online {online}, completed/s {rate}, p99 {p99}"


async def check_docs(browser, base, shot):
    with urllib.request.urlopen(f"{base}/openapi.json", timeout=5) as r:
        doc = json.load(r)
    operations = sum(len(item) for item in doc["paths"].values())
    await browser.navigate(f"{base}/api/docs")
    count = await browser.wait_for(f"document.querySelectorAll('.opblock').length >= {operations} && "
                                   "document.querySelectorAll('.opblock').length",
                                   f"{operations} operations in Swagger UI", timeout=15)
    paths = await browser.evaluate("[...document.querySelectorAll('.opblock-summary-path')].map(e => e.textContent)")
    for want in ("/api/rpc/scrapeUrl", "/admin/feed", "/metrics", "/api/node/nodes/running"):
        assert any(want in p for p in paths), f"{want} not in Swagger UI"
    await browser.screenshot(shot)
    return f"{count} operations"


def start_load(args, port):
    argv = [args.loadgen, "jobs", "--port", str(port), "--nodes", str(args.nodes), "--customers", "16",
            "--job-rate", str(args.job_rate), "--duration", str(args.load_seconds)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


async def run_checks(args, base):
    browser = cdp.Browser()
    results = []
    try:
        await browser.start()
        checks = [("refused token", check_refused_token(browser, base))]
        if args.load_seconds > 20:
            # A long run: let the charts fill before the picture is taken.
            await asyncio.sleep(args.load_seconds - 12)
        checks.append(("dashboard", check_dashboard(browser, base, os.path.join(args.screenshot_dir, "dashboard.png"))))
        checks.append(("api docs", check_docs(browser, base, os.path.join(args.screenshot_dir, "api-docs.png"))))
        for name, coro in checks:
            t0 = time.monotonic()
            try:
                detail = await coro
                results.append((name, True, detail or "", time.monotonic() - t0))
            except Exception as e:  # noqa: BLE001  (reported as the check's failure)
                results.append((name, False, f"{e}\n{traceback.format_exc(limit=2)}", time.monotonic() - t0))
        foreign = foreign_requests(browser.requests)
        results.append(("no request leaves the machine", not foreign,
                        f"{len(browser.requests)} requests, all local" if not foreign else f"foreign: {foreign}", 0))
        results.append(("no script errors", not browser.console, "; ".join(browser.console)[:500], 0))
    finally:
        await browser.close()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--screenshot-dir", default="screenshots")
    ap.add_argument("--load-seconds", type=int, default=12)
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--job-rate", type=int, default=200)
    args = ap.parse_args()
    proc.configure(args.server)
    server = proc.ServerProcess(env={"ADMIN_TOKEN": TOKEN, "USAGE_LIMIT": "1000000000"}, tag="browser")
    load = None
    results = []
    try:
        server.start()
        load = start_load(args, server.port)
        results = asyncio.run(run_checks(args, f"http://127.0.0.1:{server.port}"))
        server.check_alive()
        leaked = [line for line in server.output().splitlines() if TOKEN in line]
        results.append(("the admin token is in no log line", not leaked, "; ".join(leaked)[:500], 0))
    except Exception as e:  # noqa: BLE001
        results.append(("setup", False, f"{e}", 0))
    finally:
        if load is not None and load.poll() is None:
            os.killpg(load.pid, signal.SIGKILL)
            load.wait()
        server.stop()
    failed = [r for r in results if not r[1]]
    for name, ok, detail, dt in results:
        print(f"{'ok  ' if ok else 'FAIL'}  {name}  ({dt:.1f}s)  {detail if ok else ''}")
        if not ok:
            print("      " + detail.replace("\n", "\n      "))
    if failed:
        print(f"server directory (log kept): {server.workdir}")
    else:
        proc.remove_workdirs()
    print(f"screenshots in {os.path.abspath(args.screenshot_dir)}")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
