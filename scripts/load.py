#!/usr/bin/env python3
"""The load a dashboard produces, held through the gateway: throughput, p50/p99 and errors.

Needs `make run` (PostgreSQL, Redis, the development identity provider, the demo clusters, and
the make-run gateway, through which it signs in as the seeded admin). Like `make bench` it
starts its own API and gateway on free ports with the same `.env` (binaries from
`.build/release` when built, else `.build/debug`; `--configuration` chooses), the API with rate
limiting off: one load generator from one address would otherwise measure the per-address
limit (100 requests a minute under `make run`), not the product. It finds a cluster and, when
there is one, an instance on it, takes one snapshot of that instance (the dashboard's usual
action) so that there is an operation to poll, and runs Debian's `wrk` with the signed-in
cookie over the mix a dashboard page makes, in turn:

  pages        /  /instances  /instances/<cluster>/<name>
  lists        /api/v1/me  /api/v1/clusters  /api/v1/instances
  detail       /api/v1/clusters/<cluster>/instances/<name>  /api/v1/clusters/<cluster>/status
  polling      /api/v1/operations/<snapshot operation>

It reports requests/s, p50, p99, non-2xx answers and socket errors, and deletes the snapshot
afterwards. Without an instance the detail and polling rows are left out (it says so).
Options: --duration S (60), --connections N (64), --threads N (2), --configuration. Numbers,
no verdict.
"""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, time, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ENV, ROOT, WORK, die, free_port, session_cookie, wait_for, wrk  # noqa: E402
from devidp_signin import seeded_admin  # noqa: E402


PUBLIC = ENV.get("NEXTAUTH_URL", "http://localhost:4321").rstrip("/")


def call(gateway, cookie, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    # Changes must come from the dashboard's own origin (the gateway checks `Origin`).
    request = urllib.request.Request(gateway + path, data=data, method=method, headers={
        "Cookie": cookie, "Origin": PUBLIC, "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def items(page):
    return page.get("items", page) if isinstance(page, dict) else page


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--configuration", choices=["release", "debug"],
                        default="release" if os.path.exists(os.path.join(ROOT, ".build", "release", "orcastra-gateway")) else "debug")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        die("wrk is missing; `make bench` installs it (apt-get install wrk)")
    try:
        urllib.request.urlopen(PUBLIC + "/health", timeout=3)
    except (urllib.error.URLError, ConnectionError):
        die(f"nothing answers at {PUBLIC}; run `make run` first")
    cookie = session_cookie(PUBLIC, seeded_admin(ROOT, ENV))

    os.makedirs(WORK, exist_ok=True)
    binaries = os.path.join(ROOT, ".build", args.configuration)
    api_port, gateway_port = free_port(), free_port()
    processes = {}
    for name, extra in (("api", {"HTTP_PORT": str(api_port), "RATE_LIMIT_ENABLED": "false"}),
                        ("gateway", {"HTTP_PORT": str(gateway_port), "INTERNAL_BACKEND_URL": f"http://127.0.0.1:{api_port}"})):
        log = open(os.path.join(WORK, f"load-{name}.log"), "w")
        processes[name] = subprocess.Popen([os.path.join(binaries, f"orcastra-{name}")], cwd=ROOT, env=dict(os.environ, **extra),
                                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{api_port}/health", processes["api"], "api")
        wait_for(f"http://127.0.0.1:{gateway_port}/health", processes["gateway"], "gateway")
        run(f"http://127.0.0.1:{gateway_port}", cookie, args)
    finally:
        for process in processes.values():
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def run(gateway, cookie, args):
    paths = ["/", "/instances", "/api/v1/me", "/api/v1/clusters", "/api/v1/instances"]
    clusters = items(call(gateway, cookie, "GET", "/api/v1/clusters"))
    snapshot = None
    if not clusters:
        print("no cluster registered: the mix is pages and lists only (`make run` registers the demo clusters)")
    else:
        cluster = clusters[0]["id"]
        paths.append(f"/api/v1/clusters/{cluster}/status")
        instances = items(call(gateway, cookie, "GET", f"/api/v1/clusters/{cluster}/instances"))
        if not instances:
            print(f"no instance on cluster {clusters[0].get('name', cluster)}: instance detail and operation polling are left out")
        else:
            name = instances[0]["name"]
            paths += [f"/instances/{cluster}/{name}", f"/api/v1/clusters/{cluster}/instances/{name}"]
            snapshot = (cluster, name, f"load-{int(time.time())}")
            operation = call(gateway, cookie, "POST", f"/api/v1/clusters/{cluster}/instances/{name}/snapshots", {"name": snapshot[2]})
            operation_id = (operation or {}).get("id") or (operation or {}).get("operation", {}).get("id")
            if operation_id:
                paths.append(f"/api/v1/operations/{operation_id}")
            else:
                print("the snapshot answered no operation id: operation polling is left out")

    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write("local paths = {" + ", ".join(json.dumps(p) for p in paths) + "}\n"
                 "local i = 0\n"
                 "request = function()\n"
                 "  i = i % #paths + 1\n"
                 "  return wrk.format('GET', paths[i])\n"
                 "end\n")
    script.close()
    print(f"{len(paths)} paths in turn, wrk -t{args.threads} -c{args.connections} -d{args.duration}s through {gateway}:")
    for path in paths:
        print("  " + path)

    try:
        result = wrk(gateway + "/", "Cookie: " + cookie, args, extra=["-s", script.name])
    finally:
        os.unlink(script.name)
        if snapshot:
            cluster, name, snap = snapshot
            try:
                call(gateway, cookie, "DELETE", f"/api/v1/clusters/{cluster}/instances/{name}/snapshots/{snap}")
            except urllib.error.URLError as error:
                print(f"could not delete snapshot {snap} of {name}: {error}", file=sys.stderr)

    print(f"\nrequests/s {result['rps']:,.0f}   p50 {result['p50']:.2f} ms   p99 {result['p99']:.2f} ms   "
          f"requests {result['total']}   non-2xx/3xx {result['bad']}   {result['errors'] or 'no socket errors'}")


if __name__ == "__main__":
    main()
