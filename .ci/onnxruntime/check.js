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
// A greeks case also names, as "value_model", the value graph of the same
// network (its own case's JSON beside it gives how to run it), with
// "x_scale": [n input scales] and "fd_rows": the first rows at which the
// greeks onnxruntime computes are compared with central finite differences
// of the value graph, also run in onnxruntime: dydx_j with
// (y(x + h·e_j) − y(x − h·e_j)) / 2h, h = 1e-4·x_scale_j, and gamma (along
// the all-ones vector v) with (y(x + t·v) − 2·y(x) + y(x − t·v)) / t², t
// a step of 1e-3 in normalised units.
// One line is printed per model. The exit status is 1 unless every value
// equals sobolev's to 1e-9 relative: |onnxruntime − sobolev| ≤ 1e-9·|sobolev|
// for y; for the deltas and gamma, which cross zero, 1e-9 relative to the
// largest |sobolev| of that output over the batch; and unless the finite
// differences equal the greeks to 1e-5, relative in the same way (their
// truncation errors reach about 1.3e-6 on these nets), or within a bound
// of the rounding error of the difference quotient (64 ulps of the values
// it subtracts, over its denominator) where that is larger, as where a
// greek vanishes.

const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');

const rtol = 1e-9;
const fdRtol = 1e-5;

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
  const gots = outs.map((o, k) => [...first[k], ...rest[k]]);
  outs.forEach((o, k) => {
    const got = gots[k];
    const scale = o.relative ? 0 : Math.max(...o.want.map(Math.abs));
    for (let i = 0; i < got.length; i++) {
      const rel = got[i] === o.want[i] ? 0 : Math.abs(got[i] - o.want[i]) / Math.max(Math.abs(o.want[i]), scale);
      if (!(rel <= worst.rel)) { // NaN counts as worst
        worst = { rel, row: `${Math.floor(i / o.width)} of ${o.name}`, ort: got[i], sobolev: o.want[i] };
      }
    }
  });
  const fd = c.value_model === undefined || !(c.fd_rows > 0) ? undefined :
    await finiteDifferences(path.join(path.dirname(file), c.value_model), c, gots[1], gots[2]);
  return { batch: c.batch, optimization: c.optimization ?? 'all', ...worst, fd };
}

// finiteDifferences runs the value graph valueFile at the points of the
// central differences of the first c.fd_rows rows of the greeks case c and
// returns the worst relative difference between them and onnxruntime's
// deltas dydx and gammas gamma, as check does.
async function finiteDifferences(valueFile, c, dydx, gamma) {
  const vc = JSON.parse(fs.readFileSync(valueFile.replace(/\.onnx$/, '.json'), 'utf8'));
  const options = { executionProviders: ['cpu'] };
  if (vc.optimization !== undefined) {
    options.graphOptimizationLevel = vc.optimization;
  }
  const session = await ort.InferenceSession.create(valueFile, options);
  const n = c.inputs;
  const rows = c.fd_rows;
  const h = c.x_scale.map((s) => 1e-4 * s);
  // The step t along v = (1, …, 1) is 1e-3 long in normalised units.
  const t = 1e-3 / Math.sqrt(c.x_scale.reduce((a, s) => a + 1 / (s * s), 0));
  // Per row: x ± h_j·e_j for each j, then x, x + t·v, x − t·v.
  const per = 2 * n + 3;
  const x = [];
  for (let r = 0; r < rows; r++) {
    const x0 = c.x.slice(r * n, (r + 1) * n);
    for (let j = 0; j < n; j++) {
      for (const sign of [1, -1]) {
        const p = x0.slice();
        p[j] += sign * h[j];
        x.push(...p);
      }
    }
    x.push(...x0, ...x0.map((v) => v + t), ...x0.map((v) => v - t));
  }
  const pc = { inputs: n, x, fixed_batch: vc.fixed_batch, vector_output: vc.vector_output };
  const [y] = await run(session, pc, 0, rows * per);
  // Each difference quotient comes with a bound of its rounding error,
  // noise: 64 ulps of the values it subtracts (each carries the rounding of
  // the graph that computed it), over its denominator. It is
  // the floor of the comparison, where the greek vanishes (a linear net).
  const eps = 64 * Number.EPSILON;
  const fdDydx = [];
  const noiseDydx = [];
  const fdGamma = [];
  const noiseGamma = [];
  for (let r = 0; r < rows; r++) {
    const b = r * per;
    for (let j = 0; j < n; j++) {
      // The steps actually taken, after rounding x ± h.
      const step = (c.x[r * n + j] + h[j]) - (c.x[r * n + j] - h[j]);
      fdDydx.push((y[b + 2 * j] - y[b + 2 * j + 1]) / step);
      noiseDydx.push(eps * (Math.abs(y[b + 2 * j]) + Math.abs(y[b + 2 * j + 1])) / step);
    }
    const [y0, yp, ym] = [y[b + 2 * n], y[b + 2 * n + 1], y[b + 2 * n + 2]];
    fdGamma.push((yp - 2 * y0 + ym) / (t * t));
    noiseGamma.push(eps * (Math.abs(yp) + 2 * Math.abs(y0) + Math.abs(ym)) / (t * t));
  }
  let worst = { rel: -1 };
  for (const [name, fd, noise, got] of [['dydx', fdDydx, noiseDydx, dydx.slice(0, rows * n)], ['gamma', fdGamma, noiseGamma, gamma.slice(0, rows)]]) {
    const scale = Math.max(...got.map(Math.abs));
    const width = name === 'dydx' ? n : 1;
    for (let i = 0; i < fd.length; i++) {
      const rel = Math.abs(fd[i] - got[i]) / Math.max(Math.abs(got[i]), scale, noise[i] / fdRtol);
      if (!(rel <= worst.rel)) {
        worst = { rel, row: `${Math.floor(i / width)} of ${name}`, fd: fd[i], ort: got[i] };
      }
    }
  }
  return { rows, ...worst };
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
      const ok = w.rel <= rtol && (w.fd === undefined || w.fd.rel <= fdRtol);
      failed += ok ? 0 : 1;
      const fd = w.fd === undefined ? '' : `; finite differences of the value graph at ${w.fd.rows} points: worst relative difference ${w.fd.rel.toExponential(1)}` +
        ` in row ${w.fd.row} (finite difference ${w.fd.fd}, onnxruntime ${w.fd.ort})`;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} (optimization ${w.optimization}): ${w.batch} points, worst relative difference ${w.rel.toExponential(1)}` +
        ` in row ${w.row} (onnxruntime ${w.ort}, sobolev ${w.sobolev})${fd}`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${name}: ${err.message}`);
    }
  }
  if (failed > 0) {
    console.error(`onnxruntime check: ${failed} of ${files.length} models fail (outputs must equal sobolev's to ${rtol} relative, greeks their finite differences to ${fdRtol})`);
  } else {
    console.log(`onnxruntime ${ort.env.versions.node}: all ${files.length} models equal sobolev's outputs to ${rtol} relative, the greeks the finite differences of the value graph to ${fdRtol}`);
  }
  console.log(`onnxruntime: ${files.length - failed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
