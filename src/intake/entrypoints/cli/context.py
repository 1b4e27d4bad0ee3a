"""What every command is given: where the config is, and the application built from it."""

from __future__ import annotations

from pathlib import Path

import click

from intake.bootstrap import App, build_app
from intake.config import config_path_from, load_settings


class Context:
    def __init__(self, config: str | None) -> None:
        self.config_option = config

    def settings_path(self) -> Path:
        return config_path_from(self.config_option)

    def app(self, *, check_schema: bool = True) -> App:
        return build_app(load_settings(self.settings_path()), check_schema=check_schema)


pass_ctx = click.make_pass_decorator(Context)
