//! The HTML coverage page of the shipped content, opened in a real headless
//! browser: the DOM after the page's script ran, and a screenshot that is not
//! blank. Skips (with a note) when no Chromium is on PATH, except under CI
//! (`CI=true`), where `.ci/run` installs one and its absence is a failure.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use regex::Regex;
use rulecheck::attack::matrix;
use rulecheck::bundle::{Bundle, read_bundle};
use rulecheck::config::Config;
use rulecheck::coverage::{Coverage, Status, coverage};
use rulecheck::engine::correlate::RuleSet;
use rulecheck::engine::{LoadedRule, LogsourceTable, Placeholders, RULE_EXTENSIONS, RuleLoader};
use rulecheck::report::coverage_html::render_html;
use rulecheck::testrun::run_tests;

use super::repo;

/// Names the browser goes by, in the order they are looked for on PATH.
const BROWSERS: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// How long one browser run may take before it is killed.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// The first of `BROWSERS` found in the directories of `path` (a PATH value).
fn find_browser(path: &OsStr) -> Option<PathBuf> {
    BROWSERS.iter().find_map(|name| {
        std::env::split_paths(path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Whether to run (`Ok(Some)`), skip (`Ok(None)`) or fail: without a browser
/// the test skips, unless it runs in CI, which must have one.
fn browser_or_skip(found: Option<PathBuf>, ci: Option<&str>) -> Result<Option<PathBuf>, String> {
    match (found, ci) {
        (Some(browser), _) => Ok(Some(browser)),
        (None, Some("true")) => Err(format!(
            "CI=true but none of {} is on PATH; .ci/run should have installed chromium (apt-get install -y chromium)",
            BROWSERS.join(", ")
        )),
        (None, _) => Ok(None),
    }
}

/// Every rule file under `rules/` and every bundle under `bundles/`, as the
/// CLI loads them (paths relative to the repository), tested and turned
/// into coverage.
fn shipped_coverage() -> Coverage {
    let root = repo();
    let shown = |path: &Path| -> String {
        path.strip_prefix(&root)
            .unwrap()
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let loader = RuleLoader::new(&Placeholders::default());
    let (mut sigma, mut correlations, mut kql) = (Vec::new(), Vec::new(), Vec::new());
    let mut files = 0;
    for entry in walkdir::WalkDir::new(root.join("rules")).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        let is_rule = path
            .extension()
            .and_then(OsStr::to_str)
            .is_some_and(|e| RULE_EXTENSIONS.contains(&e));
        if !entry.file_type().is_file() || !is_rule {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(path).unwrap();
        let rules = loader
            .load_file(&shown(path), &text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        for rule in rules {
            match rule {
                LoadedRule::Sigma(r) => sigma.push(*r),
                LoadedRule::Correlation(c) => correlations.push(*c),
                LoadedRule::Kql(k) => kql.push(*k),
            }
        }
    }
    assert!(files > 0, "shipped rules found");
    let mut bundles: Vec<(String, Bundle)> = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("bundles")).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.path().extension() == Some(OsStr::new("jsonl")) {
            let bundle = read_bundle(entry.path()).unwrap();
            bundles.push((shown(entry.path()), bundle));
        }
    }
    assert!(!bundles.is_empty(), "shipped bundles found");
    let set = RuleSet {
        sigma: &sigma,
        correlations: &correlations,
        kql: &kql,
        kql_fixtures: &Default::default(),
    };
    let results = run_tests(
        &set,
        &bundles,
        &Config::default(),
        &LogsourceTable::builtin(),
        None,
        &|| {},
    );
    let headers: Vec<(String, &rulecheck::bundle::Header)> = bundles
        .iter()
        .map(|(path, b)| (path.clone(), &b.header))
        .collect();
    coverage(
        &results,
        &headers,
        sigma.len() + correlations.len() + kql.len(),
    )
}

/// Run the browser with `args`, killing it (and what it started) after
/// `BROWSER_TIMEOUT`. Returns its stdout; panics with its stderr on failure.
fn run_browser(browser: &Path, args: &[String]) -> String {
    let mut command = Command::new(browser);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a timeout can end the renderer and GPU
    // processes too, not only the one we started.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    // Pipes are drained on threads (a full pipe would stall the browser) and
    // handed over through channels, so a helper process that keeps a pipe
    // open cannot hang the test either.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = tx.send(bytes);
        });
        rx
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            kill_group(&mut child);
            panic!(
                "{} did not finish within {} s: {args:?}",
                browser.display(),
                BROWSER_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let collect = |rx: mpsc::Receiver<Vec<u8>>| {
        let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(5);
        String::from_utf8_lossy(&rx.recv_timeout(left).unwrap_or_default()).into_owned()
    };
    let (out, err) = (collect(stdout), collect(stderr));
    assert!(
        status.success(),
        "{} {args:?} failed ({status}):\n{err}",
        browser.display()
    );
    out
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The arguments every run shares: headless, no sandbox (containers run as
/// root), no GPU, a fresh profile, nothing fetched in the background.
fn common_args(profile: &Path) -> Vec<String> {
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

fn file_url(path: &Path) -> String {
    let path = path.to_string_lossy().replace('\\', "/");
    let path = path
        .replace('%', "%25")
        .replace(' ', "%20")
        .replace('#', "%23")
        .replace('?', "%3F");
    if path.starts_with('/') {
        format!("file://{path}")
    } else {
        format!("file:///{path}")
    }
}

/// The attributes of every technique cell in a serialised DOM, in order.
fn cells(dom: &str) -> Vec<BTreeMap<String, String>> {
    let cell = Regex::new(r#"<(?:a|div) class="cell[^"]*"[^>]*>"#).unwrap();
    let attr = Regex::new(r#"([a-z-]+)="([^"]*)""#).unwrap();
    cell.find_iter(dom)
        .map(|m| {
            attr.captures_iter(m.as_str())
                .map(|c| (c[1].to_string(), c[2].to_string()))
                .collect()
        })
        .collect()
}

/// The pixels of a PNG as RGB triples, with its size.
fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let samples = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(samples)
        .map(|p| match samples {
            1 | 2 => [p[0], p[0], p[0]],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    (info.width, info.height, pixels)
}

#[test]
fn without_a_browser_the_test_skips_except_in_ci() {
    let nowhere = std::env::join_paths([repo().join("no-such-dir")]).unwrap();
    assert_eq!(find_browser(&nowhere), None);
    assert_eq!(browser_or_skip(None, None), Ok(None));
    assert_eq!(browser_or_skip(None, Some("false")), Ok(None));
    let err = browser_or_skip(None, Some("true")).unwrap_err();
    assert!(err.contains(".ci/run"), "{err}");
    let found = PathBuf::from("/usr/bin/chromium");
    assert_eq!(
        browser_or_skip(Some(found.clone()), Some("true")),
        Ok(Some(found))
    );
}

#[test]
fn the_coverage_page_of_the_shipped_content_renders_in_a_browser() {
    let found = std::env::var_os("PATH").and_then(|p| find_browser(&p));
    let ci = std::env::var("CI").ok();
    let browser = match browser_or_skip(found, ci.as_deref()) {
        Ok(Some(browser)) => browser,
        Ok(None) => {
            eprintln!(
                "note: skipping the browser test of the HTML coverage page: none of {} is on PATH",
                BROWSERS.join(", ")
            );
            return;
        }
        Err(message) => panic!("{message}"),
    };

    let started = Instant::now();
    let coverage = shipped_coverage();
    for id in ["T1003.001", "T1059.001", "T1486"] {
        let t = coverage
            .technique(id)
            .unwrap_or_else(|| panic!("{id} is covered"));
        assert_eq!(t.status, Status::Detected, "{id}: {t:?}");
    }
    let html = render_html(&coverage, matrix(), "rulecheck coverage: shipped content");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("coverage.html");
    std::fs::write(&page, &html).unwrap();
    let prepared = started.elapsed();

    // The DOM after the script ran, opened in the whole-matrix view at a
    // technique's drill-down (both only the script acts on).
    let t = Instant::now();
    let mut args = common_args(&dir.path().join("profile-dom"));
    args.push("--dump-dom".into());
    args.push(format!("{}?view=all#technique-T1059.001", file_url(&page)));
    let dom = run_browser(&browser, &args);
    let dom_time = t.elapsed();
    assert!(
        Regex::new(r#"<body[^>]*\bdata-ready="true""#)
            .unwrap()
            .is_match(&dom),
        "the page's script ran: {}",
        &dom[..dom.len().min(2000)]
    );
    assert!(
        dom.contains(r#"id="matrix" data-view="all""#),
        "?view=all shows the whole matrix"
    );
    let cells = cells(&dom);
    let get = |c: &BTreeMap<String, String>, k: &str| c.get(k).cloned().unwrap_or_default();
    for t in &coverage.techniques {
        let id = t.id.as_str();
        let these: Vec<&BTreeMap<String, String>> = cells
            .iter()
            .filter(|c| get(c, "data-technique") == id)
            .collect();
        let tactics = matrix().technique(id).map_or(1, |m| m.tactics.len());
        assert_eq!(these.len(), tactics, "{id}: one cell per tactic");
        for c in these {
            let status = serde_json::to_value(t.status).unwrap();
            assert_eq!(
                get(c, "data-status"),
                status.as_str().unwrap(),
                "{id}: {c:?}"
            );
            assert_eq!(get(c, "href"), format!("#technique-{id}"));
        }
    }
    let without_data = cells
        .iter()
        .filter(|c| get(c, "data-status") == "none")
        .count();
    assert!(
        without_data > 500,
        "{without_data} cells without data: the whole matrix"
    );
    for id in ["T1003.001", "T1059.001", "T1486"] {
        assert!(
            cells
                .iter()
                .any(|c| get(c, "data-technique") == id && get(c, "data-status") == "detected"),
            "{id} shows as detected"
        );
        assert!(
            dom.contains(&format!(r#"id="technique-{id}""#)),
            "{id} has a drill-down"
        );
    }
    let selected: Vec<String> = cells
        .iter()
        .filter(|c| get(c, "class").split(' ').any(|k| k == "selected"))
        .map(|c| get(c, "data-technique"))
        .collect();
    assert_eq!(
        selected,
        ["T1059.001"],
        "the script marks the cell of the technique in the URL fragment"
    );

    // A screenshot of the top of the page: the header and the coloured matrix.
    let t = Instant::now();
    let shot = dir.path().join("shot.png");
    let mut args = common_args(&dir.path().join("profile-shot"));
    args.push(format!("--screenshot={}", shot.display()));
    args.push("--window-size=1400,900".into());
    args.push(file_url(&page));
    run_browser(&browser, &args);
    let shot_time = t.elapsed();
    let (width, height, pixels) = decode_png(&shot);
    assert_eq!((width, height), (1400, 900));
    let mut histogram: BTreeMap<[u8; 3], usize> = BTreeMap::new();
    for p in &pixels {
        *histogram.entry(*p).or_default() += 1;
    }
    let (background, most) = histogram
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(c, n)| (*c, *n))
        .unwrap();
    let share = 1.0 - most as f64 / pixels.len() as f64;
    assert!(histogram.len() > 3, "{} colours", histogram.len());
    assert!(
        share > 0.05,
        "only {:.1}% of the pixels differ from the background {background:?}",
        share * 100.0
    );
    // Detected cells are green (#5bb85d); allow for colour management.
    let near = |p: &[u8; 3], c: [u8; 3]| (0..3).all(|i| p[i].abs_diff(c[i]) <= 6);
    let green = pixels
        .iter()
        .filter(|p| near(p, [0x5b, 0xb8, 0x5d]))
        .count();
    assert!(
        green > 2000,
        "{green} green pixels: detected cells are drawn"
    );
    eprintln!(
        "coverage_html browser test: {} techniques, coverage and page {:.1} s, DOM {:.1} s, screenshot {:.1} s ({} colours, {:.0}% non-background, {green} green pixels)",
        coverage.techniques.len(),
        prepared.as_secs_f64(),
        dom_time.as_secs_f64(),
        shot_time.as_secs_f64(),
        histogram.len(),
        share * 100.0
    );
}
