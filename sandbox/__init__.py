"""liqx-sandbox: a credential-free stand-in for the LIQX, ROZO, Inqud and Mizu payment providers."""

from pathlib import Path

__version__ = "0.1.0"

#: The project's root: `contracts/` and `scenarios/` live beside the package so partners can read them.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
