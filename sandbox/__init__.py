"""liqx-sandbox: a credential-free stand-in for the LIQX, ROZO, Inqud and Mizu payment providers.

The version has one source, `pyproject.toml`, read here from the installed package's metadata.
The data the server needs at run time — contracts and scenarios — ships inside the package under
`sandbox/data/`, so an installed wheel works from any directory.
"""

from importlib import metadata, resources
from pathlib import Path

try:
    __version__ = metadata.version("liqx-sandbox")
except metadata.PackageNotFoundError:  # a bare checkout on sys.path, never installed
    __version__ = "0+unknown"

#: `sandbox/data/`: `contracts/<provider>/<kind>/<name>.schema.json` and `scenarios/*.toml`.
#: Installed wheels are unpacked directories, so the resource root is a real path (globs, mtimes).
DATA_DIR = Path(str(resources.files("sandbox") / "data"))
