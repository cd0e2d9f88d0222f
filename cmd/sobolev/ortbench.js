'use strict';
// ortbench.js times ONNX models in onnxruntime-node (CPU execution provider,
// float64): the throughput of batched inference and the latency of one point.
//
//	node ortbench.js [--json] [--min-time S] [--batch B] [--threads T] [--x FILE] model.onnx …
//
// "sobolev eval --onnxruntime DIR" embeds this file, writes it to a temporary
// folder and runs it with NODE_PATH=DIR/node_modules; .ci/onnxruntime/bench.js
// runs it with that folder's onnxruntime-node.
//
// Each model must have one input, float64 [batch, n], and float64 outputs:
// the value graph of package onnx (Save) or its greeks graph (SaveGreeks, as
// "sobolev export" writes it). Two measurements per model:
//
//   batched  session.run on B points at once, repeated for at least --min-time
//            seconds; the session has intraOpNumThreads = T (--threads, default
//            the number of cores, os.availableParallelism()). Reported as
//            points per second: repetitions · B / seconds.
//   point    session.run on one point [1, n], the rows taken in turn, repeated
//            for at least --min-time seconds; the session has
//            intraOpNumThreads = 1, since a single point has nothing to share
//            among threads (more threads only add their wake-up). Reported as
//            microseconds per point.
//
// Both sessions have interOpNumThreads = 1, executionMode "sequential" and
// onnxruntime's default graph optimisation (all). Every timed repetition
// includes creating the input tensor (for a point, also copying the row into
// the input array) and the whole await session.run(...), which fetches every
// output of the model into JavaScript arrays: what a Node.js caller pays.
// Before timing, each session runs a few times untimed (warm-up).
//
// The points are the rows of --x, a JSON file {"inputs": n, "x": [N·n
// numbers, row-major]}, cycled if B > N; without --x, rows uniform in
// [0, 1)^n from a fixed seed (n from the model's input shape). B is --batch,
// else N with --x, else 4096.
//
// --json prints one JSON object:
//
//	{"onnxruntime": version, "node": version, "execution_provider": "cpu",
//	 "min_time": S, "models": [{"file", "inputs", "outputs": [names],
//	  "batch": B, "threads": T, "batch_repetitions", "batch_seconds",
//	  "points_per_second", "point_repetitions", "point_seconds" (total),
//	  "point_microseconds"}, …]}
//
// and without --json one line per model. Errors go to stderr with exit
// status 1 (2 for a wrong command line).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const usage = `usage: node ${path.basename(process.argv[1] ?? 'ortbench.js')} [--json] [--min-time S] [--batch B] [--threads T] [--x FILE] model.onnx …`;

// parseArgs returns the options and model files of the command line args.
function parseArgs(args) {
  const o = { json: false, minTime: 1, batch: 0, threads: os.availableParallelism(), x: '', files: [] };
  const number = (flag, v, integer) => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x) || x < 0 || (integer && (!Number.isInteger(x) || x < 1))) {
      throw new UsageError(`${flag} ${v}: want ${integer ? 'a positive integer' : 'a number ≥ 0'}`);
    }
    return x;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case '--json': o.json = true; break;
      case '--min-time': o.minTime = number(a, args[++i], false); break;
      case '--batch': o.batch = number(a, args[++i], true); break;
      case '--threads': o.threads = number(a, args[++i], true); break;
      case '--x':
        o.x = args[++i];
        if (o.x === undefined) {
          throw new UsageError('--x needs a file');
        }
        break;
      default:
        if (a.startsWith('-')) {
          throw new UsageError(`unknown flag ${a}`);
        }
        o.files.push(a);
    }
  }
  if (o.files.length === 0) {
    throw new UsageError('no model files');
  }
  return o;
}

class UsageError extends Error {}

// readPoints returns the rows of the JSON file --x: {inputs, x}.
function readPoints(file) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const n = p.inputs;
  if (!Number.isInteger(n) || n < 1 || !Array.isArray(p.x) || p.x.length === 0 || p.x.length % n !== 0) {
    throw new Error(`${file}: want {"inputs": n ≥ 1, "x": [a positive multiple of n numbers]}`);
  }
  return { inputs: n, x: Float64Array.from(p.x) };
}

// randomPoints returns rows points uniform in [0, 1)^n from a fixed seed
// (mulberry32 generating the 32 high bits, then the low bits).
function randomPoints(n, rows) {
  let s = 0x5eed;
  const u32 = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const x = new Float64Array(n * rows);
  for (let i = 0; i < x.length; i++) {
    x[i] = (u32() * 2 ** 21 + (u32() >>> 11)) / 2 ** 53;
  }
  return { inputs: n, x };
}

// modelInputs returns n, the width of the session's one input, float64
// [batch, n].
function modelInputs(session, file) {
  const m = session.inputMetadata?.[0];
  const shape = m?.shape ?? [];
  if (session.inputNames.length !== 1 || (m !== undefined && (m.type !== 'float64' || shape.length !== 2 || !Number.isInteger(shape[1])))) {
    throw new Error(`${file}: inputs [${session.inputNames}] of type ${m?.type} and shape [${shape}], want one float64 input [batch, n]`);
  }
  return shape[1];
}

// seconds returns the seconds since start, a process.hrtime.bigint().
function seconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// checkOutputs throws unless every output of a run on rows points is float64
// with rows as its first axis.
function checkOutputs(file, result, rows) {
  for (const [name, t] of Object.entries(result)) {
    if (t.type !== 'float64' || t.dims[0] !== rows) {
      throw new Error(`${file}: output ${name} is ${t.type} of shape [${t.dims}] for ${rows} points, want float64 [${rows}, …]`);
    }
  }
}

// bench times one model file.
async function bench(ort, o, file, points) {
  const base = { executionProviders: ['cpu'], interOpNumThreads: 1, executionMode: 'sequential' };
  const batched = await ort.InferenceSession.create(file, { ...base, intraOpNumThreads: o.threads });
  const single = await ort.InferenceSession.create(file, { ...base, intraOpNumThreads: 1 });
  let n = modelInputs(batched, file);
  if (points === undefined) {
    if (n === undefined) {
      throw new Error(`${file}: this onnxruntime does not give the width of the input; pass the points with --x`);
    }
    points = randomPoints(n, o.batch || 4096);
  }
  n ??= points.inputs;
  if (points.inputs !== n) {
    throw new Error(`${file} has ${n} inputs, but the points of --x have ${points.inputs}`);
  }
  const rows = points.x.length / n;
  const B = o.batch || rows;
  let xb = points.x;
  if (B !== rows) {
    xb = new Float64Array(B * n);
    for (let r = 0; r < B; r++) {
      xb.set(points.x.subarray((r % rows) * n, (r % rows + 1) * n), r * n);
    }
  }
  const input = batched.inputNames[0];

  // Batched: a new tensor over xb and one session.run per repetition.
  const runBatch = () => batched.run({ [input]: new ort.Tensor('float64', xb, [B, n]) });
  checkOutputs(file, await runBatch(), B);
  for (let i = 0; i < 2; i++) {
    await runBatch();
  }
  let batchReps = 0;
  let start = process.hrtime.bigint();
  let batchSeconds = 0;
  do {
    await runBatch();
    batchReps++;
    batchSeconds = seconds(start);
  } while (batchSeconds < o.minTime);

  // One point: row r copied into p, a new tensor and one session.run.
  const p = new Float64Array(n);
  const runPoint = (r) => {
    p.set(points.x.subarray(r * n, (r + 1) * n));
    return single.run({ [input]: new ort.Tensor('float64', p, [1, n]) });
  };
  checkOutputs(file, await runPoint(0), 1);
  for (let i = 0; i < 100; i++) {
    await runPoint(i % rows);
  }
  let pointReps = 0;
  start = process.hrtime.bigint();
  let pointSeconds = 0;
  do {
    await runPoint(pointReps % rows);
    pointReps++;
    pointSeconds = seconds(start);
  } while (pointSeconds < o.minTime);

  await batched.release();
  await single.release();
  return {
    file, inputs: n, outputs: batched.outputNames, batch: B, threads: o.threads,
    batch_repetitions: batchReps, batch_seconds: batchSeconds, points_per_second: batchReps * B / batchSeconds,
    point_repetitions: pointReps, point_seconds: pointSeconds, point_microseconds: 1e6 * pointSeconds / pointReps,
  };
}

// main runs the command line args with the onnxruntime-node module ort.
async function main(ort, args) {
  let o;
  try {
    o = parseArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) {
      throw err;
    }
    console.error(`ortbench: ${err.message}\n${usage}`);
    process.exit(2);
  }
  try {
    const points = o.x === '' ? undefined : readPoints(o.x);
    const models = [];
    for (const file of o.files) {
      models.push(await bench(ort, o, file, points));
    }
    if (o.json) {
      console.log(JSON.stringify({
        onnxruntime: ort.env.versions.node ?? ort.env.versions.common, node: process.version,
        execution_provider: 'cpu', min_time: o.minTime, models,
      }));
      return;
    }
    for (const m of models) {
      console.log(`${m.file}: outputs ${m.outputs.join(', ')}; ${m.points_per_second.toPrecision(4)} points/s batched ` +
        `(${m.batch} points, ${m.threads} threads, ${m.batch_repetitions} runs in ${m.batch_seconds.toFixed(2)} s); ` +
        `one point ${m.point_microseconds.toPrecision(3)} µs (1 thread)`);
    }
  } catch (err) {
    console.error(`ortbench: ${err.message}`);
    process.exit(1);
  }
}

module.exports = { main };

if (require.main === module) {
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (err) {
    console.error(`ortbench: cannot load onnxruntime-node (${err.message.split('\n')[0]}); run "npm ci --ignore-scripts" in .ci/onnxruntime and set NODE_PATH to its node_modules`);
    process.exit(1);
  }
  main(ort, process.argv.slice(2));
}
