"""``archiver sandbox serve``: run the loopback fakes for a person to explore."""

from __future__ import annotations

from typing import Annotated

import typer

from archiver import platforms
from archiver.cli_parts.groups import sandbox_app


def register(app: typer.Typer) -> None:
    @sandbox_app.command("serve", help=f"Serve the illustrative scenario as fake {platforms.labels()} APIs on "
                                       "127.0.0.1.")
    def serve(
        port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 picks a free one).")] = 8765,
        step: Annotated[int, typer.Option("--step", help="Scenario step to serve (1 or 2).")] = 1,
        faults: Annotated[str | None, typer.Option(
            "--faults", help="Inject faults, e.g. rate_limit=0.1,server_error=0.05,timeout=0.02,"
                             "malformed=0.02,reset_header_missing=0.5,seed=7")] = None,
        verbose: Annotated[bool, typer.Option("--verbose", help="Log every request.")] = False,
    ) -> None:
        from archiver.errors import BadInputError
        from archiver.sandbox.config import sandbox_config_toml
        from archiver.sandbox.scenario import MAX_STEP, SYNTHETIC_NOTICE
        from archiver.sandbox.server import SandboxServer

        if not 1 <= step <= MAX_STEP:
            raise BadInputError(f"--step: must be between 1 and {MAX_STEP}, got {step}")
        hook = None
        if faults:
            from archiver.sandbox.faults import parse_faults

            hook = parse_faults(faults)
        try:
            server = SandboxServer(port=port, step=step, fault_hook=hook, verbose=verbose)
        except OSError as exc:
            raise BadInputError(f"--port: cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
        typer.echo(f"sandbox listening on {server.base_url} (step {step}). {SYNTHETIC_NOTICE}")
        typer.echo(f"advance with: curl -X POST {server.base_url}/_sandbox/step/2")
        typer.echo("a config that collects it:\n")
        typer.echo(sandbox_config_toml(server.base_url))
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
