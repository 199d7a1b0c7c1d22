#!/usr/bin/env python3
"""Fuzzes the API against its own OpenAPI document with schemathesis, as admin and as tenant.

Needs `make env postgres redis test-tools` and built binaries (`.build/debug`, or the folder in
ORCASTRA_BIN_DIR). It starts its own development identity provider and API on free ports, the
API on a PostgreSQL database of its own, created and dropped here (as admin the fuzzer deletes
and renames whatever it finds), signs in as the seeded admin and tenant through the provider's
code flow, and runs `schemathesis run` over every operation with every check, once per role.

Options: --examples N per operation (10), --seed S (1), --roles admin,tenant. Exit status 0
only when every run found nothing; schemathesis's own report is printed as it comes.
"""
import argparse, base64, hashlib, http.cookiejar, json, os, re, secrets, signal, socket, subprocess, sys, time
import urllib.error, urllib.parse, urllib.request
from devidp_signin import fill

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(l.split("=", 1) for l in open(os.path.join(ROOT, ".env")).read().splitlines() if "=" in l and not l.startswith("#"))
WORK = os.path.join(ROOT, ".data", "fuzz")
SCHEMATHESIS = os.path.join(ROOT, ".data", "venv", "bin", "schemathesis")


def die(message):
    sys.exit(f"fuzz-api: {message}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url, statement):
    m = re.match(r"postgres(?:ql)?://([^:]+):([^@]*)@([^:/]+):?(\d*)/(\w+)", url) or die(f"cannot read {url}")
    user, password, host, port, _ = m.groups()
    subprocess.run(["psql", "-h", host, "-p", port or "5432", "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qtAc", statement],
                   check=True, capture_output=True, env=dict(os.environ, PGPASSWORD=password))


def wait_for(url, process, what):
    for _ in range(600):
        if process.poll() is not None:
            die(f"{what} exited with {process.returncode}; see {WORK}/{what}.log")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    die(f"{what} did not answer at {url}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def access_token(issuer, user, redirect):
    """An access token from the provider's code flow with PKCE, as the gateway gets one."""
    meta = json.load(urllib.request.urlopen(issuer + ".well-known/openid-configuration"))
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": ENV["AUTHENTIK_CLIENT_ID"], "redirect_uri": redirect, "scope": "openid profile email",
        "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16), "code_challenge": challenge, "code_challenge_method": "S256"})
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--roles", default="admin,tenant")
    args = parser.parse_args()
    if not os.access(SCHEMATHESIS, os.X_OK):
        die(f"{SCHEMATHESIS} is missing; run `make test-tools`")
    binaries = os.environ.get("ORCASTRA_BIN_DIR") or os.path.join(ROOT, ".build", "debug")
    for binary in ("orcastra-api", "orcastra-devidp"):
        if not os.access(os.path.join(binaries, binary), os.X_OK):
            die(f"{binaries}/{binary} is missing; run `swift build`")
    os.makedirs(WORK, exist_ok=True)
    users = json.load(open(os.path.join(ROOT, ENV.get("DEVIDP_SEED_FILE", ".data/devidp-users.json"))))["users"]

    idp_port, api_port = free_port(), free_port()
    slug = ENV.get("DEVIDP_SLUG", "orcastra")
    issuer = f"http://127.0.0.1:{idp_port}/application/o/{slug}/"
    redirect = ENV.get("NEXTAUTH_URL", "http://localhost:4321").rstrip("/") + "/api/auth/callback/authentik"
    database = f"orc_fuzz_{os.getpid()}"
    owner, app = ENV["DATABASE_OWNER_URL"], ENV["DATABASE_URL"]
    retarget = lambda url: re.sub(r"/\w+$", "/" + database, url)
    processes = []

    def start(name, extra):
        log = open(os.path.join(WORK, f"{name}.log"), "w")
        process = subprocess.Popen([os.path.join(binaries, f"orcastra-{name}")], cwd=ROOT, env={**os.environ, **ENV, **extra},
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(process)
        return process

    psql(owner, f"CREATE DATABASE {database}")
    failed = False
    try:
        idp = start("devidp", {"DEVIDP_PORT": str(idp_port), "DEVIDP_PUBLIC_URL": f"http://127.0.0.1:{idp_port}"})
        wait_for(issuer + ".well-known/openid-configuration", idp, "devidp")
        api = start("api", {"HTTP_PORT": str(api_port), "HTTP_HOST": "127.0.0.1", "AUTHENTIK_ISSUER": issuer,
                            "DATABASE_URL": retarget(app), "DATABASE_OWNER_URL": retarget(owner), "RATE_LIMIT_ENABLED": "false",
                            "SECURITY_PROBE_BLOCK_ENABLED": "false", "AUDIT_ANCHOR_INTERVAL_SECONDS": "0"})
        wait_for(f"http://127.0.0.1:{api_port}/health", api, "api")
        for role in args.roles.split(","):
            user = next((u for u in users if f"role_{role}" in u["groups"]), None) or die(f"no seeded user has role_{role}")
            token = access_token(issuer, user, redirect)
            print(f"\n=== schemathesis as {role}: {args.examples} examples per operation, seed {args.seed}", flush=True)
            run = subprocess.run([SCHEMATHESIS, "run", f"http://127.0.0.1:{api_port}/api/v1/openapi.json", "--url", f"http://127.0.0.1:{api_port}",
                                  "--checks", "all", "--max-examples", str(args.examples), "--seed", str(args.seed), "--workers", "1",
                                  "--header", f"Authorization: Bearer {token}", "--no-color"], cwd=WORK)
            failed = failed or run.returncode != 0
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        psql(owner, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
