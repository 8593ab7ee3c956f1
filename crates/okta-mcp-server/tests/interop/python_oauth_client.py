"""Signs in to the team server with the official MCP Python SDK's OAuth client, as a real
client would: discovery from the 401, dynamic client registration, authorization code +
PKCE, tokens, then MCP calls. The browser is scripted: the redirect handler follows our
/authorize to the sandbox org, approves the sign-in there as LOGIN, follows the callback
back, and hands the code to the SDK.

Usage: python_oauth_client.py MCP_URL SANDBOX_URL APPROVE_PATH LOGIN PASSWORD SCOPE TOOL ARGS_JSON
  SCOPE  space-separated scopes the client registers with ("" = let the server choose)
Prints one JSON object: tool names, the TOOL result, how many sign-ins the SDK ran, and the
SDK's tokens (for the test's log scan).
"""

import asyncio
import json
import sys
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

REDIRECT_URI = "http://127.0.0.1:9/callback"


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def main() -> None:
    mcp_url, sandbox, approve_path, login, password, scope, tool, args = sys.argv[1:9]
    pending: dict[str, str | None] = {}
    sign_ins: list[str] = []
    seen_secrets: list[str] = []

    async def on_redirect(authorize_url: str) -> None:
        sign_ins.append(parse_qs(urlparse(authorize_url).query).get("scope", [""])[0])
        async with httpx2.AsyncClient(follow_redirects=False, timeout=60) as http:
            to_okta = (await http.get(authorize_url)).headers["location"]
            approved = (
                await http.post(
                    sandbox + approve_path,
                    json={"authorize_url": to_okta, "username": login, "password": password},
                )
            ).json()
            callback = approved["redirect_to"]
            seen_secrets.extend(parse_qs(urlparse(callback).query).get("code", []))
            back = (await http.get(callback)).headers["location"]
        query = parse_qs(urlparse(back).query)
        if "code" not in query:
            raise RuntimeError(f"the server sent the client back without a code: {back}")
        pending["code"] = query["code"][0]
        pending["state"] = query.get("state", [None])[0]
        pending["iss"] = query.get("iss", [None])[0]
        seen_secrets.append(pending["code"])

    async def on_callback() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=pending["code"], state=pending["state"], iss=pending["iss"])

    storage = MemoryStorage()
    provider = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="python sdk test",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
            scope=scope or None,
        ),
        storage=storage,
        redirect_handler=on_redirect,
        callback_handler=on_callback,
    )
    async with create_mcp_http_client(auth=provider) as http_client:
        transport = streamable_http_client(mcp_url, http_client=http_client)
        async with Client(transport, mode="legacy", read_timeout_seconds=60) as client:
            listed = await client.list_tools()
            result = await client.call_tool(tool, json.loads(args))
            print(
                json.dumps(
                    {
                        "tools": [t.name for t in listed.tools],
                        "result": {"isError": result.is_error, "structured": result.structured_content},
                        "sign_ins": sign_ins,
                        "client_id": storage.client.client_id if storage.client else None,
                        "secrets": seen_secrets
                        + [s for s in [storage.tokens.access_token, storage.tokens.refresh_token] if s],
                    }
                )
            )


asyncio.run(main())
