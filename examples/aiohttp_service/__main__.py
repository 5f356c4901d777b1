"""`python -m examples.aiohttp_service`: serve the example until Ctrl-C."""

from .app import main

main()
