#!/usr/bin/env python3
"""Benchmark: how `GET /api/v1/instances` grows with clusters and instances (numbers only; it
passes or fails nothing).

Starts its own release orcastra-api on a spare port with .env's PostgreSQL (in a database of its
own, dropped at the end), authentication off (ALLOW_INSECURE_NO_AUTH: the caller is a
development admin) and rate limiting off, registers clusters through the API, and times the
aggregated list against each cluster's own list and against LXD asked directly with a client
certificate of the script's own (trusted on the test-bed daemons for the run, removed after).

  --daemons a,b,…      real test-bed daemons (scripts/lxd-testbed.sh start N) to list, each with
                       --instances N containers named fan-NNNN (created stopped with `lxc init`
                       busybox, setup not measured; --cleanup deletes them)
  --simulated N,…      fake clusters: one Python HTTPS server with N ports, each answering LXD's
                       GET /1.0/instances?all-projects=true&recursion=1 (real LXD's shape,
                       --sim-instances each) after --sim-delay ms; --slow of them after
                       --slow-delay ms and --dead of them never (hung, like a stopped daemon)
  --concurrency C      LXD_LIST_CONCURRENCY of the API under test (default 16)
  --configuration debug  the debug binary, for checking the script itself (not for numbers)

For each case it prints the median of --rounds calls (after warm-up), the slowest single cluster
or the fake's delay, the API's RSS after the calls, and the first call (which pays the dead
clusters' deadline; later calls get the remembered failure).
"""
import argparse, asyncio, json, os, re, shutil, signal, socket, ssl, statistics, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor
from bench import psql

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(l.split("=", 1) for l in open(os.path.join(ROOT, ".env")).read().splitlines() if "=" in l and not l.startswith("#"))
WORK = tempfile.mkdtemp(prefix="bench-fanout-")
LIST_TIMEOUT = 2


def die(message):
    sys.exit(f"bench-fanout: {message}")


def lxc(daemon, *arguments, check=True):
    return subprocess.run(["lxc", *arguments], check=check, capture_output=True, text=True,
                          env=dict(os.environ, LXD_DIR=os.path.join(ROOT, ".data/lxd", daemon)))


def openssl_identity(name):
    """A self-signed P-256 certificate and key (PEM files) and the certificate's SHA-256."""
    cert, key = os.path.join(WORK, f"{name}.crt"), os.path.join(WORK, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
    import hashlib
    return cert, key, hashlib.sha256(der).hexdigest()


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- the fake LXD servers ----------------------------------------------------------------------

def instance(name):
    """One container as LXD 5.0 lists it with recursion=1 (the test bed's shape)."""
    config = {"image.description": "busybox (Orcastra test bed)", "image.os": "busybox", "image.release": "static",
              "volatile.apply_template": "create", "volatile.base_image": "bed4a118d0cd486c667645fe17ac6446186bfbfbbdb01152db52c9a77339cc97",
              "volatile.cloud-init.instance-id": "072f9c61-98ee-4b2d-a11e-ff760a3260b7", "volatile.idmap.base": "0",
              "volatile.idmap.next": '[{"Isuid":true,"Isgid":false,"Hostid":100000,"Nsid":0,"Maprange":10000001},{"Isuid":false,"Isgid":true,"Hostid":100000,"Nsid":0,"Maprange":10000001}]',
              "volatile.last_state.idmap": "[]", "volatile.uuid": "22939cac-655f-4973-8608-f380e54ff224"}
    return {"architecture": "x86_64", "config": config, "devices": {}, "ephemeral": False, "profiles": ["default"], "stateful": False,
            "description": "", "created_at": "2026-12-06T19:40:26.624312364Z", "expanded_config": config,
            "expanded_devices": {"root": {"path": "/", "pool": "default", "type": "disk"}}, "name": name, "status": "Stopped",
            "status_code": 102, "last_used_at": "1970-01-01T00:00:00Z", "location": "none", "type": "container", "project": "default"}


def envelope(metadata):
    return json.dumps({"type": "sync", "status": "Success", "status_code": 200, "operation": "", "error_code": 0, "error": "", "metadata": metadata}).encode()


SERVER_INFO = envelope({"api_extensions": ["explicit_trust_token"], "auth": "trusted", "public": False, "auth_methods": ["tls"],
                        "environment": {"server": "lxd", "server_name": "fake", "server_version": "5.0.2", "server_clustered": False}})


class FakeCluster:
    """Python asyncio HTTPS servers on `ports`, in a thread: LXD's answers, held back per port."""

    def __init__(self, ports, delays, instances, cert, key):
        self.ports, self.delays = ports, delays  # delay in seconds per port; None: never answer
        self.lists = {p: envelope([instance(f"sim{p}-{i:04d}") for i in range(instances)]) for p in ports}
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        self.ready.wait()

    def run(self):
        asyncio.set_event_loop(self.loop)

        async def start():
            self.servers = [await asyncio.start_server(lambda r, w, p=p: self.serve(p, r, w), "127.0.0.1", p, ssl=self.context, backlog=1024)
                            for p in self.ports]
            self.ready.set()
        self.loop.run_until_complete(start())
        self.loop.run_forever()

    async def serve(self, port, reader, writer):
        try:
            line = (await reader.readline()).decode()
            length = 0
            while True:
                header = await reader.readline()
                if header in (b"\r\n", b"\n", b""):
                    break
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            if length:
                await reader.readexactly(length)
            method, target = line.split(" ")[:2]
            if method == "GET" and target.startswith("/1.0/instances"):
                delay = self.delays[port]
                if delay is None:
                    await asyncio.sleep(3600)
                await asyncio.sleep(delay)
                body = self.lists[port]
            elif method == "GET" and target == "/1.0":
                body = SERVER_INFO
            else:
                body = envelope({})
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
        except (ConnectionError, ssl.SSLError, ValueError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def stop(self):
        async def close():
            for server in self.servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


# --- the API under test ------------------------------------------------------------------------

class API:
    def __init__(self, binary, port, concurrency):
        self.port, self.database = port, f"orc_bench_fanout_{os.getpid()}"
        owner, app = ENV["DATABASE_OWNER_URL"], ENV["DATABASE_URL"]
        psql(owner, f"CREATE DATABASE {self.database}")
        retarget = lambda url: re.sub(r"/\w+$", "/" + self.database, url)
        env = dict(os.environ, **{k: v for k, v in ENV.items()})
        env.update(HTTP_PORT=str(port), HTTP_HOST="127.0.0.1", DATABASE_URL=retarget(app), DATABASE_OWNER_URL=retarget(owner),
                   AUTH_ENABLED="false", ALLOW_INSECURE_NO_AUTH="true", RATE_LIMIT_ENABLED="false", SECURITY_PROBE_BLOCK_ENABLED="false",
                   REDIS_ENABLED="false", REDIS_ENCRYPTION_ENABLED="false", LOG_LEVEL="warning", CLUSTER_REGISTRATIONS_PER_HOUR="10000",
                   LXD_LIST_TIMEOUT_SECONDS=str(LIST_TIMEOUT), LXD_LIST_CONCURRENCY=str(concurrency), AUDIT_ANCHOR_INTERVAL_SECONDS="0")
        self.log = open(os.path.join(WORK, "api.log"), "w")
        self.process = subprocess.Popen([binary], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(300):
            if self.process.poll() is not None:
                die(f"the API exited with {self.process.returncode}; see {WORK}/api.log")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        die("the API did not start")

    def call(self, method, path, body=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", json.dumps(body).encode() if body is not None else None,
                                         method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            text = response.read()
            return json.loads(text) if text else None

    def timed(self, path):
        start = time.perf_counter()
        answer = self.call("GET", path)
        return (time.perf_counter() - start) * 1000, answer

    def register(self, name, address, fingerprint, secret="x"):
        token = __import__("base64").b64encode(json.dumps({"client_name": "orcastra", "fingerprint": fingerprint, "addresses": [address],
                                                           "secret": secret, "expires_at": "0001-01-01T00:00:00Z"}).encode()).decode()
        return self.call("POST", "/api/v1/clusters", {"name": name, "trust_token": token})["id"]

    def remove_all(self):
        for cluster in self.call("GET", "/api/v1/clusters?limit=500")["items"]:
            self.call("DELETE", f"/api/v1/clusters/{cluster['id']}")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(30)
        psql(ENV["DATABASE_OWNER_URL"], f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")


def median_ms(api, path, rounds):
    times = [api.timed(path)[0] for _ in range(rounds)]
    return statistics.median(times)


def direct_ms(addresses, cert, key):
    """LXD asked directly for the same list, with our own trusted client certificate: every
    daemon at once (threads), milliseconds until the last answer is read and parsed."""
    import http.client
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.load_cert_chain(cert, key)

    def one(address):
        host, port = address.rsplit(":", 1)
        connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=60)
        connection.request("GET", "/1.0/instances?all-projects=true&recursion=1", headers={"Connection": "close"})
        json.loads(connection.getresponse().read())
        connection.close()
    start = time.perf_counter()
    with ThreadPoolExecutor(len(addresses)) as pool:
        list(pool.map(one, addresses))
    return (time.perf_counter() - start) * 1000


def free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--daemons", default="")
    parser.add_argument("--instances", default="30", help="containers per real daemon, a list: 10,100,1000")
    parser.add_argument("--simulated", default="", help="fake cluster counts, a list: 100,1000")
    parser.add_argument("--sim-instances", type=int, default=10)
    parser.add_argument("--sim-delay", type=int, default=50)
    parser.add_argument("--slow", type=int, default=0)
    parser.add_argument("--slow-delay", type=int, default=500)
    parser.add_argument("--dead", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--api-port", type=int, default=28765)
    parser.add_argument("--sim-port", type=int, default=20000)
    parser.add_argument("--cleanup", action="store_true")
    parser.add_argument("--configuration", choices=["release", "debug"], default="release", help="debug: for checking the script, not for numbers")
    parser.add_argument("--binary", help="another orcastra-api to measure (an older build, say); default: .build/<configuration>/orcastra-api")
    args = parser.parse_args()
    binary = args.binary or os.path.join(ROOT, ".build", args.configuration, "orcastra-api")
    os.path.exists(binary) or die(f"no {args.configuration} build; run: swift build -c {args.configuration} --product orcastra-api")
    free(args.api_port) or die(f"port {args.api_port} is taken; --api-port")
    rows = []
    api = API(binary, args.api_port, args.concurrency)
    cert, key, _ = openssl_identity("bench-client")
    daemons = [d for d in args.daemons.split(",") if d]
    fake = None
    try:
        for daemon in daemons:
            lxc(daemon, "config", "trust", "add", cert)
        for count in [int(n) for n in args.instances.split(",")] if daemons else []:
            for daemon in daemons:
                have = set(lxc(daemon, "list", "--format", "csv", "-c", "n").stdout.split())
                missing = [f"fan-{n:04d}" for n in range(count) if f"fan-{n:04d}" not in have]
                extra = [n for n in have if n.startswith("fan-") and int(n[4:]) >= count]
                with ThreadPoolExecutor(4) as pool:
                    list(pool.map(lambda name: lxc(daemon, "init", "busybox", name), missing))
                    list(pool.map(lambda name: lxc(daemon, "delete", "--force", name), extra))
            for clusters in sorted({1, 2, 5, 10, len(daemons)} & set(range(1, len(daemons) + 1))):
                api.remove_all()
                ids = {}
                for daemon in daemons[:clusters]:
                    address = lxc(daemon, "config", "get", "core.https_address").stdout.strip()
                    token = lxc(daemon, "config", "trust", "add", "--name", f"bench-{time.time_ns()}").stdout.strip().splitlines()[-1]
                    ids[daemon] = (api.call("POST", "/api/v1/clusters", {"name": f"lxd-{daemon}", "trust_token": token})["id"], address)
                for _ in range(2):
                    api.timed("/api/v1/instances?limit=500")
                # Alternating, so that whatever else the machine does falls on all of them alike.
                singles, both, direct_one, direct_all, inside = {d: [] for d in ids}, [], {d: [] for d in ids}, [], []
                for _ in range(args.rounds):
                    for d, (cid, address) in ids.items():
                        singles[d].append(api.timed(f"/api/v1/clusters/{cid}/instances?limit=500")[0])
                        direct_one[d].append(direct_ms([address], cert, key))
                    took, answer = api.timed("/api/v1/instances?limit=500")
                    both.append(took)
                    inside.append(max(c["latency_ms"] for c in answer["clusters"]))
                    direct_all.append(direct_ms([address for _, address in ids.values()], cert, key))
                single = max(statistics.median(t) for t in singles.values())
                direct = max(statistics.median(t) for t in direct_one.values())
                aggregated = statistics.median(both)
                rows.append((f"{clusters} real", count * clusters, f"{aggregated:.1f}", f"{single:.1f}", f"{aggregated / single:.2f}",
                             f"{direct:.1f} / {statistics.median(direct_all):.1f}", f"{statistics.median(inside):.1f}", "-",
                             f"{rss_mb(api.process.pid):.0f}"))
                print(rows[-1], flush=True)
        if daemons:
            api.remove_all()
        for clusters in [int(n) for n in args.simulated.split(",") if n]:
            api.remove_all()
            ports = list(range(args.sim_port, args.sim_port + clusters))
            if not all(free(p) for p in ports):
                die(f"ports {ports[0]}-{ports[-1]} are not all free; --sim-port")
            delays = {p: args.sim_delay / 1000 for p in ports}
            for p in ports[:args.slow]:
                delays[p] = args.slow_delay / 1000
            for p in ports[args.slow:args.slow + args.dead]:
                delays[p] = None
            scert, skey, fingerprint = openssl_identity("fake-lxd")
            fake = FakeCluster(ports, delays, args.sim_instances, scert, skey)
            with ThreadPoolExecutor(4) as pool:
                ids = dict(zip(ports, pool.map(lambda p: api.register(f"sim-{p}", f"127.0.0.1:{p}", fingerprint), ports)))
            first, answer = api.timed("/api/v1/instances?limit=500")
            statuses = {}
            for reach in answer["clusters"]:
                statuses[reach["status"]] = statuses.get(reach["status"], 0) + 1
            # The slowest healthy cluster alone, through its own route, alternating with the list.
            slowest_port = max((p for p in ports if delays[p] is not None), key=lambda p: delays[p])
            single, steady = [], []
            for _ in range(args.rounds):
                single.append(api.timed(f"/api/v1/clusters/{ids[slowest_port]}/instances?limit=500")[0])
                steady.append(api.timed("/api/v1/instances?limit=500")[0])
            single, steady = statistics.median(single), statistics.median(steady)
            rows.append((f"{clusters} simulated ({args.slow} slow, {args.dead} dead)", clusters * args.sim_instances, f"{steady:.1f}",
                         f"{single:.1f} (delay {delays[slowest_port] * 1000:.0f})", f"{steady / single:.2f}", "-", "-", f"{first:.0f} {statuses}",
                         f"{rss_mb(api.process.pid):.0f}"))
            print(rows[-1], flush=True)
            api.remove_all()
            fake.stop()
            fake = None
    finally:
        if fake:
            fake.stop()
        for daemon in daemons:
            lxc(daemon, "config", "trust", "remove", openssl_fingerprint(cert), check=False)
            if args.cleanup:
                names = [n for n in lxc(daemon, "list", "--format", "csv", "-c", "n").stdout.split() if n.startswith("fan-")]
                with ThreadPoolExecutor(4) as pool:
                    list(pool.map(lambda name: lxc(daemon, "delete", "--force", name), names))
        try:
            api.remove_all()
        finally:
            api.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"\nLXD_LIST_CONCURRENCY={args.concurrency}, LXD_LIST_TIMEOUT_SECONDS={LIST_TIMEOUT}, medians of {args.rounds} calls after warm-up\n")
    print("| clusters | instances | aggregated ms | slowest single ms | ratio | LXD direct ms: slowest single / all at once | slowest cluster inside the list ms | first call ms, statuses | API RSS MiB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def openssl_fingerprint(cert):
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
    import hashlib
    return hashlib.sha256(der).hexdigest()


if __name__ == "__main__":
    main()
