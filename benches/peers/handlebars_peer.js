#!/usr/bin/env node
// handlebars.js doing the jobs `cargo xtask bench` times promptpack on; the
// modes and output formats are those of jinja2_peer.py:
//
//   handlebars_peer.js loop  TEMPLATE VARS.json ITERATIONS REPEATS OUT
//   handlebars_peer.js once  TEMPLATE VARS.json
//   handlebars_peer.js batch TEMPLATE DEFAULTS.json  < rows.jsonl > out.jsonl
//
// The environment is what promptpack matches: `noEscape: true`, plus the
// `capitalize` helper promptpack provides (Python's str.capitalize, which is
// what the Jinja pack's `capitalize` filter does).
'use strict';

const fs = require('fs');
const readline = require('readline');
const { once: onceEvent } = require('events');
const Handlebars = require('handlebars');

function loadTemplate(path) {
  const hb = Handlebars.create();
  hb.registerHelper('capitalize', (value) => {
    const s = String(value);
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  });
  return hb.compile(fs.readFileSync(path, 'utf8'), { noEscape: true });
}

const loadJson = (path) => JSON.parse(fs.readFileSync(path, 'utf8'));

function loop(templatePath, varsPath, iterations, repeats, outPath) {
  const template = loadTemplate(templatePath);
  const vars = loadJson(varsPath);
  const text = template(vars);
  for (let i = 0; i < Math.max(1, Math.floor(iterations / 10)); i++) template(vars); // warm up
  const results = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) template(vars);
    results.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  fs.writeFileSync(outPath, text, 'utf8');
  process.stdout.write(JSON.stringify({ ns_per_render: results }) + '\n');
}

function once(templatePath, varsPath) {
  process.stdout.write(loadTemplate(templatePath)(loadJson(varsPath)));
}

async function batch(templatePath, defaultsPath) {
  const template = loadTemplate(templatePath);
  const defaults = loadJson(defaultsPath);
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let number = 0;
  let pending = '';
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    let record;
    try {
      const row = JSON.parse(line);
      if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new TypeError('the row is not an object of variables');
      record = { row: number, text: template({ ...defaults, ...row }) };
    } catch (err) {
      record = { row: number, error: String((err && err.message) || err), line: number };
    }
    pending += JSON.stringify(record) + '\n';
    if (pending.length >= 1 << 18) {
      const flushed = process.stdout.write(pending);
      pending = '';
      if (!flushed) await onceEvent(process.stdout, 'drain');
    }
  }
  process.stdout.write(pending);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'loop') loop(rest[0], rest[1], Number(rest[2]), Number(rest[3]), rest[4]);
else if (mode === 'once') once(rest[0], rest[1]);
else if (mode === 'batch') batch(rest[0], rest[1]);
else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
