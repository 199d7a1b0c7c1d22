#!/usr/bin/env python3
"""`make bench`: what the authenticated request path costs, side by side in one run.

Needs `make run` (PostgreSQL, Redis, the development identity provider and the make-run
gateway, through which it signs in). It builds release binaries, starts its own copies on
free ports with the same .env, and measures `GET /api/v1/me` with Debian's `wrk`:

  hello      a bare Hummingbird JSON hello from the same dependency versions (Tests/Bench/Hello)
  api        orcastra-api, rate limiting off, with the provider's access token
  api+rl     orcastra-api, rate limiting on (limits raised so nothing is refused)
  gateway    orcastra-gateway in front of `api`, with a signed-in session cookie
  direct     `api` again, right after the gateway, with the same kind of token
  nginx      Debian's nginx (1 worker, upstream keepalive) as a plain reverse proxy of `api`

It prints requests/s, p50 and p99 for each, the CPU time per request of the process measured
(for the two proxies also the API's behind them), the ratios (api/hello, gateway/nginx,
gateway/direct), the p50 of gateway, direct and nginx on a single connection (what a hop adds
when nothing queues), each service's RSS idle and after load, and how many times the provider's
JWKS was fetched during the run. Numbers only: nothing here passes or fails on speed.
Options: --duration S (15), --connections N (32), --threads N (2), --no-build,
--only NAME,... (measure some rows only, e.g. `--only gateway,nginx` while working on the
proxy; ratios are printed for the rows measured), and --configuration debug (debug binaries,
for checking the script itself; not for numbers).
"""
import argparse, base64, hashlib, http.cookiejar, json, os, re, secrets, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request
from devidp_signin import fill, seeded_admin

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(l.split("=", 1) for l in open(os.path.join(ROOT, ".env")).read().splitlines() if "=" in l and not l.startswith("#"))
WORK = os.path.join(ROOT, ".data", "bench")


def die(message):
    """Ends the script (this one, or load.py or fuzz-api.py using these helpers) naming itself."""
    sys.exit(f"{os.path.basename(sys.argv[0])}: {message}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, process, what, logs=WORK, seconds=20):
    for _ in range(seconds * 10):
        if process.poll() is not None:
            die(f"{what} exited with {process.returncode}; see {logs}/{what}.log")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    die(f"{what} did not answer at {url}")


def psql(url, statement):
    """Runs one statement as the user of `url` (a postgres:// URL from .env) on its server."""
    m = re.match(r"postgres(?:ql)?(?:\+asyncpg)?://([^:]+):([^@]*)@([^:/]+):?(\d*)/(\w+)", url) or die(f"cannot read {url}")
    user, password, host, port, _ = m.groups()
    subprocess.run(["psql", "-h", host, "-p", port or "5432", "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qtAc", statement],
                   check=True, capture_output=True, env=dict(os.environ, PGPASSWORD=password))


def cpu_seconds(group):
    """CPU time (user + system) used so far by every process of a process group (nginx's
    worker included: each service is started in a session of its own)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def access_token(user, issuer=None):
    """An access token from the provider's code flow (PKCE), as the gateway's client gets one;
    from `AUTHENTIK_ISSUER` unless another provider's issuer is given."""
    issuer = issuer or ENV["AUTHENTIK_ISSUER"]
    meta = json.load(urllib.request.urlopen(issuer + ".well-known/openid-configuration"))
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = ENV.get("NEXTAUTH_URL", "http://localhost:4321") + "/api/auth/callback/authentik"
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": ENV["AUTHENTIK_CLIENT_ID"], "redirect_uri": redirect,
        "scope": "openid profile email offline_access", "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge, "code_challenge_method": "S256"})
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        fill(opener, opener.open(meta["authorization_endpoint"] + "?" + query), user)
        die("the provider did not redirect back with a code")
    except urllib.error.HTTPError as answer:
        location = answer.headers.get("Location", "")
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code", [""])[0] or die(f"no code in {location}")
    basic = base64.b64encode(f"{ENV['AUTHENTIK_CLIENT_ID']}:{ENV['AUTHENTIK_CLIENT_SECRET']}".encode()).decode()
    body = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect, "code_verifier": verifier})
    request = urllib.request.Request(meta["token_endpoint"], body.encode(), {"Authorization": "Basic " + basic})
    return json.load(urllib.request.urlopen(request))["access_token"]


def session_cookie(gateway, user):
    """Signs in through the make-run gateway; its session (in the shared Redis) serves ours too."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    fill(opener, opener.open(gateway + "/login"), user).read()
    value = next((c.value for c in jar if c.name == "orcastra_session"), None) or die("signing in through the gateway gave no session")
    return "orcastra_session=" + value


def jwks_fetches():
    """JWKS requests the provider has logged so far (one access line each)."""
    path = os.path.join(ROOT, ".data", "logs", "devidp.log")
    return sum(1 for line in open(path, errors="replace") if '"log_type":"access"' in line and "/jwks" in line) if os.path.exists(path) else 0


def wrk(url, header, args, extra=()):
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency", *extra, url]
    if header:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("nan")

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errors = re.search(r"Socket errors: .*", out)
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "total": total, "bad": bad, "errors": errors.group(0) if errors else ""}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--configuration", choices=["release", "debug"], default="release")
    parser.add_argument("--only", default="hello,api,api+rl,gateway,direct,nginx")
    args = parser.parse_args()
    only = args.only.split(",")
    unknown = set(only) - {"hello", "api", "api+rl", "gateway", "direct", "nginx"}
    if unknown:
        die(f"--only: unknown rows {', '.join(sorted(unknown))}")
    binaries = os.path.join(ROOT, ".build", args.configuration)

    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            die(f"{tool} is missing; `make bench` installs it (apt-get install wrk nginx)")
    # The public URL's host: the sign-in state cookie is set for it.
    gateway_url = ENV.get("NEXTAUTH_URL", "http://localhost:4321").rstrip("/")
    try:
        urllib.request.urlopen(gateway_url + "/health", timeout=3)
    except (urllib.error.URLError, ConnectionError):
        die(f"nothing answers at {gateway_url}; run `make run` first")
    if not args.no_build:
        print(f"building {args.configuration} binaries (swift build -c {args.configuration}) ...", flush=True)
        subprocess.run(["swift", "build", "-c", args.configuration], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)

    user = seeded_admin(ROOT, ENV)
    token = access_token(user)
    cookie = session_cookie(gateway_url, user)

    processes = {}
    ports = {name: free_port() for name in ("hello", "api", "api+rl", "gateway", "nginx")}

    def start(name, binary, extra):
        log = open(os.path.join(WORK, f"{name}.log"), "w")
        env = dict(os.environ, **extra)
        processes[name] = subprocess.Popen([os.path.join(binaries, binary)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True)

    try:
        start("hello", "BenchHello", {"BENCH_HELLO_PORT": str(ports["hello"])})
        start("api", "orcastra-api", {"HTTP_PORT": str(ports["api"]), "RATE_LIMIT_ENABLED": "false"})
        # Its rate-limit counters go to another Redis database: the run's millions of calls from
        # 127.0.0.1 must not count against `make run`'s API, which shares the server.
        counters = re.sub(r"/\d+$", "", ENV["REDIS_URL"]) + "/15"
        start("api+rl", "orcastra-api", {"HTTP_PORT": str(ports["api+rl"]), "RATE_LIMIT_ENABLED": "true", "REDIS_URL": counters,
                                         "RATE_LIMIT_REQUESTS": "1000000", "RATE_LIMIT_SUBNET_REQUESTS": "10000000"})
        start("gateway", "orcastra-gateway", {"HTTP_PORT": str(ports["gateway"]), "INTERNAL_BACKEND_URL": f"http://127.0.0.1:{ports['api']}"})
        wait_for(f"http://127.0.0.1:{ports['hello']}/hello", processes["hello"], "hello")
        for name in ("api", "api+rl", "gateway"):
            wait_for(f"http://127.0.0.1:{ports[name]}/health", processes[name], name)

        prefix = tempfile.mkdtemp(prefix="nginx-", dir=WORK)
        with open(os.path.join(prefix, "nginx.conf"), "w") as conf:
            conf.write(f"""worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    upstream api {{ server 127.0.0.1:{ports['api']}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{ports['nginx']};
        location / {{ proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }}
    }}
}}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        processes["nginx"] = subprocess.Popen([nginx, "-p", prefix, "-c", os.path.join(prefix, "nginx.conf")], start_new_session=True,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(f"http://127.0.0.1:{ports['nginx']}/health", processes["nginx"], "nginx")

        # Each path answers 200 once before it is measured, or the numbers would be of errors.
        bearer = "Authorization: Bearer " + token
        runs = [("hello", "/hello", None), ("api", "/api/v1/me", bearer), ("api+rl", "/api/v1/me", bearer),
                ("gateway", "/api/v1/me", "Cookie: " + cookie), ("direct", "/api/v1/me", bearer), ("nginx", "/api/v1/me", bearer)]
        for name, path, header in runs:
            port = ports["api" if name == "direct" else name]
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=dict([header.split(": ", 1)]) if header else {})
            with urllib.request.urlopen(request) as answer:
                if answer.status != 200:
                    die(f"{name} answered {answer.status} on {path}")

        idle = {name: rss_mb(processes[name].pid) for name in ("api", "api+rl", "gateway")}
        jwks_before = jwks_fetches()
        results = {}
        for name, path, header in runs:
            if name not in only:
                continue
            port = ports["api" if name == "direct" else name]
            print(f"measuring {name} ({args.duration} s) ...", flush=True)
            # CPU per request of the process in front, and of the API behind a proxy.
            front = processes["api" if name == "direct" else name].pid
            behind = processes["api"].pid if name in ("gateway", "nginx") else None
            before = (cpu_seconds(front), cpu_seconds(behind) if behind else 0)
            results[name] = wrk(f"http://127.0.0.1:{port}{path}", header, args)
            total = max(results[name]["total"], 1)
            results[name]["cpu"] = (cpu_seconds(front) - before[0]) / total * 1e6
            results[name]["cpu_api"] = (cpu_seconds(behind) - before[1]) / total * 1e6 if behind else None
        # What a hop adds to one request when nothing queues: under the main run's saturating
        # load a slower path also waits longer in line (p50 ≈ connections / throughput).
        single = {}
        one = argparse.Namespace(threads=1, connections=1, duration=min(args.duration, 5))
        for name, path, header in runs:
            if name in ("gateway", "direct", "nginx") and name in only:
                print(f"measuring {name} on one connection ({one.duration} s) ...", flush=True)
                single[name] = wrk(f"http://127.0.0.1:{ports['api' if name == 'direct' else name]}{path}", header, one)
        loaded = {name: rss_mb(processes[name].pid) for name in ("api", "api+rl", "gateway")}
        jwks = jwks_fetches() - jwks_before
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    print(f"\nGET /api/v1/me, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.configuration} builds, loopback\n")
    print(f"{'what':<10} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'non-2xx':>8} {'CPU µs/req':>11} {'+ API':>6}")
    for name, r in results.items():
        api = f"{r['cpu_api']:>6.0f}" if r["cpu_api"] is not None else f"{'':>6}"
        print(f"{name:<10} {r['rps']:>11,.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['total']:>9} {r['bad']:>8} {r['cpu']:>11.0f} {api}  {r['errors']}")
    print("\nratios")
    for top, bottom, label in (("api", "hello", "api / hello"), ("api+rl", "hello", "api+rl / hello"), ("gateway", "nginx", "gateway / nginx"),
                               ("gateway", "direct", "gateway / direct"), ("nginx", "direct", "nginx / direct")):
        if top not in results or bottom not in results:
            continue
        a, b = results[top], results[bottom]
        extra = ""
        if (top, bottom) == ("api", "hello"):
            extra = f"   (p99 {a['p99'] / b['p99']:.1f} × hello's)"
        elif (top, bottom) == ("gateway", "direct"):
            extra = f"   (p50 {a['p50'] - b['p50']:+.2f} ms over direct)"
        print(f"  {label:<18} {a['rps'] / b['rps']:6.1%}{extra}")
    if single:
        print("\none connection, no queueing: p50 ms")
        for name, r in single.items():
            added = f"   ({r['p50'] - single['direct']['p50']:+.2f} ms over direct)" if name != "direct" and "direct" in single else ""
            print(f"  {name:<16} {r['p50']:6.2f}{added}")
    print("\nRSS (MB)            idle   after load")
    for name in ("api", "api+rl", "gateway"):
        print(f"  {name:<16} {idle[name]:6.1f}   {loaded[name]:6.1f}")
    print(f"\nJWKS fetches during the run: {jwks}")
    if any(r["bad"] for r in results.values()):
        print("\nwarning: some answers were not 2xx; those rows measure errors, not the path", file=sys.stderr)


if __name__ == "__main__":
    main()
