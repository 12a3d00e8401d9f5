//! In-process rendering of the seed pack, per engine: `cargo bench`.
//!
//! `packs/threats-next-steps` (Jinja) and its Handlebars port in
//! `benches/packs/threats-next-steps-hbs` render the same bytes for the same
//! variables, so the two engines are timed on the same job. Whole-process
//! comparisons with Python Jinja2 and handlebars.js are `cargo xtask bench`.

use std::hint::black_box;
use std::path::Path;

use promptpack_pack::Pack;
use promptpack_render::{Renderer, Vars};

fn main() {
    divan::main();
}

const FIXTURE: &str = "site-reliability-engineer";
const TEMPLATE: &str = "threats-next-steps";

struct Loaded {
    pack: Pack,
    renderer: Renderer,
    vars: Vars,
}

fn load(relative: &str) -> Loaded {
    let pack = Pack::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).expect("the pack loads");
    let renderer = pack.renderer().expect("the pack compiles");
    let vars =
        pack.complete_vars(pack.fixture_vars(FIXTURE).expect("the fixture exists")).expect("the fixture is complete");
    Loaded { pack, renderer, vars }
}

const PACKS: [&str; 2] = ["packs/threats-next-steps", "benches/packs/threats-next-steps-hbs"];

/// `Renderer::render` with complete variables: the engine alone.
#[divan::bench(args = PACKS)]
fn render(bencher: divan::Bencher, pack: &str) {
    let loaded = load(pack);
    bencher.bench(|| loaded.renderer.render(black_box(TEMPLATE), black_box(&loaded.vars)).expect("renders"));
}

/// A batch row done the plain way: parse the JSON line, check and complete
/// the variables, render, and write the JSON record escaping the whole text.
/// (`render --batch` escapes the template's own text once per thread and
/// only the values per row, so its rows cost less than this.)
#[divan::bench(args = PACKS)]
fn batch_row(bencher: divan::Bencher, pack: &str) {
    let loaded = load(pack);
    let line = serde_json::to_vec(&loaded.pack.fixture_vars(FIXTURE).expect("the fixture exists")).expect("serializes");
    let mut out = Vec::with_capacity(16 * 1024);
    bencher.bench_local(|| {
        out.clear();
        let vars: Vars = serde_json::from_slice(black_box(&line)).expect("an object");
        let vars = loaded.pack.complete_vars(vars).expect("complete");
        let text = loaded.renderer.render(TEMPLATE, &vars).expect("renders");
        out.extend_from_slice(b"{\"row\":1,\"text\":");
        promptpack_batch::write_json_string(&mut out, &text);
        out.extend_from_slice(b"}\n");
        out.len()
    });
}

/// The floor both engines are measured against: a copy of the output bytes.
#[divan::bench]
fn copy_of_output(bencher: divan::Bencher) {
    let loaded = load(PACKS[0]);
    let text = loaded.renderer.render(TEMPLATE, &loaded.vars).expect("renders");
    bencher.bench(|| black_box(&text).clone());
}
