"""A small Language Server Protocol client over stdio, enough to drive yaml-language-server
from the tests: requests with ids, answers to the server's own requests, notifications."""

from __future__ import annotations

import json
import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class LspError(RuntimeError):
    pass


class LspClient:
    """Start ``command`` (a language server speaking LSP on stdio) and talk to it.

    Use it as a context manager (or call ``close``): the server is always stopped, killed if
    it does not exit by itself."""

    def __init__(self, command: list[str], settings: dict[str, Any]):
        self.settings = settings
        # The server's stderr goes to a file (a pipe nobody drains could block it); its tail is
        # quoted in errors.
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr
        )
        self._inbox: queue.Queue = queue.Queue()
        self._responses: dict[int, dict] = {}
        self.notifications: list[dict] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    # --- wire ------------------------------------------------------------------------------
    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self._inbox.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            self._inbox.put(json.loads(stream.read(length)))

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.proc.stdin.flush()

    def _pump(self, until: Callable[[], bool], timeout: float) -> None:
        """Handle incoming messages until ``until()`` holds or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while not until():
            left = deadline - time.monotonic()
            if left <= 0:
                raise LspError(
                    f"no answer from the language server within {timeout} s" + self._stderr_tail()
                )
            try:
                message = self._inbox.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if message is None:
                raise LspError(
                    f"the language server exited (code {self.proc.poll()})" + self._stderr_tail()
                )
            self._handle(message)

    def _stderr_tail(self, size: int = 2000) -> str:
        self._stderr.seek(0, 2)
        self._stderr.seek(max(0, self._stderr.tell() - size))
        tail = self._stderr.read().decode("utf-8", "replace").strip()
        return f"; its stderr ends with:\n{tail}" if tail else ""

    def _handle(self, message: dict) -> None:
        if "id" in message and "method" in message:  # the server asks us something
            self._send({"id": message["id"], "result": self._answer(message)})
        elif "id" in message:
            self._responses[message["id"]] = message
        else:
            self.notifications.append(message)

    def _answer(self, request: dict) -> Any:
        if request["method"] == "workspace/configuration":
            return [
                self.settings.get(item.get("section", ""), {})
                for item in request["params"]["items"]
            ]
        return None  # client/registerCapability, window/workDoneProgress/create, ...

    # --- protocol --------------------------------------------------------------------------
    def request(self, method: str, params: dict, timeout: float = 20) -> Any:
        self._next_id += 1
        ident = self._next_id
        self._send({"id": ident, "method": method, "params": params})
        self._pump(lambda: ident in self._responses, timeout)
        response = self._responses.pop(ident)
        if "error" in response:
            raise LspError(f"{method}: {response['error']}")
        return response.get("result")

    def notify(self, method: str, params: dict) -> None:
        self._send({"method": method, "params": params})

    def initialize(self, root: Path) -> None:
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {
                        "completion": {
                            "completionItem": {
                                "snippetSupport": True,
                                "documentationFormat": ["markdown"],
                            }
                        },
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "publishDiagnostics": {},
                    },
                },
            },
            timeout=60,
        )
        self.notify("initialized", {})

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
        )
        return uri

    def completion(self, uri: str, line: int, character: int) -> list[dict]:
        result = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        return result.get("items", []) if isinstance(result, dict) else (result or [])

    def hover(self, uri: str, line: int, character: int) -> str:
        result = self.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        if not result:
            return ""
        contents = result["contents"]
        return contents["value"] if isinstance(contents, dict) else str(contents)

    def diagnostics(self, uri: str, timeout: float = 20) -> list[dict]:
        """The first non-empty diagnostics the server publishes for ``uri``."""

        def found() -> bool:
            return any(
                n.get("method") == "textDocument/publishDiagnostics"
                and n["params"]["uri"] == uri
                and n["params"]["diagnostics"]
                for n in self.notifications
            )

        self._pump(found, timeout)
        return next(
            n["params"]["diagnostics"]
            for n in self.notifications
            if n.get("method") == "textDocument/publishDiagnostics"
            and n["params"]["uri"] == uri
            and n["params"]["diagnostics"]
        )

    def __enter__(self) -> LspClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.proc.poll() is not None:
            self._stderr.close()
            return
        try:
            self.request("shutdown", {}, timeout=5)
            self.notify("exit", {})
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - stop it whatever state it is in
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._stderr.close()
