/* qvrrun's dashboard and report.html: draws a run's state and windows.
 * window.QVR_DATA null: the live page, fed by Server-Sent Events from
 * /events; an object: a finished run (report.html), drawn once. The
 * charts are dygraphs (inlined beside this script). */
(function () {
  'use strict';
  var DATA = window.QVR_DATA;
  var live = !DATA;
  var params = new URLSearchParams(window.location.search);
  var token = params.get('token') || '';
  var state = {};
  var windows = []; /* [t, p50, p90, p99, rps, failures/s, users] */
  var charts = {};
  var ended = false;

  function $(id) { return document.getElementById(id); }

  function fmtMs(v) {
    if (v === null || v === undefined || isNaN(v)) return '-';
    if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 1 : 2) + 's';
    if (v >= 100) return v.toFixed(0) + 'ms';
    if (v >= 10) return v.toFixed(1) + 'ms';
    return v.toFixed(2) + 'ms';
  }
  function fmtNum(v, d) {
    if (v === null || v === undefined || isNaN(v)) return '-';
    return Number(v).toFixed(d);
  }
  function fmtInt(v) {
    if (v === null || v === undefined || isNaN(v)) return '-';
    return String(Math.round(v));
  }
  function fmtDur(s) {
    if (s === null || s === undefined || isNaN(s)) return '-';
    if (s < 60) return s.toFixed(1) + 's';
    var m = Math.floor(s / 60), r = Math.floor(s - m * 60);
    if (m < 60) return m + 'm' + (r < 10 ? '0' : '') + r + 's';
    return Math.floor(m / 60) + 'h' + (m % 60 < 10 ? '0' : '') + (m % 60) + 'm';
  }
  function text(id, s) { var e = $(id); if (e) e.textContent = s; }

  /* Replaces a table body with rows of cells (strings); cls per row. */
  function fillTable(id, rows, rowClass, cellClass) {
    var body = $(id).tBodies[0];
    while (body.firstChild) body.removeChild(body.firstChild);
    rows.forEach(function (cells, i) {
      var tr = document.createElement('tr');
      if (rowClass) tr.className = rowClass(i) || '';
      cells.forEach(function (c, j) {
        var td = document.createElement('td');
        td.textContent = c;
        if (cellClass) td.className = cellClass(i, j) || '';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  /* ---- charts ---- */

  function chart(name, div, data, opts) {
    if (!data.length) return;
    if (charts[name]) {
      charts[name].updateOptions({ file: data });
    } else {
      opts.legend = opts.legend || 'always';
      opts.labelsSeparateLines = false;
      charts[name] = new Dygraph($(div), data, opts);
    }
    $(div).setAttribute('data-points', String(data.length));
  }

  /* Load changes as annotations on the window nearest each change. */
  function changeMarks(series) {
    var out = [];
    (state.changes || []).forEach(function (c) {
      var best = null;
      windows.forEach(function (w) {
        if (best === null || Math.abs(w[0] - c.time_s) < Math.abs(best - c.time_s)) best = w[0];
      });
      if (best === null) return;
      var what = c.users !== undefined ? 'users -> ' + c.users : 'rate -> ' + c.rps + '/s';
      out.push({ series: series, x: best, shortText: c.users !== undefined ? 'U' : 'R',
                 text: what + ' at ' + fmtDur(c.time_s) + ' (' + (c.source || '?') + ')' });
    });
    return out;
  }

  /* x ticks of the distribution: 0%, 50%, 90%, 99%, 99.9%, ... */
  function pctTicks(min, max) {
    var out = [];
    ['0', '50', '90', '99', '99.9', '99.99', '99.999'].forEach(function (p) {
      var x = 1 / (1 - Number(p) / 100);
      if (x >= min * 0.999 && x <= max * 1.001) out.push({ v: x, label: p + '%' });
    });
    return out;
  }

  function drawCharts() {
    var lat = windows.map(function (w) { return [w[0], w[1], w[2], w[3]]; });
    chart('latency', 'c-latency', lat, {
      labels: ['time (s)', 'P50', 'P90', 'P99'], ylabel: 'ms', xlabel: 'seconds since start',
      colors: ['#2e7d32', '#f9a825', '#c62828'], includeZero: true
    });
    var monitor = state.mode === 'monitor';
    $('throughput-box').hidden = monitor;
    text('dist-title', live ? 'Latency distribution so far (ms against percentile)'
                            : 'Latency distribution of the run (ms against percentile)');
    text('latency-title', monitor ? 'Rolling P50, P90, P99 (ms) over the window of probes, after each probe'
                                  : 'Response time (ms): P50, P90, P99 per window');
    var thr = monitor ? [] : windows.map(function (w) { return [w[0], w[4], w[5], w[6]]; });
    chart('throughput', 'c-throughput', thr, {
      labels: ['time (s)', 'req/s', 'failures/s', 'users'], xlabel: 'seconds since start',
      ylabel: 'per second', y2label: 'users', includeZero: true,
      colors: ['#1565c0', '#c62828', '#6d4c41'],
      series: { users: { axis: 'y2', strokePattern: [4, 3] } },
      axes: { y2: { independentTicks: true } }
    });
    if (charts.latency) charts.latency.setAnnotations(changeMarks('P99'));
    if (charts.throughput) charts.throughput.setAnnotations(changeMarks('users'));
    /* percentile p drawn at 1/(1-p): the tail gets the room */
    var dist = (state.distribution || []).filter(function (d) {
      return d[1] !== null && d[0] < 100;
    }).map(function (d) { return [1 / (1 - d[0] / 100), d[1]]; });
    chart('distribution', 'c-distribution', dist, {
      labels: ['percentile', 'response time'], ylabel: 'ms', drawPoints: true,
      colors: ['#000'], includeZero: true,
      axes: { x: { logscale: true, ticker: pctTicks,
                   valueFormatter: function (x) { return fmtNum(100 * (1 - 1 / x), 3) + '%'; } } }
    });
    /* collected samples: one series per column; memory on the right axis */
    var cols = state.collect || [];
    var coll = cols.length ? windows.filter(function (w) { return w[7]; }).map(function (w) {
      var row = [w[0]];
      for (var i = 0; i < cols.length; i++) row.push(i < w[7].length ? w[7][i] : null);
      return row;
    }) : [];
    $('collect-box').hidden = !coll.length;
    if (coll.length) {
      var series = {};
      cols.forEach(function (c) { if (/mem/.test(c)) series[c] = { axis: 'y2' }; });
      chart('collect', 'c-collect', coll, {
        labels: ['time (s)'].concat(cols), xlabel: 'seconds since start', includeZero: true,
        ylabel: '% or ms', y2label: 'MB', series: series, connectSeparatedPoints: true,
        axes: { y2: { axisLabelWidth: 70, axisLabelFormatter: function (v) { return fmtNum(v, 0); } } }
      });
    }
    var steps = state.steps || [];
    $('steps-box').hidden = !steps.length;
    $('steps-sec').hidden = !steps.length;
    if (steps.length) {
      chart('steps', 'c-steps', steps.map(function (s) { return [s[0], s[1], s[2]]; }), {
        labels: [state.steps_x || 'level', 'req/s', 'P99 ms'], xlabel: state.steps_x || 'level',
        ylabel: 'req/s', y2label: 'P99 ms', drawPoints: true, includeZero: true,
        colors: ['#1565c0', '#c62828'], series: { 'P99 ms': { axis: 'y2' } },
        axes: { y2: { axisLabelWidth: 60, axisLabelFormatter: function (v) { return fmtNum(v, 0); } } }
      });
      var kneeAt = steps.filter(function (s) { return s[4]; });
      if (charts.steps && kneeAt.length)
        charts.steps.setAnnotations([{ series: 'P99 ms', x: kneeAt[0][0], shortText: 'K', text: 'knee' }]);
    }
  }

  /* ---- tables and figures ---- */

  function statRow(r) {
    return [r[0], fmtInt(r[1]), fmtInt(r[2]), fmtNum(r[3], 1), fmtMs(r[4]), fmtMs(r[5]), fmtMs(r[6]), fmtMs(r[7])];
  }

  function render() {
    var s = state;
    text('title', s.scenario ? 'qvrrun: ' + s.scenario : 'qvrrun');
    document.title = (s.scenario || 'qvrrun') + (live ? ' (live)' : ' (report)');
    text('mode', live ? (ended ? 'ended' : 'live') : 'report');
    text('phase', s.phase ? s.phase + (s.step ? ' ' + s.step : '') : '');
    text('target', s.target ? 'target ' + s.target : '');
    var el = fmtDur(s.elapsed_s);
    if (s.planned_s) el += ' / ' + fmtDur(s.planned_s);
    text('elapsed', el);
    if (s.open) {
      text('users-k', 'rate: intended / achieved');
      text('users', fmtNum(s.intended_rps, 1) + ' / ' + fmtNum(s.achieved_rps, 1));
      $('arrivals-card').hidden = false;
      text('arrivals', fmtInt(s.late) + ' / ' + fmtInt(s.dropped));
    } else {
      text('users-k', live ? 'users' : 'most users');
      text('users', fmtInt(s.users));
    }
    text('requests', fmtInt(s.requests));
    text('failures', fmtInt(s.failures));
    text('error-rate', s.error_rate === undefined || s.error_rate === null ? '-' : (100 * s.error_rate).toFixed(2) + '%');
    text('rps', fmtNum(s.rps, 1));
    if (s.exit_code !== undefined && s.exit_code !== null) {
      $('verdict-card').hidden = false;
      var why = s.stopped_by === 'web' ? ' (stopped from the dashboard)'
        : s.stopped_by ? ' (stopped by ' + s.stopped_by + ')'
        : s.interrupted ? ' (interrupted)' : s.aborted ? ' (aborted: ' + s.aborted + ')' : '';
      text('verdict', fmtInt(s.exit_code) + why);
    }

    fillTable('thresholds', (s.thresholds || []).map(function (t) {
      return [t.expr, t.measured + (t.why ? ' (' + t.why + ')' : ''), t.state];
    }), function (i) { return 'thr'; }, function (i, j) {
      return j === 2 ? 'state-' + String(s.thresholds[i].state).replace(/[^a-z]+/g, '-') : '';
    });
    var rows = [], cls = [];
    (s.names || []).forEach(function (r) { rows.push(statRow(r)); cls.push('name'); });
    (s.tasks || []).forEach(function (r) { var x = statRow(r); x[0] = 'task ' + x[0]; rows.push(x); cls.push('task'); });
    var tot = s.total ? statRow(s.total) : ['', fmtInt(s.requests), fmtInt(s.failures), fmtNum(s.rps, 1), '', '', '', ''];
    tot[0] = 'TOTAL';
    rows.push(tot);
    cls.push('total');
    fillTable('stats', rows, function (i) { return cls[i]; });
    text('stats-note', s.names_total && s.names_total > (s.names || []).length
      ? 'showing ' + s.names.length + ' of ' + s.names_total + ' request names (the busiest)' : '');

    var steps = s.steps || [];
    text('steps-x', s.steps_x || 'level');
    fillTable('steps', steps.map(function (r) {
      return [fmtNum(r[0], r[0] % 1 ? 2 : 0), fmtNum(r[1], 1), fmtMs(r[2]), (100 * r[3]).toFixed(2) + '%', r[4] ? 'knee' : ''];
    }));
    text('knee', s.knee ? 'knee: ' + s.knee : '');

    var ul = $('findings');
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    (s.findings || []).forEach(function (f) {
      var li = document.createElement('li'); li.textContent = f; ul.appendChild(li);
    });
    if (!(s.findings || []).length) {
      var li = document.createElement('li'); li.className = 'muted';
      li.textContent = live && !ended ? 'none yet (most findings are made at the end of the run)' : 'none';
      ul.appendChild(li);
    }
    var errs = (s.errors || []).map(function (e) { return [e[0], fmtInt(e[1])]; });
    (s.task_errors || []).forEach(function (e) { errs.push(['task error: ' + e[0], fmtInt(e[1])]); });
    fillTable('errors', errs.length ? errs : [['none', '']]);
    text('last-error', s.last_error ? 'last transport error: ' + s.last_error : '');

    var al = s.alerts || [];
    $('alerts-sec').hidden = s.mode !== 'monitor';
    var alu = $('alerts');
    while (alu.firstChild) alu.removeChild(alu.firstChild);
    (al.length ? al : ['none']).forEach(function (a) {
      var li = document.createElement('li'); li.textContent = a; alu.appendChild(li);
    });
    var ch = s.changes || [];
    $('changes-sec').hidden = !ch.length;
    var cl = $('changes');
    while (cl.firstChild) cl.removeChild(cl.firstChild);
    ch.forEach(function (c) {
      var li = document.createElement('li');
      li.textContent = fmtDur(c.time_s) + ': ' + (c.users !== undefined ? 'users -> ' + c.users : 'rate -> ' + c.rps + ' req/s') + ' (' + c.source + ')';
      cl.appendChild(li);
    });

    if (live) {
      var ctl = s.controls || {};
      $('controls').hidden = ended || s.phase === 'done' || !(ctl.stop || ctl.users || ctl.rate);
      $('stop').hidden = !ctl.stop;
      text('stop', s.mode === 'monitor' ? 'Stop the monitor' : 'Stop the run');
      $('users-ctl').hidden = !ctl.users;
      $('rate-ctl').hidden = !ctl.rate;
    }
    drawCharts();
    text('footer', live ? 'qvrrun live dashboard: updated once per window (' + windows.length + ' windows)'
                        : 'qvrrun report: ' + windows.length + ' windows drawn; opens without a server');
  }

  /* ---- live ---- */

  function control(path, body) {
    var headers = { 'Content-Type': 'application/json' };
    if (token) headers['X-Qvr-Token'] = token;
    text('ctl-msg', '...');
    return fetch(path, { method: 'POST', headers: headers, body: JSON.stringify(body || {}) })
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (x) { text('ctl-msg', x[0] ? 'done' : 'refused: ' + x[1].error); })
      .catch(function (e) { text('ctl-msg', 'failed: ' + e); });
  }

  function connect() {
    var es = new EventSource('/events' + (token ? '?token=' + encodeURIComponent(token) : ''));
    es.addEventListener('history', function (e) {
      var m = JSON.parse(e.data);
      windows = m.windows || [];
      state = m.state || {};
      render();
    });
    es.addEventListener('window', function (e) {
      var m = JSON.parse(e.data);
      windows.push(m.window);
      state = m.state || state;
      render();
    });
    es.addEventListener('state', function (e) {
      state = JSON.parse(e.data);
      render();
    });
    es.onerror = function () {
      if (state.phase === 'drain' || state.phase === 'done') {
        ended = true;
        es.close();
        render();
      }
    };
  }

  window.qvr = {
    points: function (name) { return charts[name] ? charts[name].numRows() : 0; },
    state: function () { return state; },
    windows: function () { return windows; }
  };

  if (live) {
    $('stop').addEventListener('click', function () { control('/stop', {}); });
    $('users-set').addEventListener('click', function () {
      control('/users', { count: Number($('users-in').value) });
    });
    $('rate-set').addEventListener('click', function () {
      control('/rate', { rps: Number($('rate-in').value) });
    });
    connect();
  } else {
    state = DATA.state || {};
    windows = DATA.windows || [];
    if (DATA.note) { $('note').hidden = false; text('note', DATA.note); }
    render();
  }
})();
