#!/usr/bin/python3
"""The server's settlement end to end, as processes: sela-server with
BLOCKCHAIN_ENABLED=true against the fake IC endpoint (fake-ic). Credits are
written into the server's ledger table before it starts (nodes earning takes
minutes of uptime); a run settles them; sela-ic reads the balances back from
the fake ledger. Also: BLOCKCHAIN_ENABLED=false settles nothing and says so,
and the controller key never appears in a log or an answer.

Usage: server_settlement_test.py SELA_SERVER FAKE_IC SELA_IC PEM_FILE
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

import chainproc

SERVER, FAKE_IC, SELA_IC, PEM_FILE = sys.argv[1:5]
PEM = open(PEM_FILE).read()
TOKEN = "t" * 40
NODES = ["2vxsx-fae", "rrkah-fqaaa-aaaaa-aaaaq-cai", "ryjl3-tyaaa-aaaaa-aaaba-cai"]
procs = []


def start_server(work, env_extra):
    return chainproc.start_server(SERVER, work, dict(env_extra, ADMIN_TOKEN=TOKEN), procs)


def call(port, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def main():
    work = tempfile.mkdtemp()
    os.makedirs(os.path.join(work, "data"))
    env_ic = dict(os.environ, CANISTER_CONTROLLER_PEM=PEM)
    minter, ic_port, root = chainproc.start_fake_ic(FAKE_IC, SELA_IC, PEM, work, procs)
    chain_env = {"BLOCKCHAIN_ENABLED": "true", "IC_URL": f"http://127.0.0.1:{ic_port}", "IC_ROOT_KEY": root,
                 "CANISTER_CONTROLLER_PEM": PEM}

    # Disabled: nothing settled, and it says so.
    server, port = start_server(work, {})
    status, body = call(port, "POST", "/api/admin/settlements/run")
    assert status == 400 and "BLOCKCHAIN_ENABLED is false" in body, (status, body)
    status, body = call(port, "GET", "/api/admin/settlements")
    assert status == 200 and json.loads(body)["data"]["summary"]["enabled"] is False, body
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        assert "sela_settlement_enabled 0" in r.read().decode()
    chainproc.stop(server)
    assert b"BLOCKCHAIN_ENABLED=false: settlement is off" in open(os.path.join(work, "server.log"), "rb").read()

    # Credits as the rewards ledger keeps them (the server made the tables).
    db = sqlite3.connect(os.path.join(work, "data", "sela.db"))
    for i, p in enumerate(NODES):
        db.execute("INSERT INTO ledger_accounts VALUES (?, ?, ?, 1, 0)", (p, 1000 + i, 1000 + i))
    db.commit()
    db.close()

    # A key the server cannot read stops it, without quoting the key.
    bad = subprocess.run([SERVER], env=dict(chain_env, CANISTER_CONTROLLER_PEM="-----BEGIN SECRET-----xyzzy",
                                            PORT="0", DATA_PATH=os.path.join(work, "data"), ADMIN_TOKEN=TOKEN),
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "CANISTER_CONTROLLER_PEM" in bad.stderr and "xyzzy" not in bad.stderr, bad.stderr

    server, port = start_server(work, chain_env)
    status, body = call(port, "POST", "/api/admin/settlements/run")
    assert status == 200 and json.loads(body)["data"]["settlements"] == 3, body
    deadline = time.time() + 30
    while time.time() < deadline:
        status, body = call(port, "GET", "/api/admin/settlements?state=confirmed")
        if len(json.loads(body)["data"]["settlements"]) == 3:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("not confirmed: " + body)
    status, body = call(port, "GET", "/api/admin/settlements")
    summary = json.loads(body)["data"]["summary"]
    assert summary["enabled"] is True and summary["units"]["confirmed"] == 3003, summary
    # A second run finds nothing unsettled.
    status, body = call(port, "POST", "/api/admin/settlements/run")
    assert json.loads(body)["data"]["settlements"] == 0, body
    chainproc.stop(server)
    env_read = dict(env_ic, IC_URL=f"http://127.0.0.1:{ic_port}", IC_ROOT_KEY=root)
    for i, p in enumerate(NODES):
        out = subprocess.run([SELA_IC, "balance", p], env=env_read, capture_output=True, text=True).stdout
        assert f"balance: {1000 + i} e8s" in out, (p, out)
    log = open(os.path.join(work, "server.log"), "rb").read()
    key_body = "".join(l for l in PEM.splitlines() if "-----" not in l)[:40]
    assert key_body.encode() not in log, "the controller key is in the log"
    assert b"settlement: minting as " + minter.encode() in log
    assert b"confirmed: block" in log and b" sent: " in log
    print("1 passed, 0 failed")


try:
    main()
finally:
    chainproc.kill_all(procs)
