#!/usr/bin/python3
"""Checks the container files (Dockerfile, docker-compose.yml, .dockerignore)
against what the project promises (README "Containers"), lints the YAML with
yamllint, and builds the image when a Docker daemon answers; where none does
(this machine has the client only) it says that it skipped the build.

    /usr/bin/python3 tests/containers/check.py --repo . [--server build/release/src/app/sela-server]

With --server, the runtime stage must install the Debian package of every
shared library the built binary loads (ldd + dpkg -S), so a new dependency
cannot be forgotten there. Prints one line per check, then "N passed, M failed".
"""

import argparse
import fnmatch
import os
import re
import shlex
import subprocess
import sys

import yaml

BASE_IMAGE = re.compile(r"^debian:(12|bookworm)(-slim|-\d{8}(-slim)?)?$")
IN_BASE_IMAGE = {"libc6", "libgcc-s1", "libstdc++6"}


def instructions(text):
    """(instruction, arguments) pairs of a Dockerfile, continuation lines joined."""
    out, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        word, _, rest = current.partition(" ")
        out.append((word.upper(), rest.strip()))
        current = ""
    return out


def stages(instrs):
    result = []
    for word, args in instrs:
        if word == "FROM":
            parts = args.split()
            result.append({"image": parts[0], "name": parts[2] if len(parts) > 2 else None, "instrs": []})
        elif result:
            result[-1]["instrs"].append((word, args))
    return result


def apt_packages(run_args):
    words = shlex.split(run_args.replace("&&", " && ").replace("\\", " "))
    pkgs, taking = [], False
    for w in words:
        if w == "install":
            taking = True
            continue
        if taking:
            if w in ("&&", ";"):
                taking = False
            elif not w.startswith("-"):
                pkgs.append(w)
    return pkgs


class Checker:
    def __init__(self, repo, server):
        self.repo = repo
        self.server = server
        self.results = []

    def check(self, name, ok, detail=""):
        self.results.append((name, bool(ok), detail))

    def read(self, rel):
        with open(os.path.join(self.repo, rel)) as f:
            return f.read()

    # -- Dockerfile ---------------------------------------------------------
    def dockerfile(self):
        text = self.read("Dockerfile")
        st = stages(instructions(text))
        self.check("Dockerfile: multi-stage", len(st) >= 2, f"{len(st)} stages")
        bad = [s["image"] for s in st if not BASE_IMAGE.match(s["image"])]
        self.check("Dockerfile: every stage on Debian 12 (pinned tag)", not bad, f"not Debian 12: {bad}")
        final = st[-1]["instrs"] if st else []
        words = [w for w, _ in final]
        users = [a for w, a in final if w == "USER"]
        self.check("Dockerfile: runs as a non-root user", users and users[-1].split(":")[0] not in ("root", "0"),
                   f"USER {users}")
        health = [a for w, a in final if w == "HEALTHCHECK"]
        self.check("Dockerfile: HEALTHCHECK on /ready", health and "/ready" in health[0] and "200" in health[0],
                   f"{health}")
        self.check("Dockerfile: ENTRYPOINT is sela-server",
                   any(w == "ENTRYPOINT" and "sela-server" in a for w, a in final))
        env = " ".join(a for w, a in final if w == "ENV")
        data = re.search(r"DATA_PATH=(\S+)", env)
        volumes = " ".join(a for w, a in final if w == "VOLUME")
        self.check("Dockerfile: DATA_PATH lies in a VOLUME",
                   data and any(data.group(1).startswith(v.strip('"[], ')) for v in volumes.split()),
                   f"DATA_PATH {data.group(1) if data else None}, VOLUME {volumes}")
        self.check("Dockerfile: EXPOSE 8082 (PORT's default)", any(w == "EXPOSE" and "8082" in a for w, a in final))
        self.check("Dockerfile: STOPSIGNAL SIGTERM (drain)", "STOPSIGNAL" in words)
        every = [i for s in st for i in s["instrs"]]
        runs = [a for w, a in every if w == "RUN"]
        # Debian packages, and the project's own integrity-checked fetch
        # scripts (scripts/fetch-*.sh); no download of anything else.
        fetches = [a for w, a in every if w == "ADD" and "://" in a] + \
                  [r for r in runs if "apt-get" not in r and re.search(r"\b(curl|wget|npm|pip3?)\b", r)]
        self.check("Dockerfile: fetches nothing but Debian packages and pinned project scripts", not fetches,
                   f"{fetches}")
        scripts = re.findall(r"scripts/(fetch-[\w-]+\.sh)", " ".join(runs))
        missing = [f for f in scripts if not os.path.exists(os.path.join(self.repo, "scripts", f))]
        self.check("Dockerfile: the fetch scripts it runs exist", not missing, f"{missing}")
        apt = [r for r in runs if "apt-get install" in r]
        lean = all("--no-install-recommends" in r and "rm -rf /var/lib/apt/lists" in r for r in apt)
        self.check("Dockerfile: apt installs are lean and clean their lists", apt and lean)
        self.copies(every)
        if self.server:
            self.runtime_libraries(final)

    def copies(self, every):
        ignore = [l.strip() for l in self.read(".dockerignore").splitlines() if l.strip() and not l.startswith("#")]
        missing = []
        for word, args in every:
            if word != "COPY" or "--from=" in args:
                continue
            for src in args.split()[:-1]:
                path = os.path.join(self.repo, src)
                ignored = any(fnmatch.fnmatch(src.rstrip("/") + "/", p) or fnmatch.fnmatch(src, p.rstrip("/"))
                              for p in ignore)
                if not os.path.exists(path) or ignored:
                    missing.append(src)
        self.check("Dockerfile: every COPY source exists and is not in .dockerignore", not missing, f"{missing}")
        tops = {"src", "cmake", "tools", "web", "third_party", "tests", "bench", "CMakeLists.txt", "CMakePresets.json"}
        copied = {a.split()[0] for w, a in every if w == "COPY" and "--from=" not in a} | \
                 {s for w, a in every if w == "COPY" and "--from=" not in a for s in a.split()[:-1]}
        self.check("Dockerfile: copies what the build reads", tops <= copied, f"missing {sorted(tops - copied)}")

    def runtime_libraries(self, final):
        installed = set()
        for w, a in final:
            if w == "RUN" and "apt-get install" in a:
                installed.update(apt_packages(a))
        ldd = subprocess.run(["ldd", self.server], capture_output=True, text=True, check=True).stdout
        libs = [m.group(1) for m in re.finditer(r"=>\s+(\S+)", ldd)]
        needed = set()
        for lib in libs:
            owner = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True, text=True)
            if owner.returncode != 0:
                owner = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
            pkg = owner.stdout.split(":")[0].strip() if owner.returncode == 0 else f"(unknown: {lib})"
            needed.add(pkg)
        missing = sorted(needed - installed - IN_BASE_IMAGE)
        self.check("Dockerfile: the runtime stage installs every library sela-server loads", not missing,
                   f"missing {missing}; installed {sorted(installed)}")

    # -- docker-compose.yml ---------------------------------------------------
    def compose(self):
        lint = subprocess.run(["yamllint", "-d", "{extends: default, rules: {line-length: {max: 120}, "
                               "document-start: disable, truthy: {check-keys: false}}}",
                               os.path.join(self.repo, "docker-compose.yml")], capture_output=True, text=True)
        self.check("docker-compose.yml: yamllint", lint.returncode == 0, lint.stdout + lint.stderr)
        doc = yaml.safe_load(self.read("docker-compose.yml"))
        services = doc.get("services", {})
        server, redis = services.get("server", {}), services.get("redis", {})
        self.check("compose: a server built from this Dockerfile", server.get("build") in (".", {"context": "."}))
        env = server.get("environment", {})
        self.check("compose: the server uses the redis service", str(env.get("REDIS_URL", "")).startswith("redis://redis:")
                   and "redis" in server.get("depends_on", {}))
        data = str(env.get("DATA_PATH", ""))
        mounts = [str(v).split(":") for v in server.get("volumes", [])]
        declared = doc.get("volumes", {}) or {}
        self.check("compose: DATA_PATH on a named volume",
                   any(len(m) >= 2 and data.startswith(m[1]) and m[0] in declared for m in mounts), f"{mounts}")
        image = str(redis.get("image", ""))
        self.check("compose: Redis pinned and health-checked",
                   re.match(r"^redis:\d", image) and "latest" not in image and redis.get("healthcheck"), image)
        redis_mounts = [str(v).split(":") for v in redis.get("volumes", [])]
        self.check("compose: Redis data on a named volume", any(m[0] in declared for m in redis_mounts))
        documented = set(re.findall(r"^\| `([A-Z0-9_]+)`", self.read("docs/CONFIGURATION.md"), re.M))
        unknown = sorted(set(env) - documented)
        self.check("compose: every variable is in docs/CONFIGURATION.md", not unknown, f"{unknown}")
        grace = str(server.get("stop_grace_period", "0s"))
        self.check("compose: stop grace covers the 30 s drain", grace.endswith("s") and int(grace[:-1]) > 30, grace)

    # -- the image ---------------------------------------------------------
    def build(self):
        info = subprocess.run(["docker", "info"], capture_output=True, text=True) if shutil_which("docker") else None
        if info is None or info.returncode != 0:
            print("docker: no Docker daemon answers here; skipped the image build (the files were linted)")
            return
        r = subprocess.run(["docker", "build", "-q", "-t", "sela-server:check", self.repo], capture_output=True, text=True)
        self.check("docker build", r.returncode == 0, r.stderr[-2000:])


def shutil_which(name):
    import shutil
    return shutil.which(name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--server", help="the built sela-server, to check the runtime libraries")
    args = ap.parse_args()
    c = Checker(os.path.abspath(args.repo), args.server)
    for step in (c.dockerfile, c.compose, c.build):
        try:
            step()
        except Exception as e:  # noqa: BLE001  (a broken file is a failed check)
            c.check(step.__name__, False, f"{type(e).__name__}: {e}")
    failed = 0
    for name, ok, detail in c.results:
        print(f"{'ok  ' if ok else 'FAIL'}  {name}" + ("" if ok else f"\n      {detail}"))
        failed += not ok
    print(f"{len(c.results) - failed} passed, {failed} failed")
    return 1 if failed or not c.results else 0


if __name__ == "__main__":
    sys.exit(main())
