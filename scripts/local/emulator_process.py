"""The emulator process: moto's server on loopback, with moto's own Kinesis-to-Lambda delivery turned off.

moto delivers every Kinesis put to each event source mapping's function by running it in Docker (there is
none here); the mappings stay stored in the emulator, and only the local runtime invokes handlers.
Run as `python -m scripts.local.emulator_process --port N`.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any


def disable_moto_kinesis_delivery() -> None:
    from moto.awslambda.models import LambdaBackend

    def keep_mapping_only(self: LambdaBackend, **_: Any) -> None:
        return None

    LambdaBackend.send_kinesis_message = keep_mapping_only  # type: ignore[method-assign,assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    disable_moto_kinesis_delivery()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    # The server thread is a daemon: park the main thread until the process is terminated.
    threading.Event().wait()


if __name__ == "__main__":
    main()
