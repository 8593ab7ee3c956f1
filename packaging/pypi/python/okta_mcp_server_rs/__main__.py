"""`okta-mcp-server-rs` and `python -m okta_mcp_server_rs`: become the native binary."""

import os
import subprocess
import sys

from okta_mcp_server_rs import find_binary


def main() -> None:
    try:
        binary = find_binary()
    except FileNotFoundError as e:
        sys.stderr.write(f"{e}\n")
        sys.exit(1)
    args = [binary, *sys.argv[1:]]
    if sys.platform == "win32":
        # No exec on Windows: run it with inherited stdio (MCP's JSON-RPC) and pass its status on.
        sys.exit(subprocess.call(args))
    # Replace this Python process, so the MCP client talks to the server directly.
    os.execv(binary, args)


if __name__ == "__main__":
    main()
