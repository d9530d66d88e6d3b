// infbench report: builds every chart from the rows embedded by `infbench report` (window.INFBENCH).
// Runs offline from a file:// URL; Chart.js is inlined in the page. Sets data-charts-rendered and
// data-errors on <body> so that a headless browser test can check the page.
(function () {
  'use strict';
  const data = window.INFBENCH;
  const errors = [];
  window.addEventListener('error', (e) => { errors.push(String(e.message)); document.body.dataset.errors = errors.join(' | '); });
  let rendered = 0;
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const colorOf = (() => { const seen = new Map(); return (key) => { if (!seen.has(key)) seen.set(key, palette[seen.size % palette.length]); return seen.get(key); }; })();
  const ok = data.points.filter((p) => p.status === 'ok');
  const failed = data.points.filter((p) => p.status !== 'ok');
  const mib = (b) => (b == null ? null : b / 1048576);
  const settingsOf = (p) => {
    const req = JSON.parse(p.requested_json || '{}').params || {};
    const parts = [];
    // Every requested setting is part of a series' name, precision included: fp32 and fp16 points
    // of one framework are two series, not one zig-zag line.
    if (req.precision && req.precision !== 'fp32') parts.push(req.precision);
    if (req.optimization) parts.push(req.optimization);
    for (const [k, v] of Object.entries(req.options || {})) parts.push(`${k}=${v}`);
    if (req.threads) parts.push(`threads=${req.threads}`);
    if (p.device >= 0) parts.push(`gpu${p.device}`);
    return parts.join(' ');
  };
  const multiRun = data.runs.length > 1;  // several runs: label each configuration with its run
  // Several machines (an MPI sweep over a cluster): a configuration is also labelled with its host.
  const multiHost = new Set(data.points.map((p) => p.host).filter((h) => h)).size > 1;  // points without a host (ensemble studies) do not count
  const placementOf = (p) => `${p.host || '?'} ${p.device_used || (p.device >= 0 ? 'gpu' + p.device : 'cpu')}`;
  // Static-batch exports (OpenCV files for squeeze-excite models) are one load group per batch size.
  const staticFile = (p) => { const m = /\.b(\d+)\.onnx$/.exec(p.model_file || ''); return m ? ` [b${m[1]} export]` : ''; };
  const configOf = (p) => `${multiRun ? 'run' + p.run_id + ' ' : ''}${multiHost ? '@' + p.host + ' ' : ''}${p.framework}${settingsOf(p) ? ' ' + settingsOf(p) : ''}`;
  const models = [...new Set(data.points.map(modelName))];
  function modelName(p) { const req = JSON.parse(p.requested_json || '{}'); return req.model || p.model; }
  const byModel = (rows, m) => rows.filter((p) => modelName(p) === m);

  // Every string from the database (model names, paths, settings, error messages) reaches the page
  // as text (textContent), never as markup: a model label holding an image tag with an onerror
  // handler is shown, not run. No innerHTML anywhere in this file (tests/report checks the page).
  function el(tag, text, attrs) {
    const e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }
  function section(title, note) {
    const s = document.createElement('section');
    s.appendChild(el('h2', title));
    if (note) s.appendChild(el('p', note, { class: 'note' }));
    document.getElementById('content').appendChild(s);
    return s;
  }
  function chart(parent, config, title) {
    const box = document.createElement('div');
    box.className = 'chart';
    const canvas = document.createElement('canvas');
    box.appendChild(canvas);
    parent.appendChild(box);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { title: { display: !!title, text: title } } }, config.options || {});
    if (title) config.options.plugins = Object.assign({ title: { display: true, text: title } }, config.options.plugins);
    new Chart(canvas, config);
    rendered += 1;
    box.dataset.rendered = '1';
  }
  // A cell is a value (shown as text), null ("not measured"), an array (one line per item) or
  // { text, style, cls, header } (heat-map cells, row headers, marked cells).
  function cell(c, tag) {
    if (c != null && typeof c === 'object' && !Array.isArray(c)) {
      const e = cell(c.text, c.header ? 'th' : tag);
      if (c.style) e.setAttribute('style', c.style);
      if (c.cls) e.setAttribute('class', c.cls);
      return e;
    }
    const e = document.createElement(tag);
    if (c == null) e.appendChild(el('i', 'not measured'));
    else if (Array.isArray(c)) c.forEach((line, i) => { if (i) e.appendChild(document.createElement('br')); e.appendChild(document.createTextNode(String(line))); });
    else e.textContent = String(c);
    return e;
  }
  function table(parent, header, rows, caption) {
    const t = document.createElement('table');
    if (caption) t.appendChild(el('caption', caption));
    const head = document.createElement('tr');
    for (const h of header) head.appendChild(cell(h, 'th'));
    t.appendChild(head);
    for (const r of rows) {
      const tr = document.createElement('tr');
      for (const c of r) tr.appendChild(cell(c, 'td'));
      t.appendChild(tr);
    }
    parent.appendChild(t);
    return t;
  }
  const fmt = (v, d = 2) => (v == null ? null : Number(v).toFixed(d));

  // 1. Throughput vs batch size (the paper's main figure), one chart per model.
  const s1 = section('Throughput vs batch size', 'Offline scenario: completed samples per second of wall time (docs/metrics.md).');
  for (const m of models) {
    const rows = byModel(ok, m).filter((p) => p.scenario === 'offline');
    if (!rows.length) continue;
    const configs = [...new Set(rows.map(configOf))];
    chart(s1, { type: 'line', data: { datasets: configs.map((c) => ({ label: c, borderColor: colorOf(c), backgroundColor: colorOf(c),
      data: rows.filter((p) => configOf(p) === c).sort((a, b) => a.batch_size - b.batch_size).map((p) => ({ x: p.batch_size, y: p.throughput_samples_per_s })) })) },
      options: { scales: { x: { type: 'logarithmic', title: { display: true, text: 'batch size' }, ticks: { callback: (v) => v } },
        y: { title: { display: true, text: 'samples/s' }, beginAtZero: true } } } }, m);
  }

  // 2. Load time per framework, phases stacked, cache status in the label.
  const s2 = section('Load time', 'Phases as each adapter marks them, plus the first inference; one load per model/settings group.');
  for (const m of models) {
    const groups = new Map();
    for (const p of byModel(ok, m)) if (!groups.has(p.group_id + p.cache)) groups.set(p.group_id + p.cache, p);
    const rows = [...groups.values()];
    if (!rows.length) continue;
    const phaseNames = [...new Set(rows.flatMap((p) => (p.load_phases || '').split(';').filter(Boolean).map((kv) => kv.split('=')[0])))];
    const labels = rows.map((p) => `${configOf(p)}${staticFile(p)} (cache ${p.cache})`);
    const datasets = phaseNames.map((ph) => ({ label: ph, backgroundColor: colorOf('phase:' + ph),
      data: rows.map((p) => { const kv = (p.load_phases || '').split(';').find((x) => x.startsWith(ph + '=')); return kv ? Number(kv.split('=')[1]) : 0; }) }));
    datasets.push({ label: 'first inference', backgroundColor: colorOf('phase:first'), data: rows.map((p) => p.first_inference_s) });
    chart(s2, { type: 'bar', data: { labels, datasets }, options: { indexAxis: 'y', scales: { x: { stacked: true, title: { display: true, text: 'seconds' } }, y: { stacked: true } } } }, m);
  }

  // 3. Memory at batch 1 / 32 / 128 (or the nearest measured batch sizes).
  const s3 = section('Host memory by batch size', 'Peak resident set size during inference (VmHWM after a reset); baseline and load peaks are in the table export.');
  for (const m of models) {
    const rows = byModel(ok, m).filter((p) => p.host_peak_rss_inference_bytes != null);
    if (!rows.length) continue;
    const configs = [...new Set(rows.map(configOf))];
    // Per configuration, the measured batch size nearest (in log scale) to 1, 32 and 128.
    const nearest = (c, t) => rows.filter((r) => configOf(r) === c).reduce((best, r) => (best == null || Math.abs(Math.log2(r.batch_size / t)) < Math.abs(Math.log2(best.batch_size / t)) ? r : best), null);
    chart(s3, { type: 'bar', data: { labels: configs, datasets: [1, 32, 128].map((t) => ({ label: `batch ${t} (or nearest measured)`, backgroundColor: colorOf('batch' + t),
      data: configs.map((c) => { const p = nearest(c, t); return p ? mib(p.host_peak_rss_inference_bytes) : null; }) })) },
      options: { scales: { y: { title: { display: true, text: 'MiB' }, beginAtZero: true } } } }, m);
  }

  // 4. Energy vs throughput with the paper's power-law fit (energy ~ a * throughput^-b).
  const withEnergy = ok.filter((p) => p.energy_per_sample_j != null && p.throughput_samples_per_s > 0);
  const s4 = section('Energy vs throughput', withEnergy.length ? 'Energy per sample against throughput, log-log, with a least-squares power-law fit.'
    : 'Energy was not measured: no power probe works on the machine(s) of these runs (' + [...new Set(ok.map((p) => p.warnings).filter((w) => w && w.includes('power')).map((w) => w.split(';').find((x) => x.includes('power')).trim()))].join('; ') + ').');
  if (withEnergy.length >= 2) {
    const xs = withEnergy.map((p) => Math.log(p.throughput_samples_per_s)), ys = withEnergy.map((p) => Math.log(p.energy_per_sample_j));
    const n = xs.length, mx = xs.reduce((a, b) => a + b) / n, my = ys.reduce((a, b) => a + b) / n;
    const b = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const a = my - b * mx;
    const ssr = ys.reduce((s, y, i) => s + (y - (a + b * xs[i])) ** 2, 0), sst = ys.reduce((s, y) => s + (y - my) ** 2, 0);
    const lo = Math.min(...xs), hi = Math.max(...xs);
    chart(s4, { type: 'scatter', data: { datasets: [
      { label: 'points', backgroundColor: colorOf('energy'), data: withEnergy.map((p) => ({ x: p.throughput_samples_per_s, y: p.energy_per_sample_j })) },
      { label: `fit: J/sample = ${Math.exp(a).toPrecision(3)} x throughput^${b.toFixed(2)} (R^2 ${(1 - ssr / sst).toFixed(2)})`, type: 'line', borderColor: '#000', pointRadius: 0,
        data: [lo, hi].map((x) => ({ x: Math.exp(x), y: Math.exp(a + b * x) })) }] },
      options: { scales: { x: { type: 'logarithmic', title: { display: true, text: 'samples/s' } }, y: { type: 'logarithmic', title: { display: true, text: 'J per sample' } } } } }, 'Energy per sample');
  }

  // 5. Latency percentiles at the smallest batch size of each configuration.
  const s5 = section('Latency percentiles', 'p50 / p90 / p99 per query at each configuration\'s smallest batch size (estimator: sorted element at floor(n·p)).');
  for (const m of models) {
    const rows = byModel(ok, m).filter((p) => p.latency_p50_ms != null);
    const configs = [...new Set(rows.map(configOf))];
    const smallest = configs.map((c) => rows.filter((p) => configOf(p) === c).sort((a, b) => a.batch_size - b.batch_size || a.scenario.localeCompare(b.scenario))[0]);
    if (!smallest.length) continue;
    chart(s5, { type: 'bar', data: { labels: smallest.map((p) => `${configOf(p)} b${p.batch_size} ${p.scenario}`),
      datasets: ['p50', 'p90', 'p99'].map((q) => ({ label: q, backgroundColor: colorOf('lat' + q), data: smallest.map((p) => p['latency_' + q + '_ms']) })) },
      options: { scales: { y: { title: { display: true, text: 'ms' }, beginAtZero: true } } } }, m);
  }

  // 6. Pareto front of p99 latency vs throughput.
  const s6 = section('Pareto front: latency vs throughput', 'Every measured point; the front holds the points no other point beats on both throughput and p99 latency.');
  for (const m of models) {
    const rows = byModel(ok, m).filter((p) => p.latency_p99_ms != null);
    if (!rows.length) continue;
    const front = rows.filter((p) => !rows.some((q) => q !== p && q.throughput_samples_per_s >= p.throughput_samples_per_s && q.latency_p99_ms <= p.latency_p99_ms &&
      (q.throughput_samples_per_s > p.throughput_samples_per_s || q.latency_p99_ms < p.latency_p99_ms))).sort((a, b) => a.latency_p99_ms - b.latency_p99_ms);
    chart(s6, { type: 'scatter', data: { datasets: [
      ...[...new Set(rows.map(configOf))].map((c) => ({ label: c, backgroundColor: colorOf(c), data: rows.filter((p) => configOf(p) === c).map((p) => ({ x: p.latency_p99_ms, y: p.throughput_samples_per_s, b: p.batch_size })) })),
      { label: 'Pareto front', type: 'line', borderColor: '#000', pointRadius: 0, data: front.map((p) => ({ x: p.latency_p99_ms, y: p.throughput_samples_per_s })) }] },
      options: { scales: { x: { type: 'logarithmic', title: { display: true, text: 'p99 latency (ms)' } }, y: { title: { display: true, text: 'samples/s' } } } } }, m);
  }

  // Accuracy gate (docs/metrics.md "Accuracy"): a point whose outputs are outside its precision's
  // gate is marked here and never chosen as a best configuration or a winner below.
  const gateFailed = (p) => String(p.accuracy_gate || '').startsWith('fail');
  const eligible = ok.filter((p) => !gateFailed(p));
  const gateCell = (p) => (gateFailed(p) ? { text: `FAIL ${p.accuracy_gate.slice(5).trim()}`, cls: 'gate-fail' }
    : p.accuracy_gate ? 'pass' : 'not checked');
  const sAcc = section(`Accuracy against the fp32 reference (${ok.length - eligible.length} point(s) fail their gate)`,
    'First output vs the fp32 reference on the same inputs at the point\'s batch size: max |y-ref|/max|ref|, the smallest per-sample cosine, top-1 agreement; ' +
    'top-1 on a labelled set only for models with real weights. Gates per precision in docs/metrics.md. Points marked FAIL are left out of the best configurations and winners.');
  table(sAcc, ['point', 'precision', 'max rel error', 'min cosine', 'top-1 agreement', 'top-1 (labelled)', 'gate'], ok.map((p) => [
    p.label, p.precision, p.accuracy_max_rel_error == null ? null : p.accuracy_max_rel_error.toExponential(2),
    p.accuracy_cosine == null ? null : p.accuracy_cosine.toFixed(6), fmt(p.accuracy_top1_agreement, 3), fmt(p.accuracy_top1, 4), gateCell(p)]));

  // 7. Best configuration per model, among the points that pass their accuracy gate.
  const s7 = section('Best configuration per model', ok.length > eligible.length
    ? `Chosen among the points that do not fail their accuracy gate (${ok.length - eligible.length} excluded, marked FAIL above).` : '');
  const best = (rows, key, better) => rows.filter((p) => p[key] != null).reduce((a, p) => (a == null || better(p[key], a[key]) ? p : a), null);
  table(s7, ['model', 'highest throughput', 'lowest p99 latency', 'lowest peak memory'], models.map((m) => {
    const rows = byModel(eligible, m);
    const t = best(rows, 'throughput_samples_per_s', (x, y) => x > y), l = best(rows, 'latency_p99_ms', (x, y) => x < y), mm = best(rows, 'host_peak_rss_inference_bytes', (x, y) => x < y);
    return [m, t && `${configOf(t)} b${t.batch_size}: ${fmt(t.throughput_samples_per_s)} samples/s`, l && `${configOf(l)} b${l.batch_size} ${l.scenario}: ${fmt(l.latency_p99_ms)} ms`,
      mm && `${configOf(mm)} b${mm.batch_size}: ${fmt(mib(mm.host_peak_rss_inference_bytes), 0)} MiB`];
  }));

  // 8. The paper's question: which framework wins, per model and batch size, and by how much.
  // Each framework is represented by its fastest setting at that batch size.
  const sWin = section('Which framework wins, per model and batch size',
    'Offline throughput; each framework at its fastest setting for that batch size, among points that do not fail their accuracy gate. "× next" is the winner over the best other framework, "× slowest" over the slowest framework.');
  const winnerRows = [];
  for (const m of models) {
    const rows = byModel(eligible, m).filter((p) => p.scenario === 'offline' && p.throughput_samples_per_s != null);
    for (const b of [...new Set(rows.map((p) => p.batch_size))].sort((x, y) => x - y)) {
      const perFramework = new Map();
      for (const p of rows.filter((r) => r.batch_size === b)) {
        const key = `${p.framework}${p.device >= 0 ? ' gpu' + p.device : ''}`;
        if (!perFramework.has(key) || p.throughput_samples_per_s > perFramework.get(key).throughput_samples_per_s) perFramework.set(key, p);
      }
      const ranked = [...perFramework.values()].sort((x, y) => y.throughput_samples_per_s - x.throughput_samples_per_s);
      if (!ranked.length) continue;
      const [w, next] = ranked, slowest = ranked[ranked.length - 1];
      winnerRows.push([m, b, `${configOf(w)}: ${fmt(w.throughput_samples_per_s)} samples/s`,
        next ? `${configOf(next)}: ${fmt(next.throughput_samples_per_s)}` : '(only one framework)',
        next ? `${fmt(w.throughput_samples_per_s / next.throughput_samples_per_s)}×` : '',
        ranked.length > 2 ? `${fmt(w.throughput_samples_per_s / slowest.throughput_samples_per_s)}× (${slowest.framework})` : '',
        ranked.map((p) => `${p.framework} ${fmt(p.throughput_samples_per_s)}`).join(', ')]);
    }
  }
  table(sWin, ['model', 'batch', 'winner', 'next framework', '× next', '× slowest', 'all frameworks (samples/s)'], winnerRows);

  // Ensemble studies (`infbench ensemble`): speed-up per mode, interference heat map, accuracy.
  const studies = (data.studies || []).filter((st) => st.kind === 'ensemble');
  if (studies.length) {
    const se = section('Ensembles', 'Co-location modes (docs/ensembles.md): throughput relative to running the members one after the other; ' +
      'slowdown of each member (row) while another (column) runs beside it = its rate alone / its rate co-located, each with the thread share it has in the ensemble; top-1 of members and ensemble on labelled data.');
    const heat = (v) => (v == null ? '' : `background:hsl(${Math.max(0, 120 - 60 * (v - 1))},70%,${Math.max(45, 90 - 15 * Math.abs(v - 1))}%)`);
    for (const st of studies) {
      const s = st.summary;
      const h = document.createElement('h3');
      h.textContent = `${s.ensemble} (run ${st.run_id}): ${s.members.map((m) => `${m.name} [${m.framework}]`).join(', ')}; combine ${s.combine}; ${s.threads} threads`;
      se.appendChild(h);
      const modes = [...new Set(s.batches.flatMap((b) => Object.keys(b.modes || {})))];
      chart(se, { type: 'bar', data: { labels: s.batches.map((b) => `batch ${b.batch_size}`),
        datasets: modes.map((m) => ({ label: m, backgroundColor: colorOf(`mode ${m}`), data: s.batches.map((b) => (b.speedup_vs_sequential || {})[m] ?? null) })) },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'throughput / sequential' } } } } }, `${s.ensemble}: speed-up over the sequential mode`);
      table(se, ['batch', 'mode', 'samples/s', 'speed-up', 'p50 ms', 'p99 ms', 'peak RSS MiB'], s.batches.flatMap((b) => Object.entries(b.modes || {}).map(([m, r]) => [b.batch_size, m,
        r.status === 'ok' ? fmt(r.throughput_samples_per_s) : `failed: ${r.error}`, fmt((b.speedup_vs_sequential || {})[m], 3), fmt(r.latency_p50_ms), fmt(r.latency_p99_ms), fmt(mib(r.host_peak_rss_bytes), 0)])));
      for (const b of s.batches) {
        const inf = b.interference;
        if (!inf || inf.error) continue;
        const names = s.members.map((m) => m.name);
        const t = table(se, ['member', 'alone samples/s', ...names.map((n) => `with ${n}`), 'with all', 'RSS added MiB'],
          names.map((n, i) => [{ text: n, header: true }, fmt(inf.alone_samples_per_s[n]), ...[...names, 'all'].map((o) => {
            const v = o === n ? null : (inf.slowdown[n] || {})[o];
            return { text: v == null ? '-' : fmt(v) + 'x', style: heat(v) };
          }), fmt(mib(inf.threads_per_member[i].rss_added_bytes), 1)]),
          `Interference at batch ${b.batch_size} (slowdown, 1.00x = none)`);
        t.className = 'heatmap';
        rendered += 1;
      }
      if (s.accuracy) {
        chart(se, { type: 'bar', data: { labels: s.accuracy.map((a) => a.name),
          datasets: [{ label: 'top-1', data: s.accuracy.map((a) => a.top1), backgroundColor: s.accuracy.map((a) => (a.name === 'ensemble' ? '#d62728' : '#1f77b4')) }] },
          options: { scales: { y: { suggestedMin: Math.max(0, Math.floor(20 * Math.min(...s.accuracy.map((a) => a.top1))) / 20 - 0.05), title: { display: true, text: 'top-1 accuracy' } } } } }, `${s.ensemble}: top-1 on ${s.accuracy_labels}`);
      }
    }
  }

  // Roofline, power and provenance: each ok point's FLOP rate against the device's measured GEMM peak
  // (FLOPs = 2 x MACs of conv+linear, from the zoo manifest), its throughput against the pinned
  // host-to-device copy bound (GPU), NVML clock-event reasons, and where and from which commit it ran.
  const sR = section('Roofline, power and provenance', 'achieved TFLOP/s = samples/s x flops_per_sample (2 x MACs of conv and linear layers, zoo manifest); ' +
    'peak = a GEMM probe at the start of the run (cuBLAS on the GPU, OpenBLAS sgemm with the point\'s threads on the CPU); copy bound = pinned host-to-device bandwidth / input bytes per sample. ' +
    'Throttle: NVML reasons seen in the measured phase and the share of samples with the SW power cap.');
  const pct = (v) => (v == null ? null : (100 * v).toFixed(1) + ' %');
  table(sR, ['point', 'samples/s', 'TFLOP/s', 'peak TFLOP/s', 'of peak', 'copy bound samples/s', 'of copy bound', 'throttle reasons', 'SW power cap', 'idle W', 'commit', 'host', 'device'],
    ok.map((p) => [p.label, fmt(p.throughput_samples_per_s, 1), fmt(p.achieved_tflops, 3), p.peak_tflops == null ? (p.peak_probe || null) : fmt(p.peak_tflops, 2), pct(p.peak_compute_share),
      fmt(p.copy_bound_samples_per_s, 0), pct(p.copy_bound_share), p.gpu_throttle_summary || null, pct(p.gpu_power_capped_fraction), fmt(p.idle_power_w, 1),
      p.commit || null, p.host || null, p.device_name || null]));

  // 8. Failed points, with their reasons (the paper silently skipped them).
  const s8 = section(`Failed points (${failed.length})`);
  if (failed.length) table(s8, ['point', 'phase', 'reason'], failed.map((p) => [p.label, p.error_phase, p.error]));
  else s8.appendChild(Object.assign(document.createElement('p'), { textContent: 'None.' }));

  // 9. Hosts and devices: where points ran, and the same point measured in different places.
  const s10 = section('Hosts and devices', 'Where each point ran: host and device (cpu[cores] of the process or MPI rank, gpuK). ' +
    'The chart compares points measured in more than one place (e.g. a single-process run against an MPI run, or two hosts of a cluster).');
  const placements = [...new Set(data.points.map(placementOf))];
  table(s10, ['host and device', 'points ok', 'points failed', 'median throughput (samples/s, ok points)'], placements.map((pl) => {
    const rows = data.points.filter((p) => placementOf(p) === pl);
    const t = rows.filter((p) => p.status === 'ok').map((p) => p.throughput_samples_per_s).sort((a, b) => a - b);
    return [pl, t.length, rows.length - t.length, t.length ? fmt(t[Math.floor(t.length / 2)]) : null];
  }));
  const byPoint = new Map();
  for (const p of ok) { if (!byPoint.has(p.point_id)) byPoint.set(p.point_id, []); byPoint.get(p.point_id).push(p); }
  const shared = [...byPoint.values()].filter((rows) => new Set(rows.map(placementOf)).size > 1).slice(0, 40);
  if (shared.length) {
    const where = [...new Set(shared.flat().map(placementOf))];
    chart(s10, { type: 'bar', data: { labels: shared.map((rows) => rows[0].label), datasets: where.map((pl) => ({ label: pl, backgroundColor: colorOf('place:' + pl),
      data: shared.map((rows) => { const r = rows.filter((p) => placementOf(p) === pl); return r.length ? r[r.length - 1].throughput_samples_per_s : null; }) })) },
      options: { indexAxis: 'y', scales: { x: { title: { display: true, text: 'samples/s' }, beginAtZero: true } } } }, 'Same point, different host or device');
  }
  if ((data.hosts || []).length) {
    const keys = ['cpu_model', 'cpu_usable_cores', 'memory_total', 'gpu0_name', 'gpu_driver', 'mpi_worker_ranks'];
    table(s10, ['run', 'host', ...keys], data.hosts.map((h) => { const env = JSON.parse(h.environment_json || '{}'); return [h.run_id, h.host, ...keys.map((k) => env[k])]; }));
  }

  // Runs and their environments.
  const s9 = section('Runs and environment');
  table(s9, ['run', 'plan', 'host', 'started', 'ended', 'status', 'points', 'environment'], data.runs.map((r) => [r.run_id, r.plan_name, r.host, r.started_at, r.ended_at, r.status, r.points,
    Object.entries(JSON.parse(r.environment_json || '{}')).map(([k, v]) => `${k}: ${v}`)]));

  document.body.dataset.chartsRendered = String(rendered);
  document.body.dataset.errors = errors.join(' | ');
})();
