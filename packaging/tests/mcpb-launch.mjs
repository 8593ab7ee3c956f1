// Prints the command line an unpacked MCP Bundle declares, resolved the way MCP Bundle hosts
// resolve it: by @anthropic-ai/mcpb's own getMcpConfigForManifest (platform overrides,
// ${__dirname}, user_config values over the manifest's defaults, booleans as "true"/"false").
//
// Usage: node mcpb-launch.mjs MCPB_PACKAGE_DIR UNPACKED_BUNDLE_DIR USER_CONFIG_JSON
// Prints one JSON object: {"command": ..., "args": [...], "env": {...}}.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir, bundleDir, userConfigJson] = process.argv.slice(2);
const mcpb = await import(pathToFileURL(path.join(packageDir, "dist", "index.js")).href);
const manifest = JSON.parse(readFileSync(path.join(bundleDir, "manifest.json"), "utf8"));
const config = await mcpb.getMcpConfigForManifest({
  manifest,
  extensionPath: bundleDir,
  systemDirs: {},
  userConfig: JSON.parse(userConfigJson),
  pathSeparator: path.sep,
});
if (!config) {
  process.stderr.write("the manifest declares no runnable mcp_config for this user config\n");
  process.exit(1);
}
process.stdout.write(JSON.stringify({ command: config.command, args: config.args ?? [], env: config.env ?? {} }) + "\n");
