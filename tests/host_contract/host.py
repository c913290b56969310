"""A stand-in for the Azure Functions host: starts the pinned worker (``worker.py``) on a copy of
the deployment package and speaks the host's protocol messages to it, in the host's order
(init, metadata, load each function, then invocations)."""

from __future__ import annotations

import json
import os
import select
import shutil
import struct
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.host_contract.protos import compile_protos, load_protos
from tests.layering import ROOT, package_files

WORKER = Path(__file__).with_name("worker.py")
# What a 4.x host announces; the worker answers with its own capabilities.
HOST_CAPABILITIES = {"RpcHttpBodyOnly": "true", "RawHttpBodyBytes": "true",
                     "TypedDataCollection": "true"}


def machine_env() -> dict[str, str]:
    """This process's environment without any app setting (VISH_*, AzureWebJobs*)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("VISH_", "AzureWebJobs"))}


def app_env(storage_connection: str, organisations: str, work_dir: Path | None = None,
            **extra: str) -> dict[str, str]:
    """The environment the host gives the worker: the machine's plus the app settings (local
    values: Azurite's connection string, the organisations document)."""
    env = {**machine_env(), "AzureWebJobsStorage": storage_connection,
           "FUNCTIONS_WORKER_RUNTIME": "python", "VISH_ORGANISATIONS_JSON": organisations,
           "PYTHONDONTWRITEBYTECODE": "1", **extra}
    if work_dir is not None:
        env["VISH_WORK_DIR"] = str(work_dir)
    return env


def package_copy(target: Path, root: Path = ROOT) -> Path:
    """The deployment package (the work tree minus ``.funcignore``) copied to ``target``."""
    for rel in package_files(root):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target / rel)
    return target


@dataclass
class Indexed:
    """One function as the worker indexed it."""

    name: str
    function_id: str
    raw_bindings: list[dict]
    metadata: object = field(repr=False)

    @property
    def trigger(self) -> dict:
        [binding] = [b for b in self.raw_bindings if b["type"].endswith("Trigger")]
        return binding


@dataclass
class HttpAnswer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class StandInHost:
    def __init__(self, app_dir: Path, scratch: Path, env: dict[str, str]) -> None:
        self.app_dir = app_dir
        self.protos_dir = scratch / "protos"
        if not (self.protos_dir / "function_rpc_pb2.py").exists():  # once per scratch folder
            compile_protos(self.protos_dir)
        self.protos = load_protos(self.protos_dir)
        self.log_path = scratch / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.env = env
        self.process: subprocess.Popen | None = None
        self.functions: dict[str, Indexed] = {}
        self.init_response = None
        self.metadata_response = None

    # -- the process and the message stream ------------------------------------------------
    def start(self) -> StandInHost:
        self.log = self.log_path.open("wb")
        command = [sys.executable, str(WORKER), str(self.protos_dir), str(self.app_dir)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.log, env=self.env, cwd=self.app_dir)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
            self.log.close()

    def __enter__(self) -> StandInHost:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def worker_log(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def modules_report(self) -> tuple[list[str], list[str]]:
        """After ``stop``: (modules loaded from the checkout outside the package, top-level
        modules the worker process had loaded), as the worker reported them at its end."""
        found = {}
        for line in self.worker_log().splitlines():
            for key in ("modules from the checkout", "top-level modules"):
                if line.startswith(f"stand-in worker: {key}: "):
                    found[key] = json.loads(line.split(": ", 2)[2])
        return found["modules from the checkout"], found["top-level modules"]

    def ask(self, timeout: float = 120, **content):
        """Send one message and return the worker's answer (a ``StreamingMessage``)."""
        request_id = uuid.uuid4().hex
        data = self.protos.StreamingMessage(request_id=request_id, **content).SerializeToString()
        self.process.stdin.write(struct.pack(">I", len(data)) + data)
        self.process.stdin.flush()
        header = self._read(4, timeout)
        (size,) = struct.unpack(">I", header)
        answer = self.protos.StreamingMessage.FromString(self._read(size, timeout))
        assert answer.request_id == request_id
        return answer

    def _read(self, size: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        stream = self.process.stdout
        chunks = b""
        while len(chunks) < size:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([stream], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"no answer from the worker in {timeout} s:\n{self.worker_log()[-3000:]}")
            chunk = os.read(stream.fileno(), size - len(chunks))
            if not chunk:
                raise RuntimeError(f"the worker exited ({self.process.poll()}):\n{self.worker_log()[-3000:]}")
            chunks += chunk
        return chunks

    # -- the host's start-up: init, metadata, load ----------------------------------------
    def initialise(self):
        p = self.protos
        answer = self.ask(worker_init_request=p.WorkerInitRequest(
            host_version="4.1049.0", capabilities=HOST_CAPABILITIES,
            worker_directory=str(self.app_dir), function_app_directory=str(self.app_dir)))
        self.init_response = answer.worker_init_response
        return self.init_response

    def specialise(self, app_dir: Path, env: dict[str, str]):
        """What the host does when a placeholder worker (started without the app) is given the
        site: the app's folder and its settings, which replace the process environment."""
        p = self.protos
        answer = self.ask(function_environment_reload_request=p.FunctionEnvironmentReloadRequest(
            environment_variables=env, function_app_directory=str(app_dir)))
        self.app_dir = app_dir
        self.init_response = answer.function_environment_reload_response
        return self.init_response

    def index(self) -> dict[str, Indexed]:
        p = self.protos
        answer = self.ask(functions_metadata_request=p.FunctionsMetadataRequest(
            function_app_directory=str(self.app_dir)))
        self.metadata_response = answer.function_metadata_response
        self.functions = {
            m.name: Indexed(m.name, m.function_id, [json.loads(raw) for raw in m.raw_bindings], m)
            for m in self.metadata_response.function_metadata_results}
        return self.functions

    def load_all(self) -> dict[str, object]:
        p = self.protos
        results = {}
        for fn in self.functions.values():
            answer = self.ask(function_load_request=p.FunctionLoadRequest(
                function_id=fn.function_id, metadata=fn.metadata))
            results[fn.name] = answer.function_load_response
        return results

    def boot(self) -> dict[str, Indexed]:
        """The host's start-up sequence; every step must succeed."""
        ok = self.protos.StatusResult.Success
        init = self.initialise()
        assert init.result.status == ok, init.result.exception.message
        functions = self.index()
        assert self.metadata_response.result.status == ok, self.metadata_response.result.exception.message
        for name, loaded in self.load_all().items():
            assert loaded.result.status == ok, (name, loaded.result.exception.message)
        return functions

    # -- invocations ------------------------------------------------------------------------
    def invoke(self, name: str, data: dict[str, object], trigger_metadata: dict | None = None):
        """Invoke a function with TypedData per binding name; returns the InvocationResponse."""
        p = self.protos
        answer = self.ask(invocation_request=p.InvocationRequest(
            invocation_id=str(uuid.uuid4()), function_id=self.functions[name].function_id,
            input_data=[p.ParameterBinding(name=binding, data=value) for binding, value in data.items()],
            trigger_metadata=trigger_metadata or {}))
        return answer.invocation_response

    def failure(self, response) -> str | None:
        """The exception message of a failed invocation, None when it succeeded."""
        if response.result.status == self.protos.StatusResult.Success:
            return None
        return response.result.exception.message or "(no message)"

    def blob_metadata(self, container: str, blob: str, account_url: str) -> dict:
        """The trigger metadata the host sends with a blob trigger (path parameters, the blob's
        path and URI)."""
        td = self.protos.TypedData
        org, _, name = blob.partition("/")
        return {"BlobTrigger": td(string=f"{container}/{blob}"),
                "Uri": td(string=f"{account_url}/{container}/{blob}"),
                "org": td(string=org), "name": td(string=name),
                "Properties": td(json=json.dumps({"ContentLength": 0, "BlobType": "BlockBlob"}))}

    def blob_reference(self, container: str, blob: str, connection: str = "AzureWebJobsStorage",
                       **content_overrides):
        """The model binding data the host sends for a blob trigger with deferred binding."""
        content = {"Connection": connection, "ContainerName": container, "BlobName": blob,
                   **content_overrides}
        content = {k: v for k, v in content.items() if v is not None}
        return self.protos.TypedData(model_binding_data=self.protos.ModelBindingData(
            version="1.0", source="AzureStorageBlobs", content_type="application/json",
            content=json.dumps(content).encode()))

    def http(self, name: str, method: str, path: str, *, route_params: dict | None = None,
             query: dict | None = None, body: str | bytes | None = None,
             headers: dict | None = None) -> HttpAnswer:
        """An HTTP trigger the way a host with RpcHttpBodyOnly sends it (a text body as a string,
        other bodies as bytes, no body left out); the answer as the host reads ``$return``."""
        p = self.protos
        http = p.RpcHttp(method=method, url=f"https://vish.example/api/{path}", headers=headers or {},
                         params=route_params or {}, query=query or {})
        if isinstance(body, str):
            http.body.CopyFrom(p.TypedData(string=body))
        elif body:
            http.body.CopyFrom(p.TypedData(bytes=body))
        request = p.TypedData(http=http)
        response = self.invoke(name, {self.functions[name].trigger["name"]: request})
        message = self.failure(response)
        assert message is None, message
        http = response.return_value.http
        headers = {k.lower(): v for k, v in http.headers.items()}  # header names are case-blind
        return HttpAnswer(int(http.status_code), headers, http.body.bytes or http.body.string.encode())

    def queue(self, name: str, text: str, *, message_id: str, dequeue_count: int = 1):
        """A queue trigger the way the host sends it: the message's text (the host has decoded
        its base64) and the message's facts as trigger metadata."""
        td = self.protos.TypedData
        now = datetime.now(UTC)

        def moment(at: datetime):
            return td(json=json.dumps(at.isoformat()))

        metadata = {"Id": td(string=message_id), "DequeueCount": td(json=str(dequeue_count)),
                    "PopReceipt": td(string="receipt"), "InsertionTime": moment(now),
                    "ExpirationTime": moment(now + timedelta(hours=1)),
                    "NextVisibleTime": moment(now + timedelta(minutes=10))}
        return self.invoke(name, {self.functions[name].trigger["name"]: td(string=text)}, metadata)

    def timer(self, name: str, past_due: bool = False):
        info = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": None, "IsPastDue": past_due}
        return self.invoke(name, {self.functions[name].trigger["name"]:
                                  self.protos.TypedData(json=json.dumps(info))})
