// Toegang example SPA: sign in with the session cookie, show `viewer`, sign out; a business
// account also files its annual accounts (a multipart upload) and sees its filing deadlines.
// Plain browser JavaScript, no build step, no inline scripts or styles (strict-CSP friendly),
// and every server value is written with textContent (never innerHTML).
'use strict';

(function () {
  const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

  const VIEWER = `query Viewer {
  viewer { id name accessCode usage kvkNumber }
}`;

  const LOG_IN = `mutation LogIn($input: LogInInput!) {
  logIn(input: $input) {
    __typename
    ... on LogInPayload { viewer { id name accessCode usage kvkNumber } }
    ... on Error { code message }
    ... on InvalidInput { problems { field message } }
  }
}`;

  const LOG_OUT = `mutation LogOut {
  logOut(input: {}) {
    __typename
    ... on Error { code message }
  }
}`;

  const FILE_ANNUAL_REPORT = `mutation FileAnnualReport($input: FileAnnualReportInput!) {
  fileAnnualReport(input: $input) {
    __typename
    ... on FileAnnualReportPayload { message version { version sha256 } }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}`;

  const ANNUAL_REPORTS = `query AnnualReportsPanel {
  annualReports(first: 50) {
    edges { node { id financialYearEnd versions { version format size filedAt downloadUrl } } }
  }
  annualReportCalendar {
    overdueYears
    years { financialYearEnd deadline filedOn status }
  }
}`;

  const STATUS = {
    FILED: 'Gedeponeerd',
    FILED_LATE: 'Te laat gedeponeerd',
    OPEN: 'Open',
    OVERDUE: 'Te laat',
  };

  // The API URL: `?api=` wins for local development and tests, but only when it points at a
  // loopback address, so that a link cannot send someone's password to another host.
  // Otherwise config.js (`window.TOEGANG_CONFIG.apiUrl`), else the development default.
  function apiUrl() {
    const fromQuery = new URLSearchParams(window.location.search).get('api');
    if (fromQuery) {
      try {
        const url = new URL(fromQuery);
        if ((url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK.has(url.hostname)) {
          return url.href;
        }
      } catch (_) {
        // fall through to the configured URL
      }
      console.warn('toegang: ignoring ?api= (only loopback addresses are allowed there)');
    }
    const config = window.TOEGANG_CONFIG || {};
    return config.apiUrl || 'http://127.0.0.1:8000/graphql';
  }

  const API = apiUrl();
  const MAX_UPLOAD_BYTES = (window.TOEGANG_CONFIG || {}).maxUploadBytes || 25 * 1024 * 1024;
  const $ = (id) => document.getElementById(id);
  let currentViewer = null;

  class ApiError extends Error {}

  // One GraphQL request: a credentialed CORS POST with a JSON body. JSON is not a "simple"
  // content type, so the browser sends a preflight first; the server answers it only for
  // origins in TOEGANG_CORS_ORIGINS.
  async function graphql(query, variables) {
    const body = JSON.stringify({ query, variables: variables || {} });
    return send({ 'content-type': 'application/json' }, body);
  }

  // An upload (GraphQL multipart request spec): `operations` holds the request with null where
  // the file goes, `map` says where part "0" goes. No content-type header: the browser sets
  // multipart/form-data with its boundary. A body that is not JSON needs the header
  // GraphQL-Require-Preflight (the server's CSRF rule); it also makes this a preflighted request.
  async function graphqlUpload(query, variables, path, file) {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables }));
    form.append('map', JSON.stringify({ 0: [path] }));
    form.append('0', file, file.name);
    return send({ 'graphql-require-preflight': '1' }, form);
  }

  async function send(headers, body) {
    let response;
    try {
      response = await fetch(API, {
        method: 'POST',
        mode: 'cors',
        credentials: 'include',
        // Messages in the page's language (the API speaks nl and en; nl is its default).
        headers: Object.assign({
          accept: 'application/graphql-response+json, application/json',
          'accept-language': document.documentElement.lang || 'nl',
        }, headers),
        body,
      });
    } catch (_) {
      throw new ApiError('De API is niet bereikbaar (' + API + ').');
    }
    if (response.status === 413) {
      throw new ApiError('Het bestand is te groot.');
    }
    let answer;
    try {
      answer = await response.json();
    } catch (_) {
      throw new ApiError('Onverwacht antwoord van de API (HTTP ' + response.status + ').');
    }
    if (answer.errors && answer.errors.length) {
      throw new ApiError(answer.errors.map((e) => e.message).join(' '));
    }
    return answer.data;
  }

  function showError(message) {
    const el = $('error');
    el.textContent = message || '';
    el.hidden = !message;
  }

  function render(viewer) {
    currentViewer = viewer;
    document.body.dataset.state = viewer ? 'signed-in' : 'signed-out';
    $('sign-in').hidden = Boolean(viewer);
    $('signed-in').hidden = !viewer;
    if (viewer) {
      $('status').textContent = 'Ingelogd als ' + viewer.name + '.';
      $('viewer-name').textContent = viewer.name;
      $('viewer-access-code').textContent = viewer.accessCode;
      $('viewer-usage').textContent = viewer.usage;
    } else {
      $('status').textContent = 'Niet ingelogd.';
      $('viewer-name').textContent = '';
      $('viewer-access-code').textContent = '';
      $('viewer-usage').textContent = '';
    }
    const business = Boolean(viewer) && viewer.usage === 'BUSINESS';
    $('annual-reports').hidden = !business;
    clear($('report-list'));
    clear($('calendar-body'));
    $('report-result').textContent = '';
    $('overdue-summary').textContent = '';
    if (business) {
      loadAnnualReports().catch((err) => showError(err.message));
    }
  }

  // -- Jaarrekening: file the annual accounts, the filings, the deadlines (business only) ----

  function clear(element) {
    while (element.firstChild) {
      element.removeChild(element.firstChild);
    }
  }

  // "2025-12-31" as "31-12-2025" (a Date is plain text in the API: no time zone involved).
  function formatDate(iso) {
    const [year, month, day] = iso.split('-');
    return Number(day) + '-' + Number(month) + '-' + year;
  }

  function formatSize(bytes) {
    return new Intl.NumberFormat('nl-NL').format(bytes) + ' bytes';
  }

  // A link from the server becomes a link only when it is http(s) (never javascript: or data:).
  function safeUrl(raw) {
    try {
      const url = new URL(raw, API);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function addCell(row, text) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.appendChild(cell);
  }

  function renderReports(connection) {
    const list = $('report-list');
    clear(list);
    const reports = connection.edges.map((edge) => edge.node);
    $('report-empty').hidden = reports.length > 0;
    for (const report of reports) {
      const item = document.createElement('li');
      item.dataset.yearEnd = report.financialYearEnd;
      item.append('Boekjaar tot en met ' + formatDate(report.financialYearEnd) + ': ');
      // Every version, oldest first; the last one counts (a correction adds a version).
      report.versions.forEach((version, index) => {
        if (index > 0) {
          item.append(', ');
        }
        const label = 'versie ' + version.version + ' (' + version.format + ', '
          + formatSize(version.size) + ')';
        const url = safeUrl(version.downloadUrl);
        if (url === null) {
          item.append(label);
          return;
        }
        // A plain link: the API answers it as an attachment, with the session cookie.
        const link = document.createElement('a');
        link.href = url;
        link.className = 'download';
        link.dataset.version = String(version.version);
        link.textContent = label;
        item.appendChild(link);
      });
      list.appendChild(item);
    }
  }

  function renderCalendar(calendar) {
    const body = $('calendar-body');
    clear(body);
    const summary = $('overdue-summary');
    if (!calendar) {
      summary.textContent = 'Geen termijnen bekend.';
      return;
    }
    const overdue = calendar.overdueYears;
    summary.textContent = overdue === 0 ? 'Niets te laat.'
      : overdue === 1 ? '1 boekjaar is te laat.' : overdue + ' boekjaren zijn te laat.';
    summary.classList.toggle('overdue', overdue > 0);
    // Newest first; an unknown status (enums may grow) is shown as it is.
    for (const year of calendar.years.slice().reverse()) {
      const row = document.createElement('tr');
      row.dataset.yearEnd = year.financialYearEnd;
      row.dataset.status = year.status;
      row.classList.toggle('overdue', year.status === 'OVERDUE');
      addCell(row, formatDate(year.financialYearEnd));
      addCell(row, formatDate(year.deadline));
      const status = STATUS[year.status] || year.status;
      addCell(row, year.filedOn ? status + ' op ' + formatDate(year.filedOn) : status);
      body.appendChild(row);
    }
    // Suggest the newest year still to file.
    const todo = calendar.years.filter((y) => y.status === 'OPEN' || y.status === 'OVERDUE');
    if (todo.length && !$('financial-year-end').value) {
      $('financial-year-end').value = todo[todo.length - 1].financialYearEnd;
    }
  }

  async function loadAnnualReports() {
    const panel = $('annual-reports');
    panel.dataset.state = 'loading';
    const data = await graphql(ANNUAL_REPORTS);
    renderReports(data.annualReports);
    renderCalendar(data.annualReportCalendar);
    panel.dataset.state = 'ready';
  }

  async function fileReport(event) {
    event.preventDefault();
    showError('');
    $('report-result').textContent = '';
    const file = $('report-file').files[0];
    if (!file) {
      showError('Kies een bestand.');
      return;
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      showError('Het bestand is groter dan ' + formatSize(MAX_UPLOAD_BYTES) + '.');
      return;
    }
    const button = $('file-report-button');
    button.disabled = true;
    try {
      const input = {
        kvkNumber: currentViewer.kvkNumber,
        financialYearEnd: $('financial-year-end').value,
        document: null,
      };
      const data = await graphqlUpload(
        FILE_ANNUAL_REPORT, { input }, 'variables.input.document', file);
      const filed = data.fileAnnualReport;
      if (filed.__typename === 'FileAnnualReportPayload') {
        $('report-result').textContent = filed.message;
        $('report-file').value = '';
        await loadAnnualReports();
      } else {
        // InvalidInput lists every problem; every other error has a message to show.
        const problems = (filed.problems || []).map((p) => p.message);
        showError([filed.message].concat(problems).join(' '));
      }
    } catch (err) {
      showError(err.message);
    } finally {
      button.disabled = false;
    }
  }

  async function refresh() {
    const data = await graphql(VIEWER);
    render(data.viewer);
  }

  async function signIn(event) {
    event.preventDefault();
    showError('');
    const button = $('sign-in-button');
    button.disabled = true;
    try {
      const data = await graphql(LOG_IN, {
        input: { accessCode: $('access-code').value, password: $('password').value },
      });
      const result = data.logIn;
      if (result.__typename === 'LogInPayload') {
        $('password').value = '';
        render(result.viewer);
      } else {
        const problems = (result.problems || []).map((p) => p.message);
        showError([result.message].concat(problems).join(' '));
      }
    } catch (err) {
      showError(err.message);
    } finally {
      button.disabled = false;
    }
  }

  async function signOut() {
    showError('');
    try {
      const data = await graphql(LOG_OUT);
      if (data.logOut.__typename !== 'LogOutPayload') {
        showError(data.logOut.message);
      }
      await refresh();
    } catch (err) {
      showError(err.message);
    }
  }

  $('api-url').textContent = API;
  $('sign-in').addEventListener('submit', signIn);
  $('sign-out-button').addEventListener('click', signOut);
  $('file-report').addEventListener('submit', fileReport);
  document.body.dataset.state = 'loading';
  refresh().catch((err) => {
    document.body.dataset.state = 'error';
    $('status').textContent = 'Status onbekend.';
    showError(err.message);
  });
})();
