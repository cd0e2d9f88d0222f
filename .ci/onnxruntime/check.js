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
// A greeks model (onnx.SaveGreeks) has "dydx": [b·n deltas] and "gamma": [b
// values of 1ᵀH1] too, and outputs y [batch, 1], dydx [batch, n] and gamma
// [batch], and with "hessian": [b·n·n] the output hessian [batch, n, n]; each
// output is compared.
// One line is printed per model. The exit status is 1 unless every value
// equals sobolev's to 1e-9 relative: |onnxruntime − sobolev| ≤ 1e-9·|sobolev|
// for y; for the deltas and gamma, which cross zero, 1e-9 relative to the
// largest |sobolev| of that output over the batch.

const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');

const rtol = 1e-9;

// outputs lists, for the case c, each output's name in the model, its shape
// for a batch of size rows, and sobolev's values.
function outputs(c) {
  const y = { name: 'y', shape: (size) => (c.vector_output ? [size] : [size, 1]), width: 1, want: c.y, relative: true };
  if (c.dydx === undefined) {
    return [y];
  }
  const outs = [y,
    { name: 'dydx', shape: (size) => [size, c.inputs], width: c.inputs, want: c.dydx, relative: false },
    { name: 'gamma', shape: (size) => [size], width: 1, want: c.gamma, relative: false }];
  if (c.hessian !== undefined) {
    outs.push({ name: 'hessian', shape: (size) => [size, c.inputs, c.inputs], width: c.inputs * c.inputs, want: c.hessian, relative: false });
  }
  return outs;
}

// run returns the outputs of session for rows [lo, hi) of the case c, one
// array per entry of outputs(c).
async function run(session, c, lo, hi) {
  const size = c.fixed_batch ?? hi - lo;
  const outs = outputs(c);
  const got = outs.map(() => []);
  for (let start = lo; start < hi; start += size) {
    const rows = Math.min(size, hi - start);
    const x = new Float64Array(size * c.inputs);
    for (let r = 0; r < size; r++) {
      const src = start + (r < rows ? r : 0);
      x.set(c.x.slice(src * c.inputs, (src + 1) * c.inputs), r * c.inputs);
    }
    const feed = { [session.inputNames[0]]: new ort.Tensor('float64', x, [size, c.inputs]) };
    const result = await session.run(feed);
    outs.forEach((o, k) => {
      const out = result[outs.length === 1 ? session.outputNames[0] : o.name];
      const want = o.shape(size);
      if (out === undefined || out.type !== 'float64' || out.dims.length !== want.length || out.dims.some((d, i) => d !== want[i])) {
        throw new Error(`output ${o.name} is ${out?.type} of shape [${out?.dims}], want float64 of shape [${want}]`);
      }
      got[k].push(...Array.from(out.data).slice(0, rows * o.width));
    });
  }
  return got;
}

// check runs the model file and returns its worst value: the largest
// relative difference from sobolev, where, and the two values.
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
  const outs = outputs(c);
  if (session.inputNames.length !== 1 || session.outputNames.length !== outs.length) {
    throw new Error(`model has inputs [${session.inputNames}] and outputs [${session.outputNames}], want one input and ${outs.map((o) => o.name)}`);
  }
  const first = await run(session, c, 0, 1);
  const rest = await run(session, c, 1, c.batch);
  let worst = { rel: -1 };
  outs.forEach((o, k) => {
    const got = [...first[k], ...rest[k]];
    const scale = o.relative ? 0 : Math.max(...o.want.map(Math.abs));
    for (let i = 0; i < got.length; i++) {
      const rel = got[i] === o.want[i] ? 0 : Math.abs(got[i] - o.want[i]) / Math.max(Math.abs(o.want[i]), scale);
      if (!(rel <= worst.rel)) { // NaN counts as worst
        worst = { rel, row: `${Math.floor(i / o.width)} of ${o.name}`, ort: got[i], sobolev: o.want[i] };
      }
    }
  });
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
