"""okta-mcp-server-rs: the native okta-mcp-server binary, packaged for pip and uvx."""

import os
import sys
import sysconfig

__all__ = ["find_binary"]

_EXE = "okta-mcp-server" + (".exe" if sys.platform == "win32" else "")


def find_binary() -> str:
    """Path of the okta-mcp-server binary this wheel installed into the scripts directory."""
    candidates = [sysconfig.get_path("scripts")]
    user_scheme = f"{os.name}_user" if sys.version_info < (3, 10) else sysconfig.get_preferred_scheme("user")
    try:
        candidates.append(sysconfig.get_path("scripts", scheme=user_scheme))
    except KeyError:
        pass
    for directory in candidates:
        path = os.path.join(directory, _EXE)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"okta-mcp-server-rs: the {_EXE} binary is not in {' or '.join(candidates)}; "
        "reinstall the package (pip install --force-reinstall okta-mcp-server-rs)"
    )
