//! The viewer page in a real browser: runs `tests/browser/viewer.py` (selenium driving headless
//! Chromium through chromedriver) against `arsim serve`, then checks that each screenshot it
//! wrote under `target/browser/` is not blank.
//!
//! Where Chromium, chromedriver or selenium is missing, the test prints why and passes, unless
//! `ARSIM_BROWSER_REQUIRED=1` (as `.ci/run` sets it, after installing them), where it fails.
//! `ARSIM_BROWSER_PYTHON` names the Python with selenium (default `python3`);
//! `ARSIM_CHROMIUM` and `ARSIM_CHROMEDRIVER` the browser and its driver.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The first of `candidates` that is a file, or on the PATH.
fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().find_map(|c| {
        let p = Path::new(c);
        if p.is_absolute() {
            return p.is_file().then(|| p.to_path_buf());
        }
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(c))
                .find(|f| f.is_file())
        })
    })
}

/// Why the browser test cannot run here, if it cannot.
fn missing(python: &str) -> Option<String> {
    let chromium = std::env::var("ARSIM_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let driver = std::env::var("ARSIM_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    if find(&[&chromium, "chromium-browser"]).is_none() {
        return Some(format!(
            "no Chromium ({chromium}; `apt-get install chromium chromium-driver`)"
        ));
    }
    if find(&[&driver]).is_none() {
        return Some(format!(
            "no chromedriver ({driver}; `apt-get install chromium-driver`)"
        ));
    }
    let selenium = Command::new(python)
        .args(["-c", "import selenium"])
        .status();
    if !selenium.is_ok_and(|s| s.success()) {
        return Some(format!(
            "no selenium for {python} (`pip install selenium`, or set ARSIM_BROWSER_PYTHON)"
        ));
    }
    None
}

/// Whether a PNG has at least `colours` distinct pixel values (a blank page has one or two).
fn distinct_colours(path: &Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let mut seen = std::collections::HashSet::new();
    for p in buf[..info.buffer_size()].chunks(px) {
        seen.insert(p.to_vec());
        if seen.len() > 1000 {
            break;
        }
    }
    seen.len()
}

#[test]
fn the_viewer_in_headless_chromium() {
    let python = std::env::var("ARSIM_BROWSER_PYTHON").unwrap_or_else(|_| "python3".into());
    let required = std::env::var("ARSIM_BROWSER_REQUIRED").is_ok_and(|v| v == "1");
    if let Some(why) = missing(&python) {
        assert!(!required, "ARSIM_BROWSER_REQUIRED=1 but {why}");
        // Written to the process's stderr itself, which the test harness does not capture, so
        // that a plain `cargo test` shows why.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the browser test cannot run here: {why}"
        );
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("target").join("browser");
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(&python)
        .arg(root.join("tests/browser/viewer.py"))
        .arg(env!("CARGO_BIN_EXE_arsim"))
        .arg(&out)
        .current_dir(root)
        .status()
        .expect("python runs");
    assert!(status.success(), "tests/browser/viewer.py failed");
    let shots = [
        "01-loaded.png",
        "02-bb4-mid-run.png",
        "03-error-line.png",
        "04-window-too-small.png",
        "05-bb5-row-9990.png",
        "06-offline-bb4.png",
    ];
    for name in shots {
        let n = distinct_colours(&out.join(name));
        assert!(n > 50, "{name} looks blank: {n} colours");
        println!("{name}: {n}+ colours");
    }
}
