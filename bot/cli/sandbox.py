"""`linli sandbox-api`: run the WeChat sandbox standalone for benchmarks and fault tests."""

from __future__ import annotations

import typer

from bot.cli.settings import load_settings


def sandbox_api(
    port: int = typer.Option(9100, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
) -> None:
    """Run the WeChat API sandbox with uvicorn (appid and secret from LINLI_ settings)."""
    import uvicorn

    from bot.sandbox import create_sandbox

    settings = load_settings()
    app = create_sandbox(app_id=settings.wechat_app_id, app_secret=settings.wechat_app_secret)
    typer.echo(f"WeChat sandbox for {settings.wechat_app_id} on http://{host}:{port}")
    # One process: the sandbox's state is in memory, so it must never run with several workers.
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":
    typer.run(sandbox_api)
