//! `cargo run -p xtask -- package`: every install artefact, built from ONE release build of
//! the server, each installed the way a user installs it and started against `--demo`:
//!
//! - the release archive (binary, README, LICENSE, shell completions, man page) + SHA-256;
//! - the PyPI wheel (maturin, `bindings = "bin"`): into a fresh venv, and with `uvx --from`;
//! - the npm launcher and this platform's binary package: `npm pack`, installed into a temp
//!   prefix, run with `npx`;
//! - the Claude Desktop bundle (`.mcpb`): validated, packed, unpacked, and the command its
//!   manifest declares started;
//! - `cargo package` of every published crate, and `cargo install --path` of the server;
//! - the MCP registry's `server.json`, validated against the registry's JSON schema.
//!
//! Each started server is driven through the official MCP Python SDK
//! (`packaging/tests/handshake.py`): initialize, tools/list, one list_users call. The tools
//! come from `packaging/install-tools.sh` (a venv and an npm prefix under target/).

use crate::process::clear_okta_env;
use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The PyPI and npm name (`okta-mcp-server` on PyPI is the Python server this one replaces),
/// also the MCP Bundle's name and the last part of the registry name.
pub const PACKAGE_NAME: &str = "okta-mcp-server-rs";
/// The installed command, the crate and the binary.
const BIN: &str = "okta-mcp-server";
/// The crates published to crates.io, each after those it depends on (dev-dependencies too).
const PUBLISHED_CRATES: [&str; 4] = [
    "okta-sandbox",
    "okta-auth",
    "okta-client",
    "okta-mcp-server",
];
/// Where the release workflow publishes the bundle; the registry entry points at it.
const RELEASE_DOWNLOADS: &str =
    "https://github.com/okta-mcp-server/okta-mcp-server-rs/releases/download";

/// A platform a binary is built for, named as npm names it (`process.platform`-`process.arch`).
struct Platform {
    npm: &'static str,
    os: &'static str,
    cpu: &'static str,
    rust_target: &'static str,
    /// npm's `libc` field: a glibc build does not run on musl (Alpine).
    libc: Option<&'static str>,
    exe_suffix: &'static str,
}

/// Every platform the npm launcher declares; .github/workflows/release.yml builds each.
const PLATFORMS: [Platform; 5] = [
    Platform {
        npm: "linux-x64",
        os: "linux",
        cpu: "x64",
        rust_target: "x86_64-unknown-linux-gnu",
        libc: Some("glibc"),
        exe_suffix: "",
    },
    Platform {
        npm: "linux-arm64",
        os: "linux",
        cpu: "arm64",
        rust_target: "aarch64-unknown-linux-gnu",
        libc: Some("glibc"),
        exe_suffix: "",
    },
    Platform {
        npm: "darwin-x64",
        os: "darwin",
        cpu: "x64",
        rust_target: "x86_64-apple-darwin",
        libc: None,
        exe_suffix: "",
    },
    Platform {
        npm: "darwin-arm64",
        os: "darwin",
        cpu: "arm64",
        rust_target: "aarch64-apple-darwin",
        libc: None,
        exe_suffix: "",
    },
    Platform {
        npm: "win32-x64",
        os: "win32",
        cpu: "x64",
        rust_target: "x86_64-pc-windows-msvc",
        libc: None,
        exe_suffix: ".exe",
    },
];

/// The platform this machine builds for.
fn host_platform() -> anyhow::Result<&'static Platform> {
    let (os, cpu) = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => ("linux", "x64"),
        ("linux", "aarch64") => ("linux", "arm64"),
        ("macos", "x86_64") => ("darwin", "x64"),
        ("macos", "aarch64") => ("darwin", "arm64"),
        ("windows", "x86_64") => ("win32", "x64"),
        (os, arch) => bail!("no package is declared for {os}-{arch}"),
    };
    Ok(PLATFORMS
        .iter()
        .find(|p| p.os == os && p.cpu == cpu)
        .expect("every host matched above is in PLATFORMS"))
}

pub struct Options {
    /// A Python with the MCP SDK, maturin, uv and jsonschema (packaging/install-tools.sh).
    pub python: Option<PathBuf>,
    /// The npm prefix holding @anthropic-ai/mcpb (packaging/install-tools.sh).
    pub npm_tools: Option<PathBuf>,
}

/// Paths and tools shared by the steps.
struct Packager {
    root: PathBuf,
    target: PathBuf,
    /// target/dist: every artefact, and the scratch space of the install tests.
    dist: PathBuf,
    /// The release binary every package carries.
    bin: PathBuf,
    version: &'static str,
    platform: &'static Platform,
    python: PathBuf,
    /// The `mcpb` CLI.
    mcpb: PathBuf,
    /// The @anthropic-ai/mcpb package, whose config resolver the bundle test uses.
    mcpb_package: PathBuf,
    /// (step, seconds, what it produced), printed at the end.
    summary: Vec<(String, Duration, String)>,
}

pub fn run(options: Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .context("the workspace root")?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let platform = host_platform()?;
    let python = options
        .python
        .or_else(|| std::env::var_os("OKTA_MCP_TEST_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| {
            let (dir, exe) = if cfg!(windows) {
                ("Scripts", "python.exe")
            } else {
                ("bin", "python")
            };
            target.join("venv-mcp").join(dir).join(exe)
        });
    let npm_tools = options
        .npm_tools
        .unwrap_or_else(|| target.join("npm-tools"))
        .join("node_modules");
    let mcpb = npm_tools
        .join(".bin")
        .join(if cfg!(windows) { "mcpb.cmd" } else { "mcpb" });
    for (what, path) in [("a Python with the tools", &python), ("mcpb", &mcpb)] {
        ensure!(
            path.exists(),
            "{what} not found at {}: run packaging/install-tools.sh",
            path.display()
        );
    }
    let dist = target.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).with_context(|| format!("clearing {}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist)?;
    let mut packager = Packager {
        bin: target
            .join("release")
            .join(format!("{BIN}{}", platform.exe_suffix)),
        root,
        target,
        dist,
        version: env!("CARGO_PKG_VERSION"),
        platform,
        python,
        mcpb,
        mcpb_package: npm_tools.join("@anthropic-ai/mcpb"),
        summary: Vec::new(),
    };
    packager.step("versions agree", Packager::check_versions)?;
    packager.step("release build", Packager::release_build)?;
    packager.step("release archive", Packager::release_archive)?;
    packager.step("PyPI wheel", Packager::wheel)?;
    packager.step("npm packages", Packager::npm)?;
    packager.step("MCP Bundle", Packager::bundle)?;
    packager.step("MCP registry server.json", Packager::registry)?;
    packager.step("cargo package", Packager::cargo_package)?;
    packager.step("cargo install", Packager::cargo_install)?;
    let mut table = String::from("\npackage summary:\n");
    for (name, took, note) in &packager.summary {
        let _ = writeln!(table, "  {name:<26} {:>7.1} s  {note}", took.as_secs_f64());
    }
    let _ = writeln!(
        table,
        "  {:<26} {:>7.1} s  artefacts in {}",
        "total",
        started.elapsed().as_secs_f64(),
        packager.dist.display()
    );
    eprintln!("{table}");
    // The plain closing line CI reads as a test result: every step above is a check.
    eprintln!("package: {} passed, 0 failed", packager.summary.len());
    Ok(())
}

impl Packager {
    fn step(
        &mut self,
        name: &str,
        work: impl FnOnce(&mut Packager) -> anyhow::Result<String>,
    ) -> anyhow::Result<()> {
        eprintln!("== package: {name}");
        let start = Instant::now();
        let note = work(self).with_context(|| format!("package step \"{name}\" failed"))?;
        let took = start.elapsed();
        eprintln!("   ok in {:.1} s: {note}", took.as_secs_f64());
        self.summary.push((name.to_owned(), took, note));
        Ok(())
    }

    fn packaging(&self, rel: &str) -> PathBuf {
        self.root.join("packaging").join(rel)
    }

    /// Every file that states the version states the crate's.
    fn check_versions(&mut self) -> anyhow::Result<String> {
        let mut wrong = Vec::new();
        let mut expect = |file: &str, what: &str, found: &Value| {
            if found.as_str() != Some(self.version) {
                wrong.push(format!("{file}: {what} is {found}"));
            }
        };
        let launcher = read_json(&self.packaging("npm/okta-mcp-server-rs/package.json"))?;
        expect("npm package.json", "version", &launcher["version"]);
        let optional = launcher["optionalDependencies"]
            .as_object()
            .context("npm package.json has no optionalDependencies")?;
        for platform in &PLATFORMS {
            let name = format!("{PACKAGE_NAME}-{}", platform.npm);
            expect(
                "npm package.json",
                &name,
                optional.get(&name).unwrap_or(&Value::Null),
            );
        }
        ensure!(
            optional.len() == PLATFORMS.len(),
            "npm package.json declares {} platform packages, xtask knows {}",
            optional.len(),
            PLATFORMS.len()
        );
        let manifest = read_json(&self.packaging("mcpb/manifest.json"))?;
        expect("mcpb manifest.json", "version", &manifest["version"]);
        let server = read_json(&self.packaging("mcp-registry/server.json"))?;
        expect("server.json", "version", &server["version"]);
        for package in server["packages"].as_array().into_iter().flatten() {
            expect(
                "server.json",
                &format!("the {} package's version", package["registryType"]),
                &package["version"],
            );
        }
        ensure!(
            wrong.is_empty(),
            "versions differ from the crate's {}; set them all to it:\n  {}",
            self.version,
            wrong.join("\n  ")
        );
        Ok(format!("all {}", self.version))
    }

    /// `cargo build --release`: a no-op when the binary is current (as after `cargo build`).
    fn release_build(&mut self) -> anyhow::Result<String> {
        let mut cargo = cargo();
        cargo
            .current_dir(&self.root)
            .args(["build", "--release", "--locked", "-p", BIN]);
        run_visible(&mut cargo)?;
        let size = std::fs::metadata(&self.bin)
            .with_context(|| format!("no binary at {}", self.bin.display()))?
            .len();
        Ok(format!("{} ({})", self.bin.display(), mib(size)))
    }

    /// `okta-mcp-server-VERSION-TARGET.tar.gz` and its `.sha256` (`sha256sum -c` format), then
    /// unpacked and started.
    fn release_archive(&mut self) -> anyhow::Result<String> {
        let name = format!("{BIN}-{}-{}", self.version, self.platform.rust_target);
        let stage = self.dist.join("stage").join(&name);
        std::fs::create_dir_all(stage.join("completions"))?;
        std::fs::create_dir_all(stage.join("man"))?;
        let exe = format!("{BIN}{}", self.platform.exe_suffix);
        copy_executable(&self.bin, &stage.join(&exe))?;
        for file in ["README.md", "LICENSE"] {
            std::fs::copy(self.root.join(file), stage.join(file))
                .with_context(|| format!("copying {file}"))?;
        }
        for (shell, file) in [
            ("bash", format!("{BIN}.bash")),
            ("zsh", format!("_{BIN}")),
            ("fish", format!("{BIN}.fish")),
        ] {
            let script = capture(Command::new(&self.bin).args(["completions", shell]))?;
            std::fs::write(stage.join("completions").join(file), script.stdout)?;
        }
        let page = capture(Command::new(&self.bin).arg("man"))?;
        std::fs::write(stage.join("man").join(format!("{BIN}.1")), page.stdout)?;

        let archive = self.dist.join(format!("{name}.tar.gz"));
        run_quiet(
            Command::new("tar")
                .arg("-czf")
                .arg(&archive)
                .arg("-C")
                .arg(stage.parent().expect("stage has a parent"))
                .arg(&name),
        )?;
        let digest = sha256_file(&archive)?;
        let sums = self.dist.join(format!("{name}.tar.gz.sha256"));
        std::fs::write(&sums, format!("{digest}  {name}.tar.gz\n"))?;

        // What a user does with it: check the sum (`sha256sum -c` where there is one), unpack, run.
        if cfg!(target_os = "linux") {
            let check = capture(
                Command::new("sha256sum")
                    .arg("-c")
                    .arg(sums.file_name().expect("a file name"))
                    .current_dir(&self.dist),
            )?;
            ensure!(
                String::from_utf8_lossy(&check.stdout).contains(": OK"),
                "sha256sum -c did not confirm the archive"
            );
        }
        let unpacked = self.dist.join("try-archive");
        std::fs::create_dir_all(&unpacked)?;
        run_quiet(
            Command::new("tar")
                .arg("-xzf")
                .arg(&archive)
                .arg("-C")
                .arg(&unpacked),
        )?;
        let shipped = unpacked.join(&name).join(&exe);
        let answer = self.handshake(&shipped, &["--demo"], &unpacked, &[])?;
        Ok(format!(
            "{} ({}), sha256 {digest}; {answer}",
            archive.display(),
            mib(file_len(&archive)?)
        ))
    }

    /// The wheel (maturin, pointed at the same target dir and profile, so the release build
    /// above is reused), installed into a fresh venv and run with `uvx --from`.
    fn wheel(&mut self) -> anyhow::Result<String> {
        let built_dir = self.dist.join("wheels-maturin");
        let build_started = Instant::now();
        let built = capture(
            with_cargo_env_of_a_shell(Command::new(&self.python))
                .args(["-m", "maturin", "build", "--release", "--locked", "--out"])
                .arg(&built_dir)
                .arg("--target-dir")
                .arg(&self.target)
                .current_dir(self.packaging("pypi")),
        )?;
        let maturin_log = String::from_utf8_lossy(&built.stderr).into_owned();
        let rebuilt = maturin_log.contains(&format!("Compiling {BIN} "));
        let build_took = build_started.elapsed();
        let wheel = self.add_package_named_script(&only_file(&built_dir, ".whl")?)?;

        // The binary in the wheel is the release binary, byte for byte.
        let venv = self.dist.join("venv-wheel");
        run_quiet(Command::new(&self.python).args(["-m", "venv"]).arg(&venv))?;
        let venv_bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
        run_quiet(
            Command::new(venv_bin.join("python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "--no-index",
                ])
                .arg(&wheel),
        )?;
        let installed = venv_bin.join(format!("{BIN}{}", self.platform.exe_suffix));
        ensure!(
            sha256_file(&installed)? == sha256_file(&self.bin)?,
            "the wheel's {BIN} differs from {}",
            self.bin.display()
        );
        let venv_answer =
            self.handshake(&venv_bin.join(PACKAGE_NAME), &["--demo"], &self.dist, &[])?;

        // uv from PyPI, with its cache and tool dirs kept inside dist.
        let uv_home = self.dist.join("uv");
        let uv_env = [
            ("UV_CACHE_DIR", uv_home.join("cache")),
            ("UV_TOOL_DIR", uv_home.join("tools")),
            ("UV_PYTHON_PREFERENCE", PathBuf::from("only-system")),
        ];
        let uv_env: Vec<(&str, &Path)> = uv_env.iter().map(|(k, v)| (*k, v.as_path())).collect();
        let uv = python_tool(&self.python, "uvx");
        let wheel_arg = wheel.to_string_lossy().into_owned();
        let uvx_answer = self.handshake(
            &uv,
            &["--from", &wheel_arg, PACKAGE_NAME, "--demo"],
            &self.dist,
            &uv_env,
        )?;
        Ok(format!(
            "{} ({}); maturin {:.1} s, {}; venv: {venv_answer}; uvx: {uvx_answer}",
            wheel.display(),
            mib(file_len(&wheel)?),
            build_took.as_secs_f64(),
            if rebuilt {
                "RECOMPILED the server (the release build was not reused)"
            } else {
                "reused the release build"
            }
        ))
    }

    /// Adds the `okta-mcp-server-rs` console script to maturin's wheel: `uvx NAME` runs the
    /// script named like the package, and maturin refuses scripts beside a binary (see
    /// packaging/pypi/pyproject.toml). `wheel unpack` / `wheel pack` rewrite RECORD.
    fn add_package_named_script(&self, built: &Path) -> anyhow::Result<PathBuf> {
        let unpacked = self.dist.join("wheel-unpacked");
        run_quiet(
            Command::new(&self.python)
                .args(["-m", "wheel", "unpack", "--dest"])
                .arg(&unpacked)
                .arg(built),
        )?;
        let root = only_file(&unpacked, "")?;
        let dist_info = only_file(&root, ".dist-info")?;
        std::fs::write(
            dist_info.join("entry_points.txt"),
            format!("[console_scripts]\n{PACKAGE_NAME} = okta_mcp_server_rs.__main__:main\n"),
        )?;
        let out = self.dist.join("wheels");
        std::fs::create_dir_all(&out)?;
        run_quiet(
            Command::new(&self.python)
                .args(["-m", "wheel", "pack", "--dest-dir"])
                .arg(&out)
                .arg(&root),
        )?;
        only_file(&out, ".whl")
    }

    /// The launcher and this platform's package: packed, installed from the tarballs into a
    /// temporary prefix, and started with `npx` from there.
    fn npm(&mut self) -> anyhow::Result<String> {
        let out = self.dist.join("npm");
        let launcher = out.join(PACKAGE_NAME);
        copy_tree(&self.packaging("npm/okta-mcp-server-rs"), &launcher)?;
        std::fs::copy(self.root.join("LICENSE"), launcher.join("LICENSE"))?;

        let platform_name = format!("{PACKAGE_NAME}-{}", self.platform.npm);
        let platform_dir = out.join(&platform_name);
        let exe = format!("{BIN}{}", self.platform.exe_suffix);
        std::fs::create_dir_all(platform_dir.join("bin"))?;
        copy_executable(&self.bin, &platform_dir.join("bin").join(&exe))?;
        std::fs::copy(self.root.join("LICENSE"), platform_dir.join("LICENSE"))?;
        std::fs::write(
            platform_dir.join("README.md"),
            format!(
                "# {platform_name}\n\nThe `{BIN}` binary for {}, run by the \
                 [{PACKAGE_NAME}](https://www.npmjs.com/package/{PACKAGE_NAME}) launcher: \
                 install that one (`npx -y {PACKAGE_NAME}`).\n",
                self.platform.npm
            ),
        )?;
        let mut manifest = json!({
            "name": platform_name,
            "version": self.version,
            "description": format!("The {BIN} binary for {} (installed by {PACKAGE_NAME})", self.platform.npm),
            "license": "Apache-2.0",
            "homepage": "https://github.com/okta-mcp-server/okta-mcp-server-rs",
            "repository": {"type": "git", "url": "git+https://github.com/okta-mcp-server/okta-mcp-server-rs.git"},
            "os": [self.platform.os],
            "cpu": [self.platform.cpu],
            "files": [format!("bin/{exe}"), "README.md", "LICENSE"],
            "preferUnplugged": true,
        });
        if let Some(libc) = self.platform.libc {
            manifest["libc"] = json!([libc]);
        }
        std::fs::write(
            platform_dir.join("package.json"),
            serde_json::to_string_pretty(&manifest)? + "\n",
        )?;

        let mut tarballs = Vec::new();
        for dir in [&platform_dir, &launcher] {
            let packed = capture(
                Command::new("npm")
                    .args(["pack", "--json", "--pack-destination"])
                    .arg(&out)
                    .current_dir(dir),
            )?;
            let report: Value =
                serde_json::from_slice(&packed.stdout).context("npm pack --json")?;
            let file = report[0]["filename"]
                .as_str()
                .context("npm pack named no file")?;
            tarballs.push(out.join(file));
        }

        // Installed from the two tarballs only: the launcher's optional dependency on this
        // platform's package is met by the tarball, not the registry.
        let prefix = self.dist.join("try-npm");
        std::fs::create_dir_all(&prefix)?;
        std::fs::write(prefix.join("package.json"), "{\"private\": true}\n")?;
        run_quiet(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--offline"])
                .args(&tarballs)
                .current_dir(&prefix),
        )?;
        let answer = self.handshake(
            Path::new("npx"),
            &["--yes=false", "--offline", PACKAGE_NAME, "--demo"],
            &prefix,
            &[],
        )?;
        let sizes: Vec<String> = tarballs
            .iter()
            .map(|t| {
                format!(
                    "{} ({})",
                    t.file_name().unwrap_or_default().to_string_lossy(),
                    mib(file_len(t).unwrap_or(0))
                )
            })
            .collect();
        Ok(format!("{}; npx: {answer}", sizes.join(", ")))
    }

    /// The Claude Desktop bundle for this platform: validated, packed, unpacked, and started
    /// with the command line and environment its manifest declares (demo mode switched on).
    fn bundle(&mut self) -> anyhow::Result<String> {
        let stage = self.dist.join("mcpb-stage");
        let exe = format!("{BIN}{}", self.platform.exe_suffix);
        std::fs::create_dir_all(stage.join("server"))?;
        copy_executable(&self.bin, &stage.join("server").join(&exe))?;
        std::fs::copy(self.root.join("LICENSE"), stage.join("LICENSE"))?;
        // One bundle per platform: it carries this platform's binary only.
        let mut manifest = read_json(&self.packaging("mcpb/manifest.json"))?;
        manifest["compatibility"]["platforms"] = json!([self.platform.os]);
        std::fs::write(
            stage.join("manifest.json"),
            serde_json::to_string_pretty(&manifest)? + "\n",
        )?;
        run_quiet(
            Command::new(&self.mcpb)
                .arg("validate")
                .arg(stage.join("manifest.json")),
        )?;
        let bundle = self.dist.join(format!(
            "{PACKAGE_NAME}-{}-{}.mcpb",
            self.version, self.platform.npm
        ));
        run_quiet(
            Command::new(&self.mcpb)
                .arg("pack")
                .arg(&stage)
                .arg(&bundle),
        )?;

        let unpacked = self.dist.join("try-mcpb");
        run_quiet(
            Command::new(&self.mcpb)
                .arg("unpack")
                .arg(&bundle)
                .arg(&unpacked),
        )?;
        // The command line as a bundle host resolves it, with only "demo mode" switched on
        // (every other field left blank, as a user trying it would).
        let resolved = capture(
            Command::new("node")
                .arg(self.packaging("tests/mcpb-launch.mjs"))
                .arg(&self.mcpb_package)
                .arg(&unpacked)
                .arg(r#"{"demo": true}"#),
        )?;
        let launch: Value =
            serde_json::from_slice(&resolved.stdout).context("mcpb-launch.mjs output")?;
        let command = launch["command"]
            .as_str()
            .context("the resolved config has no command")?;
        let args: Vec<&str> = launch["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let env_values: Vec<(String, PathBuf)> = launch["env"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), PathBuf::from(v.as_str().unwrap_or_default())))
            .collect();
        let env: Vec<(&str, &Path)> = env_values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_path()))
            .collect();
        ensure!(
            Path::new(command).starts_with(&unpacked),
            "the declared command {command} is not inside the bundle"
        );
        let answer = self.handshake(Path::new(command), &args, &unpacked, &env)?;
        Ok(format!(
            "{} ({}); declared command: {answer}",
            bundle.display(),
            mib(file_len(&bundle)?)
        ))
    }

    /// The committed server.json, and the one the release publishes (with this bundle's
    /// download URL and SHA-256 added), against the registry's schema; a broken copy must fail,
    /// so a validator that accepts anything cannot pass.
    fn registry(&mut self) -> anyhow::Result<String> {
        let committed = self.packaging("mcp-registry/server.json");
        let mut published = read_json(&committed)?;
        let bundle = only_file(&self.dist, ".mcpb")?;
        let bundle_name = bundle.file_name().unwrap_or_default().to_string_lossy();
        published["packages"]
            .as_array_mut()
            .context("server.json has no packages")?
            .push(json!({
                "registryType": "mcpb",
                "identifier": format!("{RELEASE_DOWNLOADS}/v{}/{bundle_name}", self.version),
                "version": self.version,
                "fileSha256": sha256_file(&bundle)?,
                "transport": {"type": "stdio"},
            }));
        let published_path = self.dist.join("server.json");
        std::fs::write(
            &published_path,
            serde_json::to_string_pretty(&published)? + "\n",
        )?;
        let mut broken = published.clone();
        broken["name"] = json!("no-namespace-slash");
        let broken_path = self.dist.join("server.broken.json");
        std::fs::write(&broken_path, serde_json::to_string_pretty(&broken)?)?;

        let validate = |doc: &Path| -> anyhow::Result<Output> {
            capture_any(
                Command::new(&self.python)
                    .arg(self.packaging("mcp-registry/validate.py"))
                    .arg(self.packaging("mcp-registry/server.schema.json"))
                    .arg(doc),
            )
        };
        for doc in [&committed, &published_path] {
            let out = validate(doc)?;
            ensure!(
                out.status.success(),
                "{} does not match the registry schema:\n{}",
                doc.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = validate(&broken_path)?;
        ensure!(
            !out.status.success(),
            "the schema check accepted a server.json whose name has no namespace"
        );
        Ok(format!(
            "{} and {} match the registry schema {}",
            committed.display(),
            published_path.display(),
            read_json(&self.packaging("mcp-registry/server.schema.json"))?["$id"]
        ))
    }

    /// `cargo package` of every published crate: each is built from its own .crate, against
    /// the others' .crate files (not the workspace), as crates.io will see them.
    fn cargo_package(&mut self) -> anyhow::Result<String> {
        forget_stale_local_registry_sources(self.version, &self.target)?;
        let mut cargo = cargo();
        cargo
            .current_dir(&self.root)
            .args(["package", "--locked", "--allow-dirty"]);
        for krate in PUBLISHED_CRATES {
            cargo.args(["-p", krate]);
        }
        run_visible(&mut cargo)?;
        let mut sizes = Vec::new();
        for krate in PUBLISHED_CRATES {
            let file = self
                .target
                .join("package")
                .join(format!("{krate}-{}.crate", self.version));
            sizes.push(format!("{krate} {}", mib(file_len(&file)?)));
        }
        Ok(format!("packaged and verified: {}", sizes.join(", ")))
    }

    /// `cargo install --path crates/okta-mcp-server` into a scratch root. With the workspace's
    /// target dir and the lock file, it reuses the release build; the install is what is tested.
    fn cargo_install(&mut self) -> anyhow::Result<String> {
        let root = self.dist.join("cargo-root");
        let mut cargo = cargo();
        cargo
            .current_dir(&self.root)
            .args([
                "install",
                "--locked",
                "--path",
                "crates/okta-mcp-server",
                "--root",
            ])
            .arg(&root)
            .arg("--target-dir")
            .arg(&self.target);
        run_visible(&mut cargo)?;
        let installed = root
            .join("bin")
            .join(format!("{BIN}{}", self.platform.exe_suffix));
        let answer = self.handshake(&installed, &["--demo"], &self.dist, &[])?;
        Ok(format!("{}: {answer}", installed.display()))
    }

    /// Starts `command args` through the MCP Python SDK (packaging/tests/handshake.py) with
    /// the inherited environment minus OKTA_* plus `env`, in `cwd`; returns its summary line.
    fn handshake(
        &self,
        command: &Path,
        args: &[&str],
        cwd: &Path,
        env: &[(&str, &Path)],
    ) -> anyhow::Result<String> {
        let mut python = Command::new(&self.python);
        python
            .arg(self.packaging("tests/handshake.py"))
            .arg(command)
            .args(args)
            .current_dir(cwd);
        clear_okta_env(&mut python);
        python.envs(env.iter().map(|(k, v)| (k, v.as_os_str())));
        let out = capture(&mut python).with_context(|| {
            format!(
                "the MCP handshake with `{} {}` failed",
                command.display(),
                args.join(" ")
            )
        })?;
        let summary: Value = serde_json::from_slice(&out.stdout).context("handshake output")?;
        let tools = summary["tools"].as_u64().unwrap_or(0);
        ensure!(tools > 0, "the server listed no tools: {summary}");
        Ok(format!(
            "initialize ({}) + tools/list ({tools} tools) + list_users ok",
            summary["protocol"].as_str().unwrap_or("?")
        ))
    }
}

/// A cargo command (maturin runs cargo too) without the package variables `cargo run` gave
/// this process: ring's build script reruns when CARGO_PKG_NAME or CARGO_MANIFEST_DIR differ
/// from the last build's, and with it the whole release build (fat LTO, minutes). Without them
/// the release build made by a plain `cargo build --release` is reused.
fn with_cargo_env_of_a_shell(mut command: Command) -> Command {
    const SET_BY_CARGO_RUN: [&str; 6] = [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_RUSTC_CURRENT_DIR",
    ];
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if SET_BY_CARGO_RUN.iter().any(|p| name.starts_with(p)) {
            command.env_remove(&key);
        }
    }
    command
}

/// Removes what earlier `cargo package` runs left of our crates in `$CARGO_HOME/registry/src`.
///
/// Why: packaging several crates at once "publishes" them to a local registry under
/// `target/package/tmp-registry` and verifies each against the others from there. Cargo
/// unpacks those into `$CARGO_HOME/registry/src/-<hash of that path>/<crate>-<version>` and
/// reuses an unpacked directory without comparing it to the new .crate, so a machine whose
/// cargo home outlives the checkout (a CI cache, a second run from the same path) verifies
/// against last run's sources and fails on anything added since. Our crates are not on
/// crates.io, so nothing else is removed; cargo unpacks the fresh ones again.
///
/// The same holds for what the verification compiled: cargo takes a registry crate of a
/// given version as immutable and reuses its build from `target/debug` without looking at
/// the source, so a kept target dir (a second run here) links last run's okta-auth. Our
/// crates' build fingerprints are removed too; cargo rebuilds the four of them, nothing else.
fn forget_stale_local_registry_sources(version: &str, target: &Path) -> anyhow::Result<()> {
    let fingerprints = target.join("debug").join(".fingerprint");
    if let Ok(entries) = std::fs::read_dir(&fingerprints) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = PUBLISHED_CRATES.iter().any(|krate| {
                name.strip_prefix(krate)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|hash| hash.chars().all(|c| c.is_ascii_hexdigit()))
            });
            if ours {
                std::fs::remove_dir_all(entry.path())
                    .with_context(|| format!("removing {}", entry.path().display()))?;
            }
        }
    }
    let cargo_home = match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home),
        None => {
            PathBuf::from(std::env::var_os("HOME").context("neither CARGO_HOME nor HOME is set")?)
                .join(".cargo")
        }
    };
    let Ok(registries) = std::fs::read_dir(cargo_home.join("registry").join("src")) else {
        return Ok(()); // a fresh cargo home: nothing unpacked yet
    };
    for registry in registries.flatten() {
        for krate in PUBLISHED_CRATES {
            let unpacked = registry.path().join(format!("{krate}-{version}"));
            if unpacked.is_dir() {
                std::fs::remove_dir_all(&unpacked)
                    .with_context(|| format!("removing the stale {}", unpacked.display()))?;
            }
        }
    }
    Ok(())
}

fn cargo() -> Command {
    with_cargo_env_of_a_shell(Command::new(
        std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
    ))
}

/// A console script installed beside `python` (the venv's bin directory).
fn python_tool(python: &Path, name: &str) -> PathBuf {
    python.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        }))
}

fn file_len(path: &Path) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("no file at {}", path.display()))?
        .len())
}

fn mib(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// The one file in `dir` whose name ends with `suffix`.
fn only_file(dir: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        other => bail!(
            "expected one {suffix} in {}, found {other:?}",
            dir.display()
        ),
    }
}

fn copy_executable(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("listing {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Runs a command whose progress is worth seeing (cargo), its output passed through.
fn run_visible(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("starting {}", describe(command)))?;
    ensure!(status.success(), "{} failed ({status})", describe(command));
    Ok(())
}

/// Runs a command for its effect; its output is shown only when it fails.
fn run_quiet(command: &mut Command) -> anyhow::Result<()> {
    capture(command).map(drop)
}

/// Runs a command and returns its output; a failure carries the command and its stderr.
fn capture(command: &mut Command) -> anyhow::Result<Output> {
    let out = capture_any(command)?;
    if !out.status.success() {
        bail!(
            "{} failed ({}):\n{}{}",
            describe(command),
            out.status,
            tail(&out.stdout),
            tail(&out.stderr)
        );
    }
    Ok(out)
}

/// Runs a command and returns its output whatever its exit status.
fn capture_any(command: &mut Command) -> anyhow::Result<Output> {
    command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {}", describe(command)))
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// The last 40 lines of a command's output.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(40);
    lines[from..].iter().fold(String::new(), |mut out, line| {
        let _ = writeln!(out, "{line}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_a_declared_platform_and_names_are_unique() {
        let names: std::collections::HashSet<_> = PLATFORMS.iter().map(|p| p.npm).collect();
        assert_eq!(names.len(), PLATFORMS.len());
        for p in &PLATFORMS {
            assert_eq!(p.npm, format!("{}-{}", p.os, p.cpu));
        }
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert_eq!(host_platform().unwrap().npm, "linux-x64");
        }
    }
}
