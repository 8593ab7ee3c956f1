"""Drives the server binary with the official MCP Python SDK, as a real client would.

Usage: python_client.py MODE ANSWER TOOL ARGS_JSON
  MODE    legacy (initialize handshake) | auto (server/discover, the 2026-07-28 era)
  ANSWER  none (no elicitation capability) | accept | accept-unticked | decline | cancel
  TOOL, ARGS_JSON  a tool to call after listing tools and calling list_users
The server command is $OKTA_MCP_TEST_SERVER (its environment is inherited), or the
Streamable HTTP endpoint $OKTA_MCP_TEST_URL when set.
Prints one JSON object: the tool names, the list_users result and the TOOL result.
"""

import asyncio
import json
import os
import sys

from mcp import Client, StdioServerParameters, types


async def main() -> None:
    mode, answer, tool, args = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    prompts: list[str] = []

    async def on_elicit(context, params):
        prompts.append(params.message)
        if answer == "accept":
            return types.ElicitResult(action="accept", content={"confirm": True})
        if answer == "accept-unticked":
            return types.ElicitResult(action="accept", content={"confirm": False})
        return types.ElicitResult(action=answer)

    url = os.environ.get("OKTA_MCP_TEST_URL")
    server = url or StdioServerParameters(command=os.environ["OKTA_MCP_TEST_SERVER"], args=[], env=dict(os.environ))
    callback = None if answer == "none" else on_elicit
    async with Client(server, mode=mode, elicitation_callback=callback, read_timeout_seconds=60) as client:
        listed = await client.list_tools()
        users = await client.call_tool("list_users", {"limit": 2})
        result = await client.call_tool(tool, args)
        print(
            json.dumps(
                {
                    "protocol": str(client.session.protocol_version),
                    "tools": [t.name for t in listed.tools],
                    "list_users": {"isError": users.is_error, "structured": users.structured_content},
                    "result": {"isError": result.is_error, "structured": result.structured_content},
                    "prompts": prompts,
                }
            )
        )


asyncio.run(main())
