//! Template compile + render in both engines under small limits: any
//! template and variables render or fail with an error, never a panic, an
//! abort or memory beyond the caps (libFuzzer's `-rss_limit_mb` catches
//! that), and never output over the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use promptpack_render::{Engine, Limits, RenderOptions, Renderer, UndefinedPolicy, Vars};

const MAX_OUTPUT_BYTES: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    // First byte: engine and undefined policy; then the variables as JSON
    // up to a NUL byte, then the template.
    let Some((&selector, rest)) = data.split_first() else { return };
    let (vars_json, template) = match rest.iter().position(|&b| b == 0) {
        Some(nul) => (&rest[..nul], &rest[nul + 1..]),
        None => (&b"{}"[..], rest),
    };
    let Ok(template) = std::str::from_utf8(template) else { return };
    let vars: Vars = serde_json::from_slice(vars_json).unwrap_or_default();
    let engine = if selector & 1 == 0 { Engine::Jinja } else { Engine::Handlebars };
    let undefined = match (selector >> 1) % 3 {
        0 => UndefinedPolicy::SemiStrict,
        1 => UndefinedPolicy::Strict,
        _ => UndefinedPolicy::Lenient,
    };
    let limits =
        Limits { fuel: 200_000, max_output_bytes: MAX_OUTPUT_BYTES, max_value_bytes: 1 << 20, ..Limits::default() };
    let mut builder = Renderer::builder_with_options(RenderOptions { undefined, limits, ..RenderOptions::default() });
    let origin = if engine == Engine::Jinja { "t.j2" } else { "t.hbs" };
    if builder.add_template("t", engine, template, origin).is_err() {
        return;
    }
    let Ok(renderer) = builder.build() else { return };
    match renderer.render("t", &vars) {
        Ok(text) => assert!(text.len() as u64 <= MAX_OUTPUT_BYTES, "output over the cap: {} bytes", text.len()),
        Err(error) => {
            let _ = error.to_string();
        }
    }
});
