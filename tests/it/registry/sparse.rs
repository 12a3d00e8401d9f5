//! Static registries over HTTP (`sparse+http://`): a git registry exported
//! with `registry export` and served by a real nginx on 127.0.0.1, whose
//! access log shows exactly what promptpack asked for.

use promptpack_test_git_server::{Nginx, NginxRequest, SilentServer};

use super::*;

/// A git registry (by path), a static export of it, and an nginx serving the export.
struct StaticRegistry {
    git: String,
    export: PathBuf,
    nginx: Nginx,
}

impl StaticRegistry {
    fn url(&self) -> String {
        format!("sparse+{}", self.nginx.url())
    }

    /// Exports the git registry again (after a publish or yank).
    fn export(&self, sandbox: &Sandbox, publisher: &TestProject) {
        let dir = self.export.display().to_string();
        sandbox.ok(publisher, "publisher", &["registry", "export", &self.git, &dir]);
    }

    /// `(method path status)` of every request since the last call.
    fn take_requests(&self) -> Vec<String> {
        let requests = self.nginx.requests();
        self.nginx.clear_requests();
        requests.iter().map(|r: &NginxRequest| format!("{} {} {}", r.method, r.path, r.status)).collect()
    }
}

/// Publishes `threats-next-steps` 1.0.0 and `second-pack` 1.0.0 to a git
/// registry, exports it and serves the export (behind `token` if given).
fn static_registry(sandbox: &Sandbox, publisher: &TestProject, token: Option<&str>) -> StaticRegistry {
    sandbox.init_registry("registry.git");
    let git = sandbox.bare("registry.git").display().to_string();
    new_pack(sandbox, publisher, "second-pack", "1.0.0");
    sandbox.publish(publisher, PACK, &git);
    sandbox.publish(publisher, "second-pack", &git);
    let export = sandbox.root.path().join("static");
    std::fs::create_dir_all(&export).unwrap();
    let nginx = Nginx::start(&export, token);
    let registry = StaticRegistry { git, export, nginx };
    registry.export(sandbox, publisher);
    registry
}

const CONFIG: &str = "GET /config.json";
const INDEX: &str = "GET /index/th/re/threats-next-steps";
const ARCHIVE_1_0: &str = "GET /packs/threats-next-steps/1.0.0.tar.gz";

#[test]
fn add_install_upgrade_over_nginx_fetch_only_what_they_need_and_revalidate() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let url = registry.url();

    let project = TestProject::empty();
    sandbox.ok(&project, "consumer", &["init", "--registry", &url]);
    let add = sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert!(add.stderr.contains("threats-next-steps"), "{}", add.stderr);
    // Only this pack's index file and archive: not second-pack's, not the search listing.
    assert_eq!(
        registry.take_requests(),
        [format!("{CONFIG} 200"), format!("{INDEX} 200"), format!("{ARCHIVE_1_0} 200")]
    );
    assert_installed_as_published(&project, &publisher, PACK);
    let lock = lockfile(&project);
    let entry = locked(&lock, PACK);
    assert_eq!(entry.source, format!("registry+{url}"));
    assert_eq!(entry.commit, None, "a static registry has no commits");
    // The same identities a git install locks.
    let git_project = sandbox.consumer(&registry.git);
    sandbox.ok(&git_project, "consumer", &["add", "threats-next-steps@^1"]);
    let git_entry = locked(&lockfile(&git_project), PACK).clone();
    assert_eq!((&entry.checksum, &entry.tree), (&git_entry.checksum, &git_entry.tree));
    registry.take_requests();

    // Installing a complete lock with a warm cache asks nothing; resolving
    // again revalidates (304s) and takes the archive from the cache.
    sandbox.ok(&project, "consumer", &["install"]);
    assert_eq!(registry.take_requests(), Vec::<String>::new());
    sandbox.ok(&project, "consumer", &["upgrade", "--dry-run"]);
    assert_eq!(registry.take_requests(), [format!("{CONFIG} 304"), format!("{INDEX} 304")]);

    // Offline, and frozen in a checkout with the warm cache: nothing at all.
    let ci = checkout(&project);
    sandbox.ok(&ci, "consumer", &["install", "--offline"]);
    sandbox.ok(&ci, "consumer", &["install", "--frozen"]);
    sandbox.ok(&ci, "consumer", &["install", "--locked", "--offline"]);
    assert_eq!(registry.take_requests(), Vec::<String>::new());
    assert_installed_as_published(&ci, &publisher, PACK);
    // A cold cache with --locked fetches, and installs exactly the lock.
    let cold = checkout(&project);
    sandbox.ok(&cold, "cold", &["install", "--locked"]);
    assert_eq!(lockfile(&cold), lock);

    // A new version: outdated sees it, upgrade moves to it.
    set_version(&publisher, "packs/threats-next-steps", "1.1.0");
    reword_threats(&sandbox, &publisher, "1.1.0");
    sandbox.publish(&publisher, PACK, &registry.git);
    registry.export(&sandbox, &publisher);
    let outdated = sandbox.ok(&project, "consumer", &["outdated"]);
    assert!(outdated.stdout.contains("1.1.0"), "{}\n{}", outdated.stdout, outdated.stderr);
    registry.take_requests();
    sandbox.ok(&project, "consumer", &["upgrade", PACK]);
    assert_eq!(
        registry.take_requests(),
        [format!("{CONFIG} 304"), format!("{INDEX} 304"), "GET /packs/threats-next-steps/1.1.0.tar.gz 200".to_owned()],
        "outdated already revalidated the index in its own run; upgrade sees it unchanged"
    );
    assert_eq!(locked(&lockfile(&project), PACK).version, semver::Version::new(1, 1, 0));
    assert!(project.read(INSTALLED_TEMPLATE).contains("You are a senior (v1.1.0)"));

    // search and diff read the same registry.
    let search = sandbox.ok(&project, "consumer", &["search", "second"]);
    assert!(search.stdout.starts_with("second-pack = \"1.0.0\""), "{}", search.stderr);
    let git_search = sandbox.ok(&git_project, "consumer", &["search"]);
    assert_eq!(sandbox.ok(&project, "consumer", &["search"]).stdout, git_search.stdout, "as from git");
    let diff = sandbox.ok(&project, "consumer", &["diff", "threats-next-steps@1.0.0", "threats-next-steps@1.1.0"]);
    assert!(diff.stdout.contains("You are a senior (v1.1.0)"), "{}", diff.stdout);
}

#[test]
fn a_round_of_resolution_fetches_its_index_files_together() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let project = sandbox.consumer(&registry.url());
    let manifest = project.read("promptpack.toml");
    assert!(manifest.contains("[packs]\n"), "{manifest}");
    project.write(
        "promptpack.toml",
        manifest.replace("[packs]\n", "[packs]\nthreats-next-steps = \"^1\"\nsecond-pack = \"^1\"\n"),
    );
    sandbox.ok(&project, "consumer", &["install"]);
    let mut requests = registry.take_requests();
    requests.sort();
    assert_eq!(
        requests,
        [
            format!("{CONFIG} 200"),
            "GET /index/se/co/second-pack 200".to_owned(),
            format!("{INDEX} 200"),
            "GET /packs/second-pack/1.0.0.tar.gz 200".to_owned(),
            format!("{ARCHIVE_1_0} 200"),
        ]
    );
}

/// Runs `add` in a fresh project and cache, expecting an error that leaves
/// the project as it was; returns stderr.
fn failed_add(sandbox: &Sandbox, url: &str, cache: &str, env: &[(&str, &str)]) -> String {
    let project = TestProject::empty();
    project.write("promptpack.toml", format!("[registries]\ndefault = \"{url}\"\n"));
    let before = dir_contents(project.path());
    let mut command = sandbox.command(&project, cache, &["add", "threats-next-steps@^1"]);
    for (key, value) in env {
        command.env(key, value);
    }
    let out = Running::start(&mut command).wait(TIMEOUT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(dir_contents(project.path()) == before, "a failed add changed the project:\n{}", out.stderr);
    out.stderr
}

#[test]
fn a_tampered_archive_or_index_line_is_refused_and_nothing_is_written() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let url = registry.url();
    let archive = registry.export.join("packs/threats-next-steps/1.0.0.tar.gz");
    let original = std::fs::read(&archive).unwrap();

    // Another pack's (valid, safe) archive in its place.
    std::fs::copy(registry.export.join("packs/second-pack/1.0.0.tar.gz"), &archive).unwrap();
    let stderr = failed_add(&sandbox, &url, "tampered-archive", &[]);
    assert!(stderr.contains("integrity check failed for pack `threats-next-steps`"), "{stderr}");
    assert!(stderr.contains("the archive of threats-next-steps 1.0.0 does not match the registry's index"), "{stderr}");
    assert!(!sandbox.cache("tampered-archive").join("verified").exists(), "nothing tampered reaches the cache");

    // An archive that tries to leave the pack folder is refused before unpacking.
    let mut files =
        promptpack_registry::archive::read_archive(&original, &promptpack_manifest::RegistryLimits::default()).unwrap();
    let text = files.remove("pack.toml").unwrap();
    let mut tar = Vec::new();
    {
        let mut header = [0u8; 512];
        let name = b"../pack.toml";
        header[..name.len()].copy_from_slice(name);
        header[100..108].copy_from_slice(b"0000644\0");
        header[124..136].copy_from_slice(format!("{:011o}\0", text.len()).as_bytes());
        header[136..148].copy_from_slice(b"00000000000\0");
        header[156] = b'0';
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        tar.extend_from_slice(&header);
        tar.extend_from_slice(&text);
        tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gzip, &tar).unwrap();
    std::fs::write(&archive, gzip.finish().unwrap()).unwrap();
    let stderr = failed_add(&sandbox, &url, "escaping-archive", &[]);
    assert!(stderr.contains("the entry `../pack.toml` could escape the pack folder"), "{stderr}");

    // The right archive, but an index line whose checksum was edited.
    std::fs::write(&archive, &original).unwrap();
    let index = registry.export.join("index/th/re/threats-next-steps");
    let line = std::fs::read_to_string(&index).unwrap();
    let cksum = line.split("\"cksum\":\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let forged = format!("sha256:{}", "0".repeat(64));
    std::fs::write(&index, line.replace(&cksum, &forged)).unwrap();
    let stderr = failed_add(&sandbox, &url, "tampered-index", &[]);
    assert!(stderr.contains("does not match the registry's index"), "{stderr}");
    assert!(stderr.contains(&forged) && stderr.contains(&cksum), "{stderr}");
}

#[test]
fn bytes_that_differ_from_the_lock_are_refused_even_when_archive_and_index_agree() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let project = sandbox.consumer(&registry.url());
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    let locked_checksum = locked(&lockfile(&project), PACK).checksum.clone();

    // The static copy is replaced by an export of another registry whose
    // 1.0.0 has other bytes: archive and index agree, the lock does not.
    let other = TestProject::with_repository_packs();
    reword_threats(&sandbox, &other, "evil");
    sandbox.init_registry("other.git");
    let other_git = sandbox.bare("other.git").display().to_string();
    sandbox.publish(&other, PACK, &other_git);
    std::fs::remove_dir_all(&registry.export).unwrap();
    std::fs::create_dir_all(&registry.export).unwrap();
    sandbox.ok(&other, "publisher", &["registry", "export", &other_git, &registry.export.display().to_string()]);

    let ci = checkout(&project);
    let before = dir_contents(ci.path());
    let out = sandbox.run(&ci, "fresh-ci", &["install"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("integrity check failed for pack `threats-next-steps`"), "{}", out.stderr);
    assert!(out.stderr.contains("does not match the lockfile"), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("expected: {}", locked_tree(&project))), "{}", out.stderr);
    assert!(dir_contents(ci.path()) == before, "nothing written");
    assert_ne!(locked(&lockfile(&ci), PACK).checksum, "", "the lock is untouched: {locked_checksum}");
}

fn locked_tree(project: &TestProject) -> String {
    locked(&lockfile(project), PACK).tree.clone().unwrap_or_default()
}

#[test]
fn a_token_goes_only_to_its_registry_and_is_never_shown_or_locked() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let token = "Bearer s3cret-t0ken";
    let registry = static_registry(&sandbox, &publisher, Some(token));
    let url = registry.url();

    let stderr = failed_add(&sandbox, &url, "no-token", &[]);
    assert!(stderr.contains("refused access (HTTP 401)"), "{stderr}");
    assert!(stderr.contains("PROMPTPACK_REGISTRIES_DEFAULT_TOKEN"), "{stderr}");
    assert!(stderr.contains("PROMPTPACK_REGISTRIES_DEFAULT_URL"), "{stderr}");
    let stderr = failed_add(
        &sandbox,
        &url,
        "wrong-token",
        &[("PROMPTPACK_REGISTRIES_DEFAULT_TOKEN", "Bearer wrong"), ("PROMPTPACK_REGISTRIES_DEFAULT_URL", &url)],
    );
    assert!(stderr.contains("the token from PROMPTPACK_REGISTRIES_DEFAULT_TOKEN was refused"), "{stderr}");
    assert!(!stderr.contains("wrong"), "the token is never shown: {stderr}");

    // A token is bound to the URL the user wrote, not to a name a project
    // chooses: a cloned project naming another server `default` (here, the
    // same server under another address) does not receive it.
    let elsewhere = url.replace("127.0.0.1", "localhost");
    let before = registry.nginx.requests().len();
    let stderr = failed_add(
        &sandbox,
        &elsewhere,
        "unbound",
        &[("PROMPTPACK_REGISTRIES_DEFAULT_TOKEN", token), ("PROMPTPACK_REGISTRIES_DEFAULT_URL", &url)],
    );
    assert!(stderr.contains("refused access (HTTP 401)"), "{stderr}");
    let unbound = registry.nginx.requests();
    assert!(unbound[before..].iter().all(|r| r.authorization == "-"), "{unbound:?}");
    let stderr = failed_add(&sandbox, &url, "name-only", &[("PROMPTPACK_REGISTRIES_DEFAULT_TOKEN", token)]);
    assert!(stderr.contains("refused access (HTTP 401)"), "a token without its URL is not sent: {stderr}");

    // Archives on another origin (a CDN, say) never see the token.
    let cdn = Nginx::start(&registry.export, None);
    let config = registry.export.join("config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("\"packs/{name}", &format!("\"{}packs/{{name}}", cdn.url()))).unwrap();

    let project = sandbox.consumer(&url);
    let out = Running::start(
        sandbox
            .command(&project, "consumer", &["add", "threats-next-steps@^1"])
            .env("PROMPTPACK_REGISTRIES_DEFAULT_TOKEN", token)
            .env("PROMPTPACK_REGISTRIES_DEFAULT_URL", &url),
    )
    .wait(TIMEOUT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!format!("{}{}", out.stdout, out.stderr).contains("s3cret"), "{}", out.stderr);
    assert!(!project.read("promptpack.lock").contains("s3cret"));
    let to_registry = registry.nginx.requests();
    assert!(to_registry.iter().filter(|r| r.status == 200).all(|r| r.authorization == token), "{to_registry:?}");
    let to_cdn = cdn.requests();
    assert_eq!(to_cdn.len(), 1, "{to_cdn:?}");
    assert_eq!((to_cdn[0].status, to_cdn[0].authorization.as_str()), (200, "-"), "{to_cdn:?}");

    // The credentials file works too, matched by URL; a token without one is refused.
    let credentials = sandbox.root.path().join("credentials.toml");
    std::fs::write(&credentials, format!("[registries.default]\ntoken = \"{token}\"\n")).unwrap();
    let unbound = checkout(&project);
    let out = Running::start(
        sandbox.command(&unbound, "fresh-unbound", &["install"]).env("PROMPTPACK_CREDENTIALS", &credentials),
    )
    .wait(TIMEOUT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("has a token but no `url`"), "{}", out.stderr);
    std::fs::write(&credentials, format!("[registries.team]\nurl = \"{url}\"\ntoken = \"{token}\"\n")).unwrap();
    let ci = checkout(&project);
    let out = Running::start(sandbox.command(&ci, "fresh", &["install"]).env("PROMPTPACK_CREDENTIALS", &credentials))
        .wait(TIMEOUT);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_server_that_is_down_or_silent_is_a_clear_error() {
    let sandbox = Sandbox::new();
    let down = format!("sparse+http://127.0.0.1:{}/", free_port());
    let stderr = failed_add(&sandbox, &down, "down", &[]);
    assert!(stderr.contains("cannot reach `sparse+http://127.0.0.1:"), "{stderr}");
    assert!(stderr.contains("config.json"), "{stderr}");

    let silent = SilentServer::start();
    let started = Instant::now();
    let stderr =
        failed_add(&sandbox, &format!("sparse+{}", silent.url()), "silent", &[("PROMPTPACK_HTTP_TIMEOUT", "1")]);
    assert!(stderr.contains("no answer within 1 s"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "a timeout is not retried for long");

    // Something that is not a static registry at all.
    let empty = sandbox.root.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let nginx = Nginx::start(&empty, None);
    let stderr = failed_add(&sandbox, &format!("sparse+{}", nginx.url()), "empty", &[]);
    assert!(stderr.contains("has no config.json (HTTP 404)"), "{stderr}");
}

#[test]
fn offline_with_a_cold_cache_names_what_is_missing() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let project = sandbox.consumer(&registry.url());
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    registry.take_requests();
    let ci = checkout(&project);
    let out = sandbox.run(&ci, "cold", &["install", "--offline"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("--offline"), "{}", out.stderr);
    assert_eq!(registry.take_requests(), Vec::<String>::new(), "offline sends nothing");
}

#[test]
fn publishing_to_a_static_registry_is_refused_with_the_way_to_do_it() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    set_version(&publisher, "packs/threats-next-steps", "1.0.1");
    let out = sandbox.run(&publisher, "publisher", &["publish", PACK, "--registry", &registry.url()]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("a static registry is read-only"), "{}", out.stderr);
}

/// A teammate's lock pins a version newer than this machine's cached index:
/// the index is looked at again (not a silent downgrade of the lock), and
/// offline that is an error naming the way out.
#[test]
fn a_lock_newer_than_the_cached_index_revalidates_instead_of_downgrading() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let url = registry.url();
    let mine = sandbox.consumer(&url);
    sandbox.ok(&mine, "mine", &["add", "threats-next-steps@^1"]);
    let offline_mine = checkout(&mine);
    sandbox.ok(&offline_mine, "offline", &["install"]);

    set_version(&publisher, "packs/threats-next-steps", "1.1.0");
    reword_threats(&sandbox, &publisher, "1.1.0");
    sandbox.publish(&publisher, PACK, &registry.git);
    registry.export(&sandbox, &publisher);
    let theirs = checkout(&mine);
    sandbox.ok(&theirs, "theirs", &["upgrade"]);
    let their_lock = theirs.read("promptpack.lock");
    assert!(their_lock.contains("1.1.0"), "{their_lock}");

    // My cache still lists 1.0.0 only; their lock arrives with a pull.
    mine.write("promptpack.lock", &their_lock);
    sandbox.ok(&mine, "mine", &["install"]);
    assert_eq!(mine.read("promptpack.lock"), their_lock, "the lock is kept, not downgraded");
    assert!(mine.read(INSTALLED_TEMPLATE).contains("You are a senior (v1.1.0)"));

    offline_mine.write("promptpack.lock", &their_lock);
    let out = sandbox.run(&offline_mine, "offline", &["install", "--offline"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("pins `threats-next-steps` 1.1.0, which the index of"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: run once without `--offline`"), "{}", out.stderr);
    assert_eq!(offline_mine.read("promptpack.lock"), their_lock);
}

/// A gzip-compressed tar whose one entry, `pack.toml`, claims `claimed`
/// bytes in its header while `body` follows (what no honest tool writes).
fn lying_archive(claimed: u64, body: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..9].copy_from_slice(b"pack.toml");
    header[100..108].copy_from_slice(b"0000644\0");
    // GNU's base-256 size field: a set high bit, then the size big-endian.
    header[124] = 0x80;
    header[128..136].copy_from_slice(&claimed.to_be_bytes());
    header[136..148].copy_from_slice(b"00000000000\0");
    header[156] = b'0';
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gzip, &header).unwrap();
    std::io::Write::write_all(&mut gzip, body).unwrap();
    std::io::Write::write_all(&mut gzip, &[0u8; 1024]).unwrap();
    gzip.finish().unwrap()
}

/// Before, `config.json` set the limits alone: 1 TiB per file and a tar
/// header claiming 1 TiB made the client abort on a failed allocation.
#[test]
fn a_server_cannot_raise_the_limits_past_the_client_ceilings() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    // A git registry is read with the same ceilings, so its export never
    // advertises more than clients accept.
    sandbox.set_registry_toml(
        "registry.git",
        "format = 1\nname = \"registry\"\n\n[limits]\nmax-file-size = 1099511627776\nmax-pack-size = 2199023255552\nmax-files = 1000\n",
    );
    registry.export(&sandbox, &publisher);
    let config = registry.export.join("config.json");
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(json["limits"]["max-file-size"], 64 * 1024 * 1024, "{json}");
    assert_eq!(json["limits"]["max-pack-size"], 256 * 1024 * 1024, "{json}");
    assert_eq!(json["limits"]["max-files"], 1000, "{json}");
    json["limits"]["max-file-size"] = serde_json::json!(1_u64 << 40);
    json["limits"]["max-pack-size"] = serde_json::json!(1_u64 << 41);
    std::fs::write(&config, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    let archive = registry.export.join("packs/threats-next-steps/1.0.0.tar.gz");
    std::fs::write(&archive, lying_archive(1 << 40, b"name = \"threats-next-steps\"\n")).unwrap();

    let stderr = failed_add(&sandbox, &registry.url(), "huge", &[]);
    assert!(stderr.contains("asks for limits over promptpack's ceilings"), "{stderr}");
    assert!(stderr.contains("max-file-size 1099511627776 (promptpack accepts at most 67108864)"), "{stderr}");
    assert!(
        stderr.contains("`pack.toml` is 1099511627776 bytes, over promptpack's ceiling of 67108864 bytes per file"),
        "{stderr}"
    );
    assert!(!sandbox.cache("huge").join("verified").exists(), "nothing refused reaches the cache");
}

/// The file the cache keeps for `relative` (below `sparse/<registry>/`).
fn cached_copy(sandbox: &Sandbox, cache: &str, relative: &str) -> PathBuf {
    let sparse = sandbox.cache(cache).join("sparse");
    let registry = std::fs::read_dir(&sparse).unwrap().next().expect("one cached registry").unwrap().path();
    registry.join(relative)
}

/// Before, any `200` body was cached before it was parsed: a captive
/// portal's page (or a truncated index) stayed in the cache, and every
/// later `install` with a complete lock, or `--offline`, failed on it.
#[test]
fn a_body_that_does_not_parse_is_never_cached_and_a_damaged_cached_copy_is_fetched_again() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let project = sandbox.consumer(&registry.url());
    sandbox.ok(&project, "teammate", &["add", "threats-next-steps@^1"]);
    let ci = checkout(&project);
    let before = dir_contents(ci.path());

    // A captive portal answers 200 with its own page.
    let config = registry.export.join("config.json");
    let real_config = std::fs::read(&config).unwrap();
    std::fs::write(&config, "<html><body>Please sign in to the hotel Wi-Fi</body></html>\n").unwrap();
    let out = sandbox.run(&ci, "ci", &["install"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("config.json is invalid"), "{}", out.stderr);
    std::fs::write(&config, &real_config).unwrap();

    // A truncated index file.
    let index = registry.export.join("index/th/re/threats-next-steps");
    let real_index = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, &real_index[..real_index.len() / 2]).unwrap();
    let out = sandbox.run(&ci, "ci", &["install"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("malformed index line 1 for `threats-next-steps`"), "{}", out.stderr);
    std::fs::write(&index, &real_index).unwrap();
    assert!(dir_contents(ci.path()) == before, "failed installs change nothing");

    // Nothing of that was kept: offline there is no cached copy to trust...
    let out = sandbox.run(&ci, "ci", &["install", "--offline"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("--offline"), "{}", out.stderr);
    assert!(!out.stderr.contains("invalid") && !out.stderr.contains("malformed"), "{}", out.stderr);
    // ...and online the lock installs (the cache is used where it has a copy).
    registry.take_requests();
    sandbox.ok(&ci, "ci", &["install"]);
    assert_installed_as_published(&ci, &publisher, PACK);
    assert_eq!(
        registry.take_requests(),
        [format!("{INDEX} 200"), format!("{ARCHIVE_1_0} 200")],
        "the good config.json of the last run was cached, the bad index file was not"
    );

    // A cached copy that no longer parses (a damaged disk) is dropped with a
    // note and fetched again, not revalidated into a 304 on garbage.
    let cached = cached_copy(&sandbox, "ci", "index/th/re/threats-next-steps");
    let text = std::fs::read_to_string(&cached).unwrap();
    let validators = text.lines().next().unwrap().to_owned();
    assert!(validators.contains("etag"), "{validators}");
    std::fs::write(&cached, format!("{validators}\n{{\"v\":1,\"name\":\"threats-ne")).unwrap();
    let out = sandbox.ok(&ci, "ci", &["upgrade", "--dry-run"]);
    assert!(out.stderr.contains("dropped the cached copy of `sparse+http://127.0.0.1:"), "{}", out.stderr);
    assert!(out.stderr.contains("fetching it again"), "{}", out.stderr);
    assert_eq!(registry.take_requests(), [format!("{CONFIG} 304"), format!("{INDEX} 200")]);
    assert_eq!(std::fs::read_to_string(&cached).unwrap(), text, "the good copy is cached again");

    // The same damage found offline is an error the next online run repairs.
    std::fs::write(&cached, format!("{validators}\nnot json")).unwrap();
    let out = sandbox.run(&checkout(&project), "ci", &["upgrade", "--dry-run", "--offline"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("offline, it cannot be fetched again"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: run once without `--offline`"), "{}", out.stderr);
    sandbox.ok(&ci, "ci", &["upgrade", "--dry-run"]);
    assert_eq!(std::fs::read_to_string(&cached).unwrap(), text);
}

/// Before, only `add` and resolution (`install`, `upgrade`) said so when a
/// damaged cached copy was dropped; `outdated` and `search` read the same
/// cache and dropped it silently.
#[test]
fn every_command_reading_the_cache_says_when_it_dropped_a_damaged_copy() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let project = sandbox.consumer(&registry.url());
    sandbox.ok(&project, "ci", &["add", "threats-next-steps@^1"]);
    sandbox.ok(&project, "ci", &["search", "--registry", &registry.url()]);
    let damage = |relative: &str| {
        let cached = cached_copy(&sandbox, "ci", relative);
        let text = std::fs::read_to_string(&cached).unwrap();
        let validators = text.lines().next().unwrap().to_owned();
        std::fs::write(&cached, format!("{validators}\n{{\"v\":1,\"name\":\"threats-ne")).unwrap();
    };
    let dropped = |out: &Transcript, file: &str| {
        assert!(out.stderr.contains("dropped the cached copy of `sparse+http://127.0.0.1:"), "{}", out.stderr);
        assert!(out.stderr.contains(&format!("/{file}`, which does not parse")), "{}", out.stderr);
        assert!(out.stderr.contains("fetching it again"), "{}", out.stderr);
    };

    damage("index/th/re/threats-next-steps");
    let out = sandbox.ok(&project, "ci", &["outdated"]);
    dropped(&out, "index/th/re/threats-next-steps");

    damage("search.jsonl");
    let out = sandbox.ok(&project, "ci", &["search", "--registry", &registry.url()]);
    dropped(&out, "search.jsonl");
    assert!(out.stdout.contains("threats-next-steps"), "{}", out.stdout);
}

/// Before, an index file that failed during the parallel prefetch was
/// fetched again when resolution asked for it: every attempt (and every
/// timeout) twice.
#[test]
fn an_index_file_that_fails_in_the_prefetch_is_not_fetched_again() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let project = sandbox.consumer(&registry.url());
    let manifest = project.read("promptpack.toml");
    project.write(
        "promptpack.toml",
        manifest.replace("[packs]\n", "[packs]\nthreats-next-steps = \"^1\"\nsecond-pack = \"^1\"\n"),
    );
    // A symbolic link loop: nginx refuses it (403).
    let index = registry.export.join("index/se/co/second-pack");
    std::fs::remove_file(&index).unwrap();
    std::os::unix::fs::symlink("second-pack", &index).unwrap();
    registry.take_requests();

    let before = dir_contents(project.path());
    let out = sandbox.run(&project, "consumer", &["install"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("index/se/co/second-pack` refused access (HTTP 403)"), "{}", out.stderr);
    assert!(dir_contents(project.path()) == before);
    let requests = registry.take_requests();
    let asked: Vec<&String> = requests.iter().filter(|r| r.contains("/index/se/co/second-pack ")).collect();
    assert_eq!(asked, ["GET /index/se/co/second-pack 403"], "asked once: {requests:?}");
}

/// An index line names dependencies the archive's `pack.toml` does not
/// have: checksums agree (the line was edited, not the files), so only
/// comparing the line with the pack catches it, for git and static alike.
#[test]
fn an_index_line_that_differs_from_the_packs_manifest_is_refused() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let forge = |line: &str| {
        assert!(line.contains("\"deps\":{}"), "{line}");
        line.replace("\"deps\":{}", "\"deps\":{\"second-pack\":\"^1\"}")
    };

    // Static: the exported index file.
    let index = registry.export.join("index/th/re/threats-next-steps");
    let line = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, forge(&line)).unwrap();
    let stderr = failed_add(&sandbox, &registry.url(), "static", &[]);
    let expected = "does not match the pack it describes: threats-next-steps 1.0.0's dependency `second-pack` is `^1` in the index line but absent in its pack.toml";
    assert!(stderr.contains(expected), "{stderr}");
    assert!(stderr.contains(&format!("the index of `{}`", registry.url())), "{stderr}");
    assert!(stderr.contains("hint: publish writes index lines from pack.toml"), "{stderr}");
    assert!(!sandbox.cache("static").join("verified").exists(), "nothing reaches the verified store");

    // Git: a commit that edits the line in the registry itself.
    let work = sandbox.root.path().join("registry-work");
    sandbox.env.git(sandbox.root.path(), &["clone", "--quiet", &registry.git, &work.display().to_string()]);
    let file = work.join("index/th/re/threats-next-steps");
    std::fs::write(&file, forge(&std::fs::read_to_string(&file).unwrap())).unwrap();
    sandbox.env.git(&work, &["commit", "--quiet", "-am", "edit an index line"]);
    sandbox.env.git(&work, &["push", "--quiet", "origin", "main"]);
    let stderr = failed_add(&sandbox, &registry.git, "git", &[]);
    assert!(stderr.contains(expected), "{stderr}");
    // Exporting it refuses the line rather than serve what every client refuses.
    let fresh = sandbox.root.path().join("fresh-export");
    let out =
        sandbox.run(&publisher, "publisher", &["registry", "export", &registry.git, &fresh.display().to_string()]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains(expected), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was exported"), "{}", out.stderr);
    assert!(!fresh.join("config.json").exists(), "no config.json for a refused export");
}

/// Waits until `path` was requested from `nginx`.
fn wait_for_request(registry: &StaticRegistry, path: &str) {
    let deadline = Instant::now() + TIMEOUT;
    while !registry.nginx.requests().iter().any(|r| r.path == path) {
        assert!(Instant::now() < deadline, "{path} was never requested");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Before, a request to a server that never answers held Ctrl-C and
/// SIGTERM for the whole timeout (30 s, per attempt).
#[test]
fn ctrl_c_and_sigterm_stop_a_request_to_a_silent_server_at_once() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    // Archives come from a server that accepts connections and never answers.
    let silent = SilentServer::start();
    let config = registry.export.join("config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("\"packs/{name}", &format!("\"{}packs/{{name}}", silent.url()))).unwrap();

    let interrupt = |project: &TestProject, cache: &str, signal: &str, wait_for: &dyn Fn()| {
        let before = dir_contents(project.path());
        let running = sandbox.start(project, cache, &["add", "threats-next-steps@^1"]);
        wait_for();
        // Let the request get under way.
        std::thread::sleep(Duration::from_millis(300));
        let sent = Instant::now();
        let kill = Command::new("kill").arg(format!("-{signal}")).arg(running.id().to_string()).status().unwrap();
        assert!(kill.success());
        let out = running.wait(TIMEOUT);
        let took = sent.elapsed();
        assert!(took < Duration::from_secs(2), "stopping took {took:?}:\n{}", out.stderr);
        assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
        assert!(dir_contents(project.path()) == before, "nothing in the project changed");
        let leftovers: Vec<_> = walkdir::WalkDir::new(sandbox.cache(cache))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".new-"))
            .map(|e| e.path().display().to_string())
            .collect();
        assert_eq!(leftovers, Vec::<String>::new(), "no temporary file left");
        out
    };

    // Ctrl-C while the archive is awaited.
    let project = sandbox.consumer(&registry.url());
    let out = interrupt(&project, "int", "INT", &|| wait_for_request(&registry, "/index/th/re/threats-next-steps"));
    assert_eq!(out.code, 130, "{}", out.stderr);

    // SIGTERM while the very first request (config.json) is awaited.
    let project = sandbox.consumer(&registry.url());
    project.write("promptpack.toml", format!("[registries]\ndefault = \"sparse+{}\"\n", silent.url()));
    let out = interrupt(&project, "term", "TERM", &|| {});
    assert_eq!(out.code, 143, "{}", out.stderr);
}

#[test]
fn https_with_a_private_certificate_authority_needs_ssl_cert_file() {
    let sandbox = Sandbox::new();
    let publisher = TestProject::with_repository_packs();
    let registry = static_registry(&sandbox, &publisher, None);
    let (ca, certificate, key) = private_ca(sandbox.root.path());
    let tls = Nginx::start_tls_proxy(registry.nginx.port(), &certificate, &key);
    let url = format!("sparse+https://127.0.0.1:{}/", tls.port());
    let project = sandbox.consumer(&url);
    let before = dir_contents(project.path());

    let refused = sandbox.run(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("UnknownIssuer"), "{}", refused.stderr);
    assert!(registry.take_requests().is_empty(), "nothing got past TLS");
    assert!(dir_contents(project.path()) == before, "nothing changed");

    let mut add = sandbox.command(&project, "consumer", &["add", "threats-next-steps@^1"]);
    add.env("SSL_CERT_FILE", &ca);
    let out = Running::start(&mut add).wait(TIMEOUT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_installed_as_published(&project, &publisher, PACK);
    assert!(registry.take_requests().contains(&format!("{ARCHIVE_1_0} 200")));

    let not_pem = sandbox.root.path().join("not-a-certificate.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let mut broken = sandbox.command(&project, "other", &["install"]);
    broken.env("SSL_CERT_FILE", &not_pem);
    let out = Running::start(&mut broken).wait(TIMEOUT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("holds no PEM certificate") && out.stderr.contains("from SSL_CERT_FILE"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: point it at a file of PEM certificates"), "{}", out.stderr);
}
