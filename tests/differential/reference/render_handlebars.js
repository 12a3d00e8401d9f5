#!/usr/bin/env node
// Render differential test cases with the reference handlebars.js engine.
//
// Usage: node render_handlebars.js <case-dir>...
//
// For every case directory that holds a `template.hbs`, prints one JSON line,
// {"case": name, "output": text} or {"case": name, "error": message}. Folders
// without `template.hbs` (the Jinja cases) are skipped, so callers may pass
// every case. `partials/<stem>.hbs` is registered as the partial `<stem>`,
// `partials/<dir>/<stem>.hbs` as `<dir>/<stem>`.
// A case's `options.json` may set `"undefined": "strict"`, rendered with
// handlebars.js's `strict: true`; otherwise the engine is used as users'
// runtimes use it (promptpack's `semi-strict` matches it or fails with an
// undefined error, which a case marks with `"expect_error": true`).
'use strict';

const fs = require('fs');
const path = require('path');
const Handlebars = require('handlebars');

// `partials/<stem>.hbs` is the partial `<stem>`; `partials/<dir>/<stem>.hbs`
// is `<dir>/<stem>`, as a dependency's partials are named in packs.
function registerPartials(hb, dir, prefix) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      registerPartials(hb, file, prefix + entry.name + '/');
    } else if (entry.name.endsWith('.hbs')) {
      hb.registerPartial(prefix + entry.name.slice(0, -'.hbs'.length), fs.readFileSync(file, 'utf8'));
    }
  }
}

function render(caseDir) {
  // A fresh environment per case keeps one case's partials out of the next.
  const hb = Handlebars.create();
  registerPartials(hb, path.join(caseDir, 'partials'), '');
  const vars = JSON.parse(fs.readFileSync(path.join(caseDir, 'vars.json'), 'utf8'));
  if (vars === null || typeof vars !== 'object' || Array.isArray(vars)) {
    throw new TypeError('vars.json must hold a JSON object');
  }
  const optionsPath = path.join(caseDir, 'options.json');
  const options = fs.existsSync(optionsPath) ? JSON.parse(fs.readFileSync(optionsPath, 'utf8')) : {};
  const source = fs.readFileSync(path.join(caseDir, 'template.hbs'), 'utf8');
  return hb.compile(source, { noEscape: true, strict: options.undefined === 'strict' })(vars);
}

const lines = [];
for (const caseDir of process.argv.slice(2)) {
  if (!fs.existsSync(path.join(caseDir, 'template.hbs'))) continue;
  const name = path.basename(path.resolve(caseDir));
  try {
    lines.push(JSON.stringify({ case: name, output: render(caseDir) }));
  } catch (err) {
    lines.push(JSON.stringify({ case: name, error: String((err && err.message) || err) }));
  }
}
process.stdout.write(lines.map((l) => l + '\n').join(''));
