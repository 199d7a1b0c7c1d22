#!/usr/bin/env python3
"""Fuzzes the API against its own OpenAPI document with schemathesis, as admin and as tenant.

Needs `make env postgres redis test-tools` and built binaries (`.build/debug`, or the folder in
ORCASTRA_BIN_DIR). It starts its own development identity provider and API on free ports, the
API on a PostgreSQL database of its own, created and dropped here (as admin the fuzzer deletes
and renames whatever it finds), signs in as the seeded admin and tenant through the provider's
code flow, and runs `schemathesis run` over every operation with every check, once per role,
with scripts/schemathesis.toml (the few operations whose refusals a schema cannot predict).

Options: --examples N per operation (10), --seed S (1), --roles admin,tenant. Exit status 0
only when every run found nothing; schemathesis's own report is printed as it comes.
"""
import argparse, json, os, re, signal, subprocess, sys
from bench import ENV, ROOT, access_token, die, free_port, psql, wait_for

WORK = os.path.join(ROOT, ".data", "fuzz")
SCHEMATHESIS = os.path.join(ROOT, ".data", "venv", "bin", "schemathesis")
# Which refusals of schema-valid requests are expected, on which operations, and why.
CONFIG = os.path.join(ROOT, "scripts", "schemathesis.toml")


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
        wait_for(issuer + ".well-known/openid-configuration", idp, "devidp", logs=WORK, seconds=60)
        # The directory sync reads this same provider (POST /users/sync is fuzzed too).
        api = start("api", {"HTTP_PORT": str(api_port), "HTTP_HOST": "127.0.0.1", "AUTHENTIK_ISSUER": issuer,
                            "AUTHENTIK_API_URL": f"http://127.0.0.1:{idp_port}",
                            "DATABASE_URL": retarget(app), "DATABASE_OWNER_URL": retarget(owner), "RATE_LIMIT_ENABLED": "false",
                            "SECURITY_PROBE_BLOCK_ENABLED": "false", "AUDIT_ANCHOR_INTERVAL_SECONDS": "0"})
        wait_for(f"http://127.0.0.1:{api_port}/health", api, "api", logs=WORK, seconds=60)
        for role in args.roles.split(","):
            user = next((u for u in users if f"role_{role}" in u["groups"]), None) or die(f"no seeded user has role_{role}")
            token = access_token(user, issuer)
            print(f"\n=== schemathesis as {role}: {args.examples} examples per operation, seed {args.seed}", flush=True)
            run = subprocess.run([SCHEMATHESIS, "--config-file", CONFIG, "run", f"http://127.0.0.1:{api_port}/api/v1/openapi.json", "--url", f"http://127.0.0.1:{api_port}",
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
