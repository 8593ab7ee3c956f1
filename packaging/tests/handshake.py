"""Starts an installed server the way an MCP client does and checks it answers.

Usage: handshake.py COMMAND [ARG...]
Runs COMMAND ARG... (inheriting this process's environment and working directory) as an MCP
stdio server through the official MCP Python SDK: the initialize handshake, tools/list, and
one list_users call. Prints one JSON line (protocol, tool count, a user's login); exits 1
with the reason when the server does not answer as it should.
"""

import asyncio
import json
import os
import sys

from mcp import Client, StdioServerParameters


async def main() -> None:
    command, args = sys.argv[1], sys.argv[2:]
    server = StdioServerParameters(command=command, args=args, env=dict(os.environ), cwd=os.getcwd())
    async with Client(server, mode="legacy", read_timeout_seconds=60) as client:
        listed = await client.list_tools()
        names = [t.name for t in listed.tools]
        if "list_users" not in names:
            sys.exit(f"tools/list has no list_users: {names}")
        users = await client.call_tool("list_users", {"limit": 1, "fields": "id,profile.login"})
        if users.is_error:
            sys.exit(f"list_users failed: {users.content}")
        print(
            json.dumps(
                {
                    "protocol": str(client.session.protocol_version),
                    "tools": len(names),
                    "list_users": users.structured_content,
                }
            )
        )


asyncio.run(main())
