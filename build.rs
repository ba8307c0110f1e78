//! Finds libchrony and generates its Rust bindings with bindgen.
//!
//! Order of search (the first that answers wins):
//! 1. `LIBCHRONY_LIB_DIR` (and `LIBCHRONY_INCLUDE_DIR` for the header), set by hand;
//! 2. pkg-config `libchrony` (Fedora/EL `libchrony-devel`), unless `LIBCHRONY_NO_PKG_CONFIG`;
//! 3. the usual prefixes, /usr and /usr/local (Debian/Ubuntu, where `scripts/setup`
//!    installs upstream libchrony 0.2 from the pychrony wheel into /usr/local/lib).
//!
//! The bindings come from the `chrony.h` that was found; where the library has no
//! header (the wheel ships none) they come from `src/ffi/chrony.h`, the project's
//! own declaration of the API subset it uses.

use std::env;
use std::path::{Path, PathBuf};

/// Environment variables this script reads; each one re-runs it when changed.
const ENV_VARS: &[&str] = &[
    "LIBCHRONY_LIB_DIR",
    "LIBCHRONY_INCLUDE_DIR",
    "LIBCHRONY_NO_PKG_CONFIG",
    "LIBCHRONY_STATIC",
];

/// The project's own declaration of the API, used when no header is installed.
const BUNDLED_HEADER: &str = "src/ffi/chrony.h";

/// Prefixes searched as a last resort.
const PREFIXES: &[&str] = &["/usr/local", "/usr"];

/// Library directories under each prefix.
const LIB_SUBDIRS: &[&str] = &[
    "lib",
    "lib64",
    "lib/x86_64-linux-gnu",
    "lib/aarch64-linux-gnu",
];

/// Where libchrony was found.
struct Found {
    /// Directories that may hold `chrony.h`.
    include_dirs: Vec<PathBuf>,
}

fn main() {
    for var in ENV_VARS {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed={BUNDLED_HEADER}");
    println!("cargo:rerun-if-changed=build.rs");

    let found = match find_library() {
        Ok(found) => found,
        Err(why) => fail(&why),
    };
    let header = find_header(&found.include_dirs);
    println!("cargo:rerun-if-changed={}", header.display());
    if let Err(why) = generate_bindings(&header) {
        fail(&format!(
            "could not generate bindings from {}: {why}",
            header.display()
        ));
    }
}

/// Prints one actionable message and stops the build without a backtrace.
fn fail(why: &str) -> ! {
    eprintln!(
        "error: libchrony not found: {why}\n\
         Install it with `scripts/setup` (Debian/Ubuntu: upstream libchrony 0.2 into /usr/local/lib; \
         Fedora/EL: `dnf install libchrony-devel`), or set LIBCHRONY_LIB_DIR to the directory that \
         holds libchrony.so (and LIBCHRONY_INCLUDE_DIR to the one that holds chrony.h, if any)."
    );
    std::process::exit(1);
}

/// Finds the library and tells cargo how to link it.
fn find_library() -> Result<Found, String> {
    let include_from_env: Vec<PathBuf> = env::var_os("LIBCHRONY_INCLUDE_DIR")
        .map(|d| vec![PathBuf::from(d)])
        .unwrap_or_default();

    if let Some(dir) = env::var_os("LIBCHRONY_LIB_DIR") {
        let dir = PathBuf::from(dir);
        if !link_from_dir(&dir) {
            return Err(format!(
                "LIBCHRONY_LIB_DIR={} holds neither libchrony.so nor libchrony.so.0",
                dir.display()
            ));
        }
        return Ok(Found {
            include_dirs: include_from_env,
        });
    }

    if env::var_os("LIBCHRONY_NO_PKG_CONFIG").is_none() {
        if let Ok(lib) = pkg_config::Config::new()
            .atleast_version("0.1")
            .probe("libchrony")
        {
            let mut include_dirs = include_from_env;
            include_dirs.extend(lib.include_paths);
            return Ok(Found { include_dirs });
        }
    }

    for prefix in PREFIXES {
        for sub in LIB_SUBDIRS {
            if link_from_dir(&Path::new(prefix).join(sub)) {
                let mut include_dirs = include_from_env;
                include_dirs.push(Path::new(prefix).join("include"));
                return Ok(Found { include_dirs });
            }
        }
    }
    Err("no pkg-config `libchrony`, and no libchrony.so in /usr or /usr/local".into())
}

/// Emits the link flags for a libchrony in `dir`, if there is one.
fn link_from_dir(dir: &Path) -> bool {
    let kind = if env::var_os("LIBCHRONY_STATIC").is_some() {
        "static"
    } else {
        "dylib"
    };
    if kind == "static" && dir.join("libchrony.a").is_file() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static=chrony");
        return true;
    }
    if dir.join("libchrony.so").exists() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=dylib=chrony");
        return true;
    }
    // A runtime-only install (no development symlink): link the soname itself.
    if dir.join("libchrony.so.0").exists() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=dylib:+verbatim=libchrony.so.0");
        return true;
    }
    false
}

/// The installed `chrony.h` if there is one, else the bundled declaration.
fn find_header(include_dirs: &[PathBuf]) -> PathBuf {
    include_dirs
        .iter()
        .map(|dir| dir.join("chrony.h"))
        .find(|h| h.is_file())
        .unwrap_or_else(|| PathBuf::from(BUNDLED_HEADER))
}

/// Runs bindgen on `header`, keeping only libchrony's own names.
fn generate_bindings(header: &Path) -> Result<(), String> {
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?).join("bindings.rs");
    bindgen::Builder::default()
        .header(header.to_string_lossy())
        .allowlist_function("chrony_.*")
        .allowlist_type("chrony_.*")
        // C enums as plain integer constants: a value the library adds later
        // must not be undefined behaviour in Rust.
        .constified_enum_module("chrony_.*")
        .layout_tests(false)
        .generate_comments(false)
        .generate()
        .map_err(|e| e.to_string())?
        .write_to_file(&out)
        .map_err(|e| format!("writing {}: {e}", out.display()))
}
