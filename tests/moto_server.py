"""moto's server for the tests (every service moto has: DynamoDB, S3, KMS, SES, SSM,
Secrets Manager among them), applying one request at a time.

DynamoDB applies every conditional write and transaction atomically. moto's threaded
server evaluates a condition and then writes without holding a lock, so two concurrent
claims of one key can both win there, which real DynamoDB never allows. Serialising the
requests restores the guarantee the contract suites check, while connections are still
accepted concurrently.

Usage: python tests/moto_server.py HOST PORT
"""

import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            # Materialise the body inside the lock: the write happens while it is produced.
            return list(app(environ, start_response))

    run_simple(
        host,
        port,
        one_at_a_time,
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
