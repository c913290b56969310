"""Compile ``function_rpc.proto`` with protoc (``grpcio-tools``) and import the result.

The protocol's definitions ship with neither the worker nor any package on PyPI; the test keeps
its own minimal copy and compiles it into a scratch folder on first use.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PROTO = Path(__file__).with_name("function_rpc.proto")
MODULE = "function_rpc_pb2"


def compile_protos(out_dir: Path) -> Path:
    """Write ``function_rpc_pb2.py`` into ``out_dir`` (protoc's exit code checked)."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    out_dir.mkdir(parents=True, exist_ok=True)
    code = protoc.main(["protoc", f"-I{PROTO.parent}", f"-I{well_known}", f"--python_out={out_dir}",
                        str(PROTO)])
    if code != 0:
        raise RuntimeError(f"protoc could not compile {PROTO.name} (exit {code})")
    return out_dir / f"{MODULE}.py"


def load_protos(out_dir: Path) -> ModuleType:
    """The compiled module, imported once per process under its own name."""
    if MODULE in sys.modules:
        return sys.modules[MODULE]
    path = out_dir / f"{MODULE}.py"
    if not path.exists():
        compile_protos(out_dir)
    spec = importlib.util.spec_from_file_location(MODULE, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    spec.loader.exec_module(module)
    return module
