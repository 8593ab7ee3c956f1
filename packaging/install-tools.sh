#!/usr/bin/env bash
# Installs what `cargo run -p xtask -- package` needs, inside target/ (nothing global):
#   target/venv-mcp   Python: the MCP SDK (also used by the interop tests), maturin, wheel, uv, jsonschema
#   target/npm-tools  the MCP Bundle CLI (@anthropic-ai/mcpb)
set -euo pipefail
cd "$(dirname "$0")/.."
python="target/venv-mcp/bin/python"
[ -d target/venv-mcp/Scripts ] && python="target/venv-mcp/Scripts/python"   # Windows
if [ ! -x "$python" ] && [ ! -x "$python.exe" ]; then
  python3 -m venv target/venv-mcp 2>/dev/null || python -m venv target/venv-mcp
  [ -d target/venv-mcp/Scripts ] && python="target/venv-mcp/Scripts/python"
fi
"$python" -m pip install -q --disable-pip-version-check \
  "mcp>=2.3,<3" "maturin>=1.9,<2" "wheel>=0.40" "uv>=0.8" "jsonschema>=4.18"
mkdir -p target/npm-tools
npm install -s --no-audit --no-fund --prefix target/npm-tools "@anthropic-ai/mcpb@^2.1"
