#![allow(clippy::all, clippy::pedantic)]
// Scratch probe (not committed): renders JSONL cases with promptpack.
use promptpack_render::*;
use std::io::BufRead;
fn main() {
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        if line.trim().is_empty() {
            continue;
        }
        let case: serde_json::Value = serde_json::from_str(&line).unwrap();
        let o = case.get("o").cloned().unwrap_or(serde_json::json!({}));
        let undefined = match o.get("undefined").and_then(|v| v.as_str()) {
            Some("strict") => UndefinedPolicy::Strict,
            Some("lenient") => UndefinedPolicy::Lenient,
            _ => UndefinedPolicy::SemiStrict,
        };
        let env = match o.get("env").and_then(|v| v.as_str()) {
            Some("transformers") => JinjaEnvironment::Transformers,
            _ => JinjaEnvironment::Plain,
        };
        let jinja = JinjaOptions::preset(env);
        let options = RenderOptions { undefined, jinja, ..RenderOptions::default() };
        let mut b = Renderer::builder_with_options(options);
        let t = case["t"].as_str().unwrap();
        let vars: Vars = case.get("v").and_then(|v| v.as_object().cloned()).unwrap_or_default();
        let result = b
            .add_template("t", Engine::Jinja, t, "t.j2")
            .map_err(|e| e.to_string())
            .and_then(|_| b.build().map_err(|e| e.to_string()))
            .and_then(|r| r.render("t", &vars).map_err(|e| e.to_string()));
        let out = match result {
            Ok(s) => serde_json::json!({"id": case["id"], "out": s}),
            Err(e) => serde_json::json!({"id": case["id"], "err": e}),
        };
        println!("{}", out);
    }
}
