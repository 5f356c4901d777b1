"""The `rupt_api` logger: one DEBUG line per attempt, never a header or the secret.

Set `RUPT_LOG=debug` in the environment to print those lines to stderr without configuring
logging yourself (like `OPENAI_LOG`); otherwise configure the `rupt_api` logger as usual.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("rupt_api")


def configure_from_environment() -> None:
    level = os.environ.get("RUPT_LOG", "").strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        return
    if not any(getattr(h, "_rupt_env", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler._rupt_env = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
