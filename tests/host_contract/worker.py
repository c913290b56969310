"""The worker process of the stand-in host: what the Python 3.13+ proxy worker in the Functions
host image does with the pinned ``azure-functions-runtime``, over a pipe instead of gRPC.

    python tests/host_contract/worker.py PROTOS_DIR APP_DIR

It reads length-prefixed ``StreamingMessage``s on stdin and answers each on stdout. Like the
proxy, it puts the app's folder first on ``sys.path``, hands each request to the runtime's
handler wrapped in a request object that carries ``.request`` and ``.properties`` (``protos``
and ``host``), and runs sync functions on the runtime's own thread pool. Everything the app or
the runtime prints or logs goes to stderr, never into the message stream.

The project's editable install (``pip install -e .``) is taken off the import path first, so
the app is imported from APP_DIR alone, as Azure imports the deployment package.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import os
import struct
import sys
from pathlib import Path

HANDLERS = {  # request field -> (runtime handler, answer field)
    "worker_init_request": ("worker_init_request", "worker_init_response"),
    "function_environment_reload_request": ("function_environment_reload_request",
                                            "function_environment_reload_response"),
    "functions_metadata_request": ("functions_metadata_request", "function_metadata_response"),
    "function_load_request": ("function_load_request", "function_load_response"),
    "invocation_request": ("invocation_request", "invocation_response"),
}


class WorkerRequest:
    """What the proxy hands the runtime: the message and the properties it reads."""

    def __init__(self, name: str, request, properties: dict | None = None) -> None:
        self.name = name
        self.request = request
        self.properties = properties or {}


def read_message(stream, protos):
    header = stream.read(4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    body = stream.read(size)
    if len(body) < size:
        return None
    return protos.StreamingMessage.FromString(body)


def write_message(stream, message) -> None:
    data = message.SerializeToString()
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def load_protos(protos_dir: Path):
    spec = importlib.util.spec_from_file_location("function_rpc_pb2", protos_dir / "function_rpc_pb2.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["function_rpc_pb2"] = module
    spec.loader.exec_module(module)
    return module


def only_the_package_on_the_path(app_dir: Path) -> None:
    here = Path(__file__).resolve().parent
    repo = here.parent.parent
    # setuptools' editable finder is a class placed on sys.meta_path itself: its own module names it
    sys.meta_path[:] = [f for f in sys.meta_path
                        if not str(getattr(f, "__module__", "")).startswith("__editable__")]
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() not in (here, repo)]
    sys.path.insert(0, str(app_dir))
    sys.path_importer_cache.clear()


async def serve(protos, runtime, channel_in, channel_out) -> None:
    loop = asyncio.get_running_loop()
    while True:
        message = await loop.run_in_executor(None, read_message, channel_in, protos)
        if message is None:
            return
        kind = message.WhichOneof("content")
        if kind not in HANDLERS:
            raise SystemExit(f"stand-in worker: no handler for {kind!r}")
        handler, answer = HANDLERS[kind]
        with_protos = kind in ("worker_init_request", "function_environment_reload_request")
        properties = {"protos": protos, "host": "127.0.0.1"} if with_protos else {}
        response = await getattr(runtime, handler)(WorkerRequest(kind, message, properties))
        if kind in ("worker_init_request", "function_environment_reload_request"):
            for module in ("function_app", "shared", "azure_functions_runtime", "azure.functions"):
                loaded = sys.modules.get(module)
                print(f"stand-in worker: {module} from {getattr(loaded, '__file__', None)}", file=sys.stderr)
        write_message(channel_out, protos.StreamingMessage(request_id=message.request_id,
                                                            **{answer: response}))


def report_modules(app_dir: Path) -> None:
    """At the end: every top-level module the app used, and any module loaded from the checkout
    outside the package (none may be: Azure has only the package)."""
    repo = Path(__file__).resolve().parent.parent.parent
    allowed = (app_dir, Path(sys.prefix).resolve(), Path(__file__).resolve().parent)
    from_checkout = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file:
            continue
        path = Path(file).resolve()
        if path.is_relative_to(repo) and not any(path.is_relative_to(a) for a in allowed):
            from_checkout.append(name)
    tops = sorted({name.split(".")[0] for name in sys.modules if not name.startswith("_")})
    print("stand-in worker: modules from the checkout: " + json.dumps(sorted(from_checkout)), file=sys.stderr)
    print("stand-in worker: top-level modules: " + json.dumps(tops), file=sys.stderr)


def main(argv: list[str]) -> None:
    protos_dir, app_dir = Path(argv[1]).resolve(), Path(argv[2]).resolve()
    channel_in = os.fdopen(os.dup(0), "rb", buffering=0)
    channel_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # print() of the app or the runtime lands on stderr
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    protos = load_protos(protos_dir)
    only_the_package_on_the_path(app_dir)
    os.chdir(app_dir)
    import azure_functions_runtime as runtime

    runtime.start_threadpool_executor()
    try:
        asyncio.run(serve(protos, runtime, channel_in, channel_out))
    finally:
        runtime.stop_threadpool_executor()
        report_modules(app_dir)


if __name__ == "__main__":
    main(sys.argv)
