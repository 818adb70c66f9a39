//! `arsim serve` over real HTTP on loopback: the page and its API go through the front door
//! (the rows are `arsim trace --tokens`'s tokens, a run that leaves the window gets the command
//! line's message), bad requests get JSON errors and the server keeps serving, nothing outside
//! `machines/` and `proofs/` is read, and a bounded load test (200 requests, 8 clients) has no
//! error and reports its latencies.

mod common;
use common::arsim;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `arsim serve --port 0`, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_arsim"))
            .args(["serve", "--port", "0"])
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("arsim serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "arsim serve: http://127.0.0.1:PORT/ (Ctrl-C stops it)"
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        let (tx, rx) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        Server {
            child,
            addr,
            stderr: rx,
        }
    }

    /// One HTTP/1.1 request; the status and the body.
    fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        request(&self.addr, method, path, body)
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, text) = self.request("POST", path, Some(&body.to_string()));
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, v)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").expect("a response");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// The top-level keys docs/json.md lists under `### \`heading\``.
fn documented(heading: &str) -> std::collections::BTreeSet<String> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md")).unwrap();
    let section = doc
        .split(&format!("### `{heading}`"))
        .nth(1)
        .unwrap_or_else(|| panic!("docs/json.md has no section {heading}"));
    let section = section.split("\n#").next().unwrap();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .map(|r| r.split('`').next().unwrap().to_string())
        .filter(|k| !k.contains('.'))
        .collect()
}

fn keys_of(v: &Value) -> std::collections::BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn bb4() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/machines/bb4.ron")).unwrap()
}

/// The tokens `arsim trace --tokens` prints, row by row.
fn cli_tokens(args: &[&str]) -> Vec<Vec<String>> {
    let out = arsim(&[&["trace", "--tokens"], args].concat());
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().skip(1).map(String::from).collect())
        .collect()
}

#[test]
fn the_api_serves_the_command_lines_tokens_and_errors() {
    let server = Server::start(&[]);
    let (status, page) = server.request("GET", "/", None);
    assert_eq!(status, 200);
    assert!(page.contains("<canvas id=\"heatmap\"") && page.contains("arsimViewer"));
    for external in ["src=\"http", "href=\"http", "url(http"] {
        assert!(!page.contains(external), "the page loads {external}…");
    }

    let (status, list) = server.request("GET", "/api/machines", None);
    assert_eq!(status, 200);
    assert!(list.contains("\"bb4.ron\""), "{list}");

    // The summary: compiled, emulated and certified through the front door.
    let (status, s) = server.post("/api/view", &json!({ "machine": bb4(), "name": "bb4.ron" }));
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["schema_version"], 2);
    assert_eq!(s["machine"], "bb4");
    assert_eq!(s["rows"], 108);
    assert_eq!(s["emulation"]["agree"], true);
    assert_eq!(s["emulation"]["length_formula"], "T·(S+1) = 107·15");
    assert_eq!(s["certificate"]["certified"], true);
    assert_eq!(s["certificate"]["min_margin"], 1);
    assert_eq!(keys_of(&s), documented("POST /api/view"));
    let dictionary: Vec<String> = serde_json::from_value(s["dictionary"].clone()).unwrap();

    // Rows, paged: the tokens are the command line's, and each winner is the argmax of its
    // scores and the sum of the weights it read.
    let cli = cli_tokens(&["machines/bb4.ron"]);
    let mut seen = Vec::new();
    for from in (0..108).step_by(40) {
        let (status, page) = server.post(
            "/api/rows",
            &json!({ "machine": bb4(), "name": "bb4.ron", "from_row": from, "rows": 40 }),
        );
        assert_eq!(status, 200, "{page}");
        assert_eq!(keys_of(&page), documented("POST /api/rows"));
        for row in page["rows"].as_array().unwrap() {
            let tokens: Vec<String> = row["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| dictionary[t.as_u64().unwrap() as usize].clone())
                .collect();
            for sc in row["scored"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| !x.is_null())
            {
                let top = sc["top"].as_array().unwrap();
                let sum: f64 = sc["weights"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w["value"].as_f64().unwrap())
                    .sum();
                assert_eq!(top[0][0], sc["winner"]);
                assert_eq!(top[0][1].as_f64().unwrap(), sum);
            }
            seen.push(tokens);
        }
    }
    assert_eq!(seen, cli);

    // A malformed machine: its line; the server keeps serving.
    let bad = bb4().replace("start: \"A\"", "start: \"Q\"");
    let line = bad
        .lines()
        .position(|l| l.contains("start: \"Q\""))
        .unwrap()
        + 1;
    let (status, e) = server.post("/api/view", &json!({ "machine": bad, "name": "bb4.ron" }));
    assert_eq!(status, 400);
    assert_eq!(e["exit_code"], 2);
    assert_eq!(e["lines"], json!([line]), "{e}");
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains(&format!("bb4.ron:{line}:")),
        "{e}"
    );

    // A window too small: the command line's message, word for word.
    let out = arsim(&["emulate", "machines/bb4.ron", "--tape", "5"]);
    let cli_message = String::from_utf8(out.stderr).unwrap();
    let cli_message = cli_message.trim().strip_prefix("error: ").unwrap();
    let (status, e) = server.post(
        "/api/view",
        &json!({ "machine": bb4(), "name": "bb4.ron", "tape": 5, "origin": 0 }),
    );
    assert_eq!(status, 400);
    assert_eq!(e["error"], cli_message);
    assert_eq!(e["summary"]["emulation"]["stop"], "left-window");

    // Bad requests: JSON errors, never a dropped connection.
    for (body, says) in [
        ("{not json", "bad request"),
        (
            r#"{"machine": "1RB1LB_1LA1RZ", "colour": 1}"#,
            "unknown field",
        ),
        (
            r#"{"machine": "1RB1LB_1LA1RZ", "max_steps": 10000000}"#,
            "over the limit",
        ),
        (
            r#"{"machine": "1RB1LB_1LA1RZ", "encoding": "nope"}"#,
            "possible values",
        ),
        (r#"{"machine": "1RB1LB_1LA1RZ", "input": "2"}"#, "--input"),
        (r#"{"machine": "1RB1LB_1LA1RZ", "tape": 0}"#, "window"),
        (
            r#"{"machine": "1RB1LB_1LA1RZ", "tape": 1000000000}"#,
            "wider",
        ),
    ] {
        let (status, text) = server.request("POST", "/api/view", Some(body));
        assert!((400..500).contains(&status), "{body}: {status} {text}");
        let e: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}"));
        assert!(e["error"].as_str().unwrap().contains(says), "{body}: {e}");
    }
    let big = "x".repeat(2 << 20);
    let (status, text) = server.request("POST", "/api/view", Some(&big));
    assert_eq!(status, 413, "{text}");
    // Only machines/ and proofs/, by name.
    for path in [
        "/api/machines/..%2FCargo.toml",
        "/api/machines/Cargo.toml",
        "/proofs/..%2F..%2Fetc%2Fpasswd",
        "/etc/passwd",
    ] {
        let (status, text) = server.request("GET", path, None);
        assert_eq!(status, 404, "{path}: {text}");
    }
    let (status, text) = server.request("GET", "/proofs/cells.md", None);
    assert_eq!(status, 200);
    assert!(text.contains("cells"));
    let (status, _) = server.request("GET", "/", None);
    assert_eq!(status, 200, "still serving");
}

#[test]
fn every_format_goes_through_the_api_and_a_binary_seed_as_bytes() {
    let server = Server::start(&[]);
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let text = |f: &str| std::fs::read_to_string(format!("{data}{f}")).unwrap();
    let seed = std::fs::read(format!(
        "{data}conformance/bbchallenge/bb5_simulate_test.seed"
    ))
    .unwrap();
    for (body, machine) in [
        (
            json!({ "machine": text("binary-increment.yaml"), "name": "binary-increment.yaml" }),
            "binary-increment",
        ),
        (
            json!({ "machine": text("morphett-palindrome.tm"), "name": "p.tm", "input": "abba" }),
            "p",
        ),
        (json!({ "machine": "1RB1LB_1LA1RZ" }), "pasted"),
        (
            json!({ "machine_bytes": seed, "name": "bb5.seed", "max_steps": 1000 }),
            "bb5",
        ),
    ] {
        let (status, s) = server.post("/api/view", &body);
        assert_eq!(status, 200, "{s}");
        assert!(s["machine"].as_str().unwrap().starts_with(machine), "{s}");
        assert_eq!(s["emulation"]["agree"], true);
    }
    // A YAML file's error at its line.
    let bad = text("binary-increment.yaml").replacen("table:", "tabel:", 1);
    let (status, e) = server.post("/api/view", &json!({ "machine": bad, "name": "b.yaml" }));
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().starts_with("b.yaml"), "{e}");
}

#[test]
fn it_binds_to_loopback_unless_told_and_warns_when_told() {
    let server = Server::start(&[]);
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    let other = Server::start(&["--bind", "0.0.0.0"]);
    let warning = other
        .stderr
        .recv_timeout(Duration::from_secs(10))
        .expect("a warning");
    assert!(warning.starts_with("warning: --bind 0.0.0.0"), "{warning}");
}

#[test]
fn a_bounded_load_test_has_no_error() {
    let server = Server::start(&[]);
    let (requests, clients) = (200usize, 8usize);
    let addr = server.addr.clone();
    let machine = bb4();
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let (addr, machine) = (addr.clone(), machine.clone());
            std::thread::spawn(move || {
                let mut out = Vec::new();
                for i in (c..requests).step_by(clients) {
                    let t = Instant::now();
                    let (status, _) = match i % 4 {
                        0 => request(&addr, "GET", "/", None),
                        1 => request(&addr, "GET", "/api/machines", None),
                        _ => {
                            let body = json!({ "machine": machine, "name": "bb4.ron",
                                "from_row": (i * 7) % 100, "rows": 8 });
                            request(&addr, "POST", "/api/rows", Some(&body.to_string()))
                        }
                    };
                    out.push((status, t.elapsed()));
                }
                out
            })
        })
        .collect();
    let mut results: Vec<(u16, Duration)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let wall = started.elapsed();
    assert_eq!(results.len(), requests);
    assert!(
        results.iter().all(|(s, _)| *s == 200),
        "every request succeeds"
    );
    results.sort_by_key(|r| r.1);
    let at = |q: f64| results[((requests as f64 * q).ceil() as usize).min(requests) - 1].1;
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    println!(
        "load test: {requests} requests from {clients} clients on loopback in {:.2} s ({:.0}/s), no error; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {cpu}, {} cores",
        wall.as_secs_f64(),
        requests as f64 / wall.as_secs_f64(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
}
