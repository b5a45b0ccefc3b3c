"""Run Lambda handlers in this process, one isolated copy of the handler module per function.

Each function gets its own copy of its handler module (module-level clients and cached configuration
belong to one function, as in separate execution environments), its configuration's environment
variables in `os.environ` for the call. Their stdout (Powertools logs and EMF metrics) goes to one log
file: Powertools loggers of one service name share a `logging` logger across module copies anyway.
Invocations are serialised: `os.environ` is process-wide, so two functions cannot run at once.
A handler runs as its execution role's session: each call AWS would refuse that role, by the decisions the deployer
made and published to the emulator, fails with AWS's error (`emulator.call_guard`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from emulator.authorization import role_gates
from emulator.call_guard import GUARD, Principal
from streamctl.aws_clients import aws_client

# Lambda sets these for every function; the X-Ray daemon does not exist locally.
RUNTIME_VARIABLES = {"POWERTOOLS_TRACE_DISABLED": "true", "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"}


class HandlerImportError(RuntimeError):
    """The function's handler string does not name an importable callable."""


@dataclass(frozen=True)
class FunctionConfig:
    """What the runtime needs from the emulator's function configuration."""

    name: str
    arn: str
    handler: str
    role: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    log_group: str

    @classmethod
    def from_api(cls, configuration: Mapping[str, Any]) -> FunctionConfig:
        name = str(configuration["FunctionName"])
        return cls(
            name=name,
            arn=str(configuration["FunctionArn"]),
            handler=str(configuration["Handler"]),
            role=str(configuration.get("Role", "")),
            timeout_s=int(configuration.get("Timeout", 3)),
            memory_mb=int(configuration.get("MemorySize", 128)),
            environment=dict((configuration.get("Environment") or {}).get("Variables") or {}),
            log_group=str((configuration.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{name}"),
        )


class LambdaContext:
    """The context object handlers receive (the attributes Powertools reads)."""

    def __init__(self, config: FunctionConfig) -> None:
        self.function_name = config.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = config.arn
        self.memory_limit_in_mb = config.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = config.log_group
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + config.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """One call's outcome: the response, or the error Lambda would report (`functionError`)."""

    response: Any
    error: BaseException | None
    duration_ms: float
    request_id: str

    @property
    def function_error(self) -> str | None:
        return None if self.error is None else "Unhandled"


class FunctionTimeoutError(TimeoutError):
    """The handler ran past the function's timeout: Lambda would have discarded its response."""


class ThreadRoutedStdout:
    """sys.stdout that sends a handler's writes to the log and every other thread's to the terminal.

    `contextlib.redirect_stdout` swaps stdout for the whole process, so progress output printed while a
    handler runs on another thread would end up in the log.
    """

    def __init__(self, terminal: Any, log: IO[str]) -> None:
        self.terminal = terminal
        self.log = log
        self._local = threading.local()

    @contextlib.contextmanager
    def routed_to_log(self) -> Iterator[None]:
        self._local.active = True
        try:
            yield
        finally:
            self._local.active = False
            self.log.flush()

    def _target(self) -> Any:
        return self.log if getattr(self._local, "active", False) else self.terminal

    def write(self, text: str) -> int:
        return int(self._target().write(text))

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.terminal, name)


@contextlib.contextmanager
def function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class FunctionHost:
    """Loads and invokes the functions of one emulator; `on_load` lets tests reach a handler module."""

    def __init__(
        self,
        endpoint_url: str,
        log_dir: Path,
        *,
        region: str = "us-east-1",
        on_load: Callable[[FunctionConfig, ModuleType], None] | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.log_dir = log_dir
        self._lambda = aws_client("lambda", region=region, endpoint_url=endpoint_url)
        self._on_load = on_load
        self._configs: dict[str, FunctionConfig] = {}
        self._principals: dict[str, Principal] = {}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._stdout: ThreadRoutedStdout | None = None
        self._lock = threading.RLock()

    def config(self, function: str) -> FunctionConfig:
        """The function's configuration from the emulator (name or ARN), cached."""
        name = function.split(":")[6] if function.startswith("arn:") else function
        with self._lock:
            if name not in self._configs:
                self._configs[name] = FunctionConfig.from_api(
                    self._lambda.get_function_configuration(FunctionName=name)
                )
            return self._configs[name]

    def principal(self, function: str) -> Principal:
        """The function's role session and its gates, as published by the deploy of its stack (read once)."""
        config = self.config(function)
        with self._lock:
            if config.name not in self._principals:
                parts = config.role.split(":")
                if len(parts) < 6:  # no role ARN: nothing the catalogue models
                    self._principals[config.name] = Principal(config.role, ())
                else:
                    session = f"arn:aws:sts::{parts[4]}:assumed-role/{parts[5].rsplit('/', 1)[-1]}/{config.name}"
                    gates = role_gates(self.endpoint_url).get(config.role, ())
                    self._principals[config.name] = Principal(session, gates)
            return self._principals[config.name]

    def invoke(self, function: str, event: Any) -> Invocation:
        config = self.config(function)
        principal = self.principal(function)
        context = LambdaContext(config)
        with (
            self._lock,
            self._stdout_to_log(),
            function_environment(self._variables(config)),
            GUARD.acting_as(principal),
        ):
            started = time.perf_counter()
            try:
                response = self._handler(config)(event, context)
                error: BaseException | None = None
            except Exception as raised:  # any handler error is a function error, as in Lambda
                response, error = None, raised
            duration_ms = (time.perf_counter() - started) * 1000
        if error is None and duration_ms > config.timeout_s * 1000:
            response, error = None, FunctionTimeoutError(f"Task timed out after {config.timeout_s} seconds")
        return Invocation(response, error, duration_ms, context.aws_request_id)

    def close(self) -> None:
        with self._lock:
            if self._stdout is not None:
                if sys.stdout is self._stdout:
                    sys.stdout = self._stdout.terminal
                self._stdout.log.close()
                self._stdout = None

    def _variables(self, config: FunctionConfig) -> dict[str, str]:
        return {
            **RUNTIME_VARIABLES,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
            "_HANDLER": config.handler,
            **config.environment,
        }

    @contextlib.contextmanager
    def _stdout_to_log(self) -> Iterator[None]:
        if self._stdout is None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = (self.log_dir / "functions.log").open("a", encoding="utf-8")
            self._stdout = ThreadRoutedStdout(sys.stdout, log)
            sys.stdout = self._stdout
        with self._stdout.routed_to_log():
            yield

    def _handler(self, config: FunctionConfig) -> Callable[[Any, Any], Any]:
        handler = self._handlers.get(config.name)
        if handler is None:
            module = load_private_module(config.handler, config.name)
            if self._on_load is not None:
                self._on_load(config, module)
            handler = self._handlers[config.name] = handler_attribute(module, config.handler)
        return handler


def split_handler(handler: str) -> tuple[str, str]:
    module_name, dot, attribute = handler.rpartition(".")
    if not dot or not module_name:
        raise HandlerImportError(f"handler {handler!r} is not '<module>.<function>'")
    return module_name, attribute


def load_private_module(handler: str, function_name: str) -> ModuleType:
    """A fresh copy of the handler's module, registered under a name private to `function_name`."""
    module_name, _ = split_handler(handler)
    try:
        spec = importlib.util.find_spec(module_name)
    except ModuleNotFoundError as error:
        raise HandlerImportError(f"handler {handler!r}: {error}") from None
    if spec is None or spec.origin is None:
        raise HandlerImportError(f"handler {handler!r}: module {module_name} not found")
    private_name = f"{module_name}__local_{re.sub(r'[^0-9A-Za-z_]', '_', function_name)}"
    private_spec = importlib.util.spec_from_file_location(private_name, spec.origin)
    if private_spec is None or private_spec.loader is None:
        raise HandlerImportError(f"handler {handler!r}: cannot load {spec.origin}")
    module = importlib.util.module_from_spec(private_spec)
    module.__package__ = module_name.rpartition(".")[0]
    sys.modules[private_name] = module
    try:
        private_spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[private_name]
        raise HandlerImportError(f"handler {handler!r} failed to import: {type(error).__name__}: {error}") from error
    return module


def handler_attribute(module: ModuleType, handler: str) -> Callable[[Any, Any], Any]:
    _, attribute = split_handler(handler)
    function = getattr(module, attribute, None)
    if not callable(function):
        raise HandlerImportError(f"handler {handler!r}: {module.__name__} has no function {attribute!r}")
    return function
