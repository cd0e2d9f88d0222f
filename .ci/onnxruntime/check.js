'use strict';
// Runs ONNX models in onnxruntime (CPU execution provider, float64) and
// compares their outputs with sobolev's.
//
//	node check.js dir/a.onnx dir/b.onnx …
//
// Each model a.onnx comes with a.json, written by TestExportForONNXRuntime in
// package onnx: {"inputs": n, "batch": b, "x": [b·n raw inputs, row-major],
// "y": [b outputs of sobolev], "optimization": graphOptimizationLevel, absent
// for onnxruntime's default, "fixed_batch": the batch size the model fixes,
// absent if symbolic, "vector_output": true if the output is [batch], absent
// if it is [batch, 1]}. The batch runs twice, as its first row alone and as
// the other rows, so the symbolic batch axis is used with two sizes; a model
// with a fixed batch size runs these rows in batches of that size, the last
// padded with copies of its first row.
// One line is printed per model. The exit status is 1 unless every output
// equals sobolev's to 1e-9 relative: |onnxruntime − sobolev| ≤ 1e-9·|sobolev|.

const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');

const rtol = 1e-9;

// run returns the outputs of session for rows [lo, hi) of the case c.
async function run(session, c, lo, hi) {
  const size = c.fixed_batch ?? hi - lo;
  const y = [];
  for (let start = lo; start < hi; start += size) {
    const rows = Math.min(size, hi - start);
    const x = new Float64Array(size * c.inputs);
    for (let r = 0; r < size; r++) {
      const src = start + (r < rows ? r : 0);
      x.set(c.x.slice(src * c.inputs, (src + 1) * c.inputs), r * c.inputs);
    }
    const feed = { [session.inputNames[0]]: new ort.Tensor('float64', x, [size, c.inputs]) };
    const out = (await session.run(feed))[session.outputNames[0]];
    const want = c.vector_output ? [size] : [size, 1];
    if (out.type !== 'float64' || out.dims.length !== want.length || out.dims.some((d, i) => d !== want[i])) {
      throw new Error(`output is ${out.type} of shape [${out.dims}], want float64 of shape [${want}]`);
    }
    y.push(...Array.from(out.data).slice(0, rows));
  }
  return y;
}

// check runs the model file and returns its worst row: the largest relative
// difference from sobolev, where, and the two values.
async function check(file) {
  const c = JSON.parse(fs.readFileSync(file.replace(/\.onnx$/, '.json'), 'utf8'));
  if (c.x.length !== c.batch * c.inputs || c.y.length !== c.batch || c.batch < 2) {
    throw new Error(`reference data has ${c.x.length} inputs and ${c.y.length} outputs, want ${c.batch}·${c.inputs} and ${c.batch}, batch ≥ 2`);
  }
  const options = { executionProviders: ['cpu'] };
  if (c.optimization !== undefined) {
    options.graphOptimizationLevel = c.optimization;
  }
  const session = await ort.InferenceSession.create(file, options);
  if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
    throw new Error(`model has inputs [${session.inputNames}] and outputs [${session.outputNames}], want one of each`);
  }
  const y = [...(await run(session, c, 0, 1)), ...(await run(session, c, 1, c.batch))];
  let worst = { rel: -1 };
  for (let i = 0; i < c.batch; i++) {
    const rel = y[i] === c.y[i] ? 0 : Math.abs(y[i] - c.y[i]) / Math.abs(c.y[i]);
    if (!(rel <= worst.rel)) { // NaN counts as worst
      worst = { rel, row: i, ort: y[i], sobolev: c.y[i] };
    }
  }
  return { batch: c.batch, optimization: c.optimization ?? 'all', ...worst };
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node check.js model.onnx … (each with model.json next to it)');
    process.exit(2);
  }
  let failed = 0;
  for (const file of files) {
    const name = path.basename(file);
    try {
      const w = await check(file);
      const ok = w.rel <= rtol;
      failed += ok ? 0 : 1;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} (optimization ${w.optimization}): ${w.batch} points, worst relative difference ${w.rel.toExponential(1)}` +
        ` in row ${w.row} (onnxruntime ${w.ort}, sobolev ${w.sobolev})`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${name}: ${err.message}`);
    }
  }
  if (failed > 0) {
    console.error(`onnxruntime check: ${failed} of ${files.length} models fail (outputs must equal sobolev's to ${rtol} relative)`);
  } else {
    console.log(`onnxruntime ${ort.env.versions.node}: all ${files.length} models equal sobolev's outputs to ${rtol} relative`);
  }
  console.log(`onnxruntime: ${files.length - failed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
