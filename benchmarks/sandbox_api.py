"""Sandbox benchmark: generation time per scenario size and API calls/s on loopback.

    python -m benchmarks.sandbox_api [--shipments 4000 64000] [--calls 3000]

The API is measured from a separate process with one keep-alive connection (``http.client``),
so the client does not share the server's interpreter. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from shipping_sandbox.generator import generate
from shipping_sandbox.runner import start_server
from shipping_sandbox.server import create_app

CLIENT = r"""
import base64, http.client, json, sys, time
host, port, n, ids = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
conn = http.client.HTTPConnection(host, port)
auth = "Basic " + base64.b64encode(b"bench:").decode()
start = time.perf_counter()
for i in range(n):
    method = "GetOrder" if i % 2 else "Ping"
    body = json.dumps({"Method": method, "Params": {"OrderID": ids[i % len(ids)]}})
    conn.request("POST", "/api", body, {"Authorization": auth, "Content-Type": "application/json"})
    conn.getresponse().read()
print(n / (time.perf_counter() - start))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, nargs="+", default=[4000, 64000])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    world = generate("worked_example")
    print(f"generate worked_example: {len(world.shipments)} legs in "
          f"{time.perf_counter() - started:.1f} s")
    for n in args.shipments:
        started = time.perf_counter()
        bulk = generate("bulk", seed=7, shipments=n)
        print(f"generate bulk shipments={n}: {len(bulk.shipments)} legs in "
              f"{time.perf_counter() - started:.1f} s")
    app = create_app(world, api_key="bench", now=world.as_of)
    with start_server(app) as server:
        ids = [s.order_id for s in world.shipments[:500]]
        out = subprocess.run([sys.executable, "-c", CLIENT, server.host, str(server.port),
                              str(args.calls), str(ids)], capture_output=True, text=True,
                             check=True)
        print(f"API (Ping/GetOrder alternating, keep-alive, 1 client): "
              f"{float(out.stdout):.0f} calls/s over {args.calls} calls")


if __name__ == "__main__":
    main()
