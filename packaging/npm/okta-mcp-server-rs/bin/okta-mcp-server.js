#!/usr/bin/env node
// Runs the okta-mcp-server binary from the platform package npm installed beside this one
// (okta-mcp-server-rs-<platform>-<arch>, an optional dependency: npm installs only the one
// whose "os" and "cpu" match). stdio is inherited untouched: it carries MCP's JSON-RPC.
"use strict";

const { spawn } = require("node:child_process");
const path = require("node:path");

const platformPackage = `okta-mcp-server-rs-${process.platform}-${process.arch}`;
const executable = process.platform === "win32" ? "okta-mcp-server.exe" : "okta-mcp-server";

function binaryPath() {
  try {
    const manifest = require.resolve(`${platformPackage}/package.json`);
    return path.join(path.dirname(manifest), "bin", executable);
  } catch {
    process.stderr.write(
      `okta-mcp-server-rs: no binary for ${process.platform}-${process.arch}: the package ` +
        `${platformPackage} is not installed. It is an optional dependency, so it is skipped ` +
        `when installing with --omit=optional or --no-optional, or on a platform without a ` +
        `prebuilt binary. Reinstall without those flags, or install with ` +
        `\`cargo install okta-mcp-server\` or \`uvx okta-mcp-server-rs\`.\n`,
    );
    process.exit(1);
  }
}

const child = spawn(binaryPath(), process.argv.slice(2), { stdio: "inherit" });
// Pass termination on to the server, then leave with its status.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (err) => {
  process.stderr.write(`okta-mcp-server-rs: cannot start ${binaryPath()}: ${err.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so the caller sees what happened to the server.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
