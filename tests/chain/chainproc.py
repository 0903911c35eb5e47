"""Processes of the chain end-to-end tests: sela-server and the project's fake
IC (fake-ic) on free ports, their port files, and stopping them all.

Each test script keeps its own list of what it started (`procs`) and kills
what is left in its `finally`.
"""

import os
import signal
import subprocess
import time


def wait_file(path, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return open(path).read()
        time.sleep(0.05)
    raise AssertionError("no " + path)


def start_server(server, work, env, procs):
    """sela-server on a free port with `env` (over a minimal base: data under
    work/data, admin token, debug log); returns (process, port)."""
    port_file = os.path.join(work, "server.port")
    if os.path.exists(port_file):
        os.remove(port_file)
    full = {"PATH": os.environ.get("PATH", ""), "PORT": "0", "HOST": "127.0.0.1", "PORT_FILE": port_file,
            "DATA_PATH": os.path.join(work, "data"), "LOG_LEVEL": "debug", "SQLITE_QUICK_CHECK_MS": "0"}
    full.update(env)
    log = open(os.path.join(work, "server.log"), "ab")
    p = subprocess.Popen([server], env=full, stdout=log, stderr=subprocess.STDOUT)
    procs.append(p)
    return p, int(wait_file(port_file).strip())


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)


def start_fake_ic(fake_ic, sela_ic, pem, work, procs):
    """The fake IC, minting as the identity of `pem` (asked of sela-ic);
    returns (minter principal, IC port, root key)."""
    env_ic = dict(os.environ, CANISTER_CONTROLLER_PEM=pem)
    minter = subprocess.run([sela_ic, "whoami"], env=env_ic, capture_output=True, text=True).stdout
    minter = minter.split("identity: ")[1].split()[0]
    procs.append(subprocess.Popen([fake_ic, minter, os.path.join(work, "ic.port")]))
    ic_port, root = wait_file(os.path.join(work, "ic.port")).split()
    return minter, ic_port, root


def kill_all(procs):
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
