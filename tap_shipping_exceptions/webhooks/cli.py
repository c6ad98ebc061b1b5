"""``shipping-webhooks serve``: run the receiver with uvicorn next to Meltano.

    SHIPPING_WEBHOOKS_USER=... SHIPPING_WEBHOOKS_PASSWORD=... \\
        shipping-webhooks serve --host 127.0.0.1 --port 8081 \\
        --archive-dir /var/lib/shipping/webhooks
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from tap_shipping_exceptions.webhooks.app import DEFAULT_PATH, ReceiverConfig, create_app
from tap_shipping_exceptions.webhooks.archive import DEFAULT_MAX_FILE_BYTES, ArchiveWriter
from tap_shipping_exceptions.webhooks.connections import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    default_max_connections,
    guarded_protocol,
)
from tap_shipping_exceptions.webhooks.credentials import (
    HEADER_VAR,
    PASSWORD_VAR,
    USER_VAR,
    credentials_from_env,
)
from tap_shipping_exceptions.webhooks.errors import ConfigurationError, WebhookError
from tap_shipping_exceptions.webhooks.sample_deliveries import load_sample_deliveries

log = logging.getLogger("shipping-webhooks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shipping-webhooks",
        description="Receive ShippyPro webhook deliveries and archive them for the tap.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="run the receiver",
        description=f"Credentials come from {USER_VAR} + {PASSWORD_VAR} (HTTP Basic) and/or "
                    f"{HEADER_VAR} ('Name: value').",
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="interface to bind (default %(default)s)")
    serve.add_argument("--port", type=int, default=8081,
                       help="TCP port; 0 picks a free one (default %(default)s)")
    serve.add_argument("--archive-dir", required=True, type=Path,
                       help="directory for deliveries-YYYYMMDD-NNNN.jsonl files")
    serve.add_argument("--path", default=DEFAULT_PATH,
                       help="URL path that takes deliveries (default %(default)s)")
    serve.add_argument("--max-file-bytes", type=int, default=DEFAULT_MAX_FILE_BYTES,
                       help="rotate an archive file before it grows past this size "
                            "(default %(default)s)")
    serve.add_argument("--insecure-no-auth", action="store_true",
                       help="accept deliveries without any credentials (local testing only)")
    serve.add_argument("--test-deliveries", type=Path, default=None,
                       help="JSON file of ShippyPro test deliveries to answer but not archive "
                            "(default: the packaged list)")
    serve.add_argument("--ready-file", type=Path, default=None,
                       help="write the base URL here once the socket listens")
    serve.add_argument("--graceful-timeout", type=float, default=30.0,
                       help="seconds in-flight requests get to finish after SIGTERM")
    serve.add_argument("--header-timeout", type=float, default=DEFAULT_HEADER_TIMEOUT,
                       help="seconds a connection gets to send its request line and headers "
                            "(default %(default)s)")
    serve.add_argument("--body-timeout", type=float, default=DEFAULT_BODY_TIMEOUT,
                       help="seconds a request gets to send its whole body, else 408 "
                            "(default %(default)s)")
    serve.add_argument("--max-connections", type=int, default=None,
                       help="open connections at most; at the cap the oldest idle one is "
                            "closed (default: 1024, or the open-file limit minus 64)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument("--log-level", default="info",
                       choices=["debug", "info", "warning", "error"])
    return parser


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says TCP,
    # and without it Nagle + delayed ACKs add ~40 ms to every keep-alive response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(args: argparse.Namespace) -> int:
    credentials = credentials_from_env(os.environ)
    if not credentials.configured and not args.insecure_no_auth:
        raise ConfigurationError(
            f"no credentials: set {USER_VAR} and {PASSWORD_VAR} (HTTP Basic, as configured in "
            f"ShippyPro) and/or {HEADER_VAR}='Name: value', or pass --insecure-no-auth"
        )
    if credentials.configured and args.insecure_no_auth:
        log.warning("--insecure-no-auth ignored: credentials are configured and enforced")
    if not args.path.startswith("/") or args.path == "/health":
        raise ConfigurationError(
            f"--path must start with '/' and not be /health, got {args.path!r}")
    for name in ("header_timeout", "body_timeout"):
        if not getattr(args, name) > 0:
            raise ConfigurationError(f"--{name.replace('_', '-')} must be a number of seconds "
                                     f"> 0, got {getattr(args, name)}")
    max_connections = args.max_connections or default_max_connections()
    if max_connections < 1:
        raise ConfigurationError(f"--max-connections must be >= 1, got {args.max_connections}")
    samples = load_sample_deliveries(args.test_deliveries)
    writer = ArchiveWriter(args.archive_dir, args.max_file_bytes)
    writer.start()
    try:
        sock = _bind(args.host, args.port)
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}"
        app = create_app(ReceiverConfig(credentials, writer, samples, args.path,
                                         body_timeout=args.body_timeout))
        config = uvicorn.Config(
            app, http=guarded_protocol(args.header_timeout, max_connections),
            log_level=args.log_level, access_log=args.access_log,
            timeout_graceful_shutdown=args.graceful_timeout, lifespan="on",
            proxy_headers=True, server_header=False,
        )
        log.info("receiving deliveries at %s%s (auth: %s), archive %s", url, args.path,
                 credentials.describe(), args.archive_dir)
        if args.ready_file is not None:
            tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
            tmp.write_text(url + "\n")
            tmp.replace(args.ready_file)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        writer.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return serve(args)
    except WebhookError as exc:
        print(f"shipping-webhooks: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
