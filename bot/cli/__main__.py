"""`python -m bot.cli`: the same as the `linli` command."""

from bot.cli.main import app

app()
