#!/usr/bin/env python3
"""Benchmark: the aggregated instance list against the per-cluster lists it is made of.

Needs `make run` with the two demo clusters. Signs in through the gateway as the seeded
admin (development identity provider), makes an API key, makes sure each demo cluster has
BENCH_COUNT (50) containers named bench-NN (created stopped with `lxc init` on the test-bed
daemons, which is setup, not what is measured; the list does not read state), then times, ROUNDS times each and alternating:
  A  GET /api/v1/clusters/<demo-a>/instances
  B  GET /api/v1/clusters/<demo-b>/instances
  *  GET /api/v1/instances               (both clusters, fetched concurrently)
and prints medians and the ratios of * to A+B (the baseline: asking one cluster after the
other) and to max(A, B) (the ideal). `--cleanup` deletes the bench containers afterwards.
"""
import http.cookiejar, json, os, statistics, subprocess, sys, time, urllib.error, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
from devidp_signin import fill, seeded_admin

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
env = dict(l.split("=", 1) for l in open(os.path.join(ROOT, ".env")).read().splitlines() if "=" in l and not l.startswith("#"))
GATEWAY = f"http://localhost:{env.get('GATEWAY_PORT', '4321')}"
API = f"http://localhost:{env.get('API_PORT', '8765')}"
COUNT = int(os.environ.get("BENCH_COUNT", "50"))
ROUNDS = int(os.environ.get("ROUNDS", "20"))


def api_key():
    """Signs in through the gateway and creates an API key for the admin."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    fill(opener, opener.open(GATEWAY + "/login"), seeded_admin(ROOT, env)).read()
    request = urllib.request.Request(GATEWAY + "/api/v1/api-keys", json.dumps({"name": f"bench-{int(time.time())}"}).encode(),
                                     {"Content-Type": "application/json", "Origin": GATEWAY})
    return json.load(opener.open(request))["key"]


def call(method, path, key, body=None):
    """One API call; waits out the API's rate limit (429 + Retry-After) and tries again."""
    request = urllib.request.Request(API + path, json.dumps(body).encode() if body is not None else None, method=method,
                                     headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            text = response.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        if error.code != 429:
            raise
        time.sleep(int(error.headers.get("Retry-After", "5")))
        return call(method, path, key, body)


def lxc(daemon, *arguments):
    subprocess.run(["lxc", *arguments], check=True, capture_output=True, env=dict(os.environ, LXD_DIR=os.path.join(ROOT, ".data/lxd", daemon)))


def timed(path, key):
    """Milliseconds for one call, measured again if the rate limit interfered."""
    while True:
        start = time.perf_counter()
        request = urllib.request.Request(API + path, headers={"Authorization": "Bearer " + key})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()
            return (time.perf_counter() - start) * 1000
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise
            time.sleep(int(error.headers.get("Retry-After", "5")))


def main():
    key = api_key()
    clusters = {c["name"]: c["id"] for c in call("GET", "/api/v1/clusters?limit=500", key)["items"]}
    ids = [clusters.get("demo-a"), clusters.get("demo-b")]
    if None in ids:
        raise SystemExit("the demo clusters demo-a and demo-b are not registered; run `make run` first")
    for daemon, cid in zip("ab", ids):
        have = {i["name"] for i in call("GET", f"/api/v1/clusters/{cid}/instances?limit=500", key)["items"]}
        missing = [f"bench-{n:02d}" for n in range(COUNT) if f"bench-{n:02d}" not in have]
        if missing:
            print(f"creating {len(missing)} containers on demo-{daemon} …", flush=True)
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda name: lxc(daemon, "init", "busybox", name), missing))
    counts = [len(call("GET", f"/api/v1/clusters/{cid}/instances?limit=500", key)["items"]) for cid in ids]
    a, b, both = [], [], []
    for _ in range(2):  # warm-up: connections, caches, credentials
        timed(f"/api/v1/clusters/{ids[0]}/instances?limit=500", key); timed(f"/api/v1/clusters/{ids[1]}/instances?limit=500", key); timed("/api/v1/instances?limit=500", key)
    for _ in range(ROUNDS):
        a.append(timed(f"/api/v1/clusters/{ids[0]}/instances?limit=500", key))
        b.append(timed(f"/api/v1/clusters/{ids[1]}/instances?limit=500", key))
        both.append(timed("/api/v1/instances?limit=500", key))
    ma, mb, mboth = statistics.median(a), statistics.median(b), statistics.median(both)
    print(f"instances: demo-a {counts[0]}, demo-b {counts[1]}; {ROUNDS} rounds, medians (p90)")
    print(f"  demo-a alone         {ma:8.1f} ms  ({statistics.quantiles(a, n=10)[-1]:.1f})")
    print(f"  demo-b alone         {mb:8.1f} ms  ({statistics.quantiles(b, n=10)[-1]:.1f})")
    print(f"  baseline a+b         {ma + mb:8.1f} ms  (one cluster after the other)")
    print(f"  GET /instances       {mboth:8.1f} ms  ({statistics.quantiles(both, n=10)[-1]:.1f})")
    print(f"  ratio to a+b         {mboth / (ma + mb):8.2f}")
    print(f"  ratio to max(a, b)   {mboth / max(ma, mb):8.2f}")
    if "--cleanup" in sys.argv:
        for daemon in "ab":
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda n: lxc(daemon, "delete", "--force", f"bench-{n:02d}"), range(COUNT)))
        print("bench containers deleted")


if __name__ == "__main__":
    main()
