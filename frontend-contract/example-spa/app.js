// Toegang example SPA: sign in with the session cookie, show `viewer`, sign out; a business
// account also files its annual accounts (a multipart upload) and sees its filing deadlines;
// a private account sees its balance and tops it up through the payment provider; anybody
// sees the products and their prices, and a signed-in account orders them and downloads
// the documents of its orders.
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

  const BALANCE = `query BalancePanel {
  balance {
    balanceCents
    heldCents
    availableCents
    transactions(first: 20) {
      edges { node { kind amountCents heldDeltaCents description createdAt } }
    }
  }
}`;

  const TOP_UP = `mutation TopUp($input: TopUpInput!) {
  topUp(input: $input) {
    __typename
    ... on TopUpPayload { payment { id status amountCents paymentUrl } }
    ... on InvalidInput { problems { field message } }
    ... on MaintenanceInProgress { notice endsAt }
    ... on Error { code message field }
  }
}`;

  const PAYMENT = `query Payment($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Payment { status amountCents settledAt }
  }
}`;

  const PRODUCTS = `query ProductsPanel {
  products { code name priceCents vatStatement needsFinancialYearEnd orderable }
}`;

  const PLACE_ORDER = `mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on PlaceOrderPayload { message order { id reference status } }
    ... on InsufficientBalance { availableCents requiredCents }
    ... on InvalidInput { problems { field message } }
    ... on MaintenanceInProgress { notice endsAt }
    ... on Error { code message field }
  }
}`;

  const ORDERS = `query OrdersPanel {
  orders(first: 20) {
    edges {
      node {
        id reference kvkNumber status priceCents placedAt downloadUrl
        product { name }
        company { name }
      }
    }
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

  // After paying, the provider sends the payer back to this page with ?topUp=<key>; the
  // payment's id waits in sessionStorage (this tab, this origin) under the same key.
  const RETURN_PARAM = 'topUp';
  const PENDING_TOP_UP = 'toegang.topUp';
  // How long the page waits for the provider's confirmation: 20 reads, half a second apart.
  const PAYMENT_POLLS = 20;
  const PAYMENT_POLL_MS = 500;
  const NOT_PAID = { CANCELED: 'geannuleerd', FAILED: 'mislukt', EXPIRED: 'verlopen' };

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
    const personal = Boolean(viewer) && viewer.usage === 'PRIVATE';
    $('balance').hidden = !personal;
    clear($('transactions-body'));
    showPaymentResult(null, '');
    if (personal) {
      loadBalancePanel().catch((err) => showError(err.message));
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
    // Private and business accounts order (staff do not).
    const customer = personal || business;
    $('orders').hidden = !customer;
    clear($('orders-body'));
    $('order-result').textContent = '';
    if (customer) {
      loadOrders().catch((err) => showError(err.message));
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

  // -- Tegoed: the balance, its ledger and a top-up (private accounts only) -----------------

  const EURO = new Intl.NumberFormat('nl-NL', { style: 'currency', currency: 'EUR' });
  const MOMENT = new Intl.DateTimeFormat('nl-NL', {
    dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Amsterdam',
  });
  // The key of the top-up being tried: kept while the same amount and method are retried after
  // a failure the server may not have seen (network, provider down), so a retry never pays twice.
  let topUpAttempt = null;

  // Money is integer cents in the API; only the display divides.
  function formatCents(cents) {
    return EURO.format(cents / 100);
  }

  // "10", "12,5" or "12,50" (a point works too) as cents, without floating point; else null.
  function parseEuros(text) {
    const match = /^(\d{1,7})(?:[,.](\d{1,2}))?$/.exec(text.trim().replace(/^€\s*/, ''));
    if (!match) {
      return null;
    }
    return Number(match[1]) * 100 + Number((match[2] || '').padEnd(2, '0'));
  }

  function showPaymentResult(status, text) {
    const el = $('payment-result');
    el.textContent = text;
    el.hidden = !text;
    el.dataset.status = status || '';
    el.classList.toggle('failed', Boolean(status) && status !== 'PAID' && status !== 'OPEN');
  }

  function renderBalance(balance) {
    $('balance-amount').textContent = formatCents(balance.balanceCents);
    $('balance-held').textContent = formatCents(balance.heldCents);
    $('balance-available').textContent = formatCents(balance.availableCents);
    const body = $('transactions-body');
    clear(body);
    const entries = balance.transactions.edges.map((edge) => edge.node);
    $('transactions-empty').hidden = entries.length > 0;
    $('transactions').hidden = entries.length === 0;
    for (const entry of entries) {
      const row = document.createElement('tr');
      row.dataset.kind = entry.kind;
      addCell(row, MOMENT.format(new Date(entry.createdAt)));
      addCell(row, entry.description);
      addCell(row, entry.amountCents ? formatCents(entry.amountCents) : '');
      addCell(row, entry.heldDeltaCents ? formatCents(entry.heldDeltaCents) : '');
      row.cells[2].className = 'amount';
      row.cells[3].className = 'amount';
      body.appendChild(row);
    }
  }

  async function loadBalance() {
    const data = await graphql(BALANCE);
    renderBalance(data.balance);
  }

  async function loadBalancePanel() {
    const panel = $('balance');
    panel.dataset.state = 'loading';
    await followReturnedPayment();
    await loadBalance();
    panel.dataset.state = 'ready';
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // Back from the payment page: read the payment until the provider's confirmation is in (its
  // webhook reaches the API within moments), then say how it went. Once per return: the
  // parameter leaves the address bar and the stored id is forgotten.
  async function followReturnedPayment() {
    const address = new URL(window.location.href);
    const key = address.searchParams.get(RETURN_PARAM);
    if (!key) {
      return;
    }
    address.searchParams.delete(RETURN_PARAM);
    window.history.replaceState(null, '', address.href);
    let pending = null;
    try {
      pending = JSON.parse(window.sessionStorage.getItem(PENDING_TOP_UP) || 'null');
    } catch (_) {
      pending = null;
    }
    window.sessionStorage.removeItem(PENDING_TOP_UP);
    if (!pending || pending.key !== key) {
      showPaymentResult('OPEN', 'Je tegoed hieronder stijgt zodra je betaling is bevestigd.');
      return;
    }
    showPaymentResult('OPEN', 'We wachten op de bevestiging van je betaling…');
    let payment = null;
    for (let poll = 0; poll < PAYMENT_POLLS; poll += 1) {
      if (poll > 0) {
        await sleep(PAYMENT_POLL_MS);
      }
      payment = (await graphql(PAYMENT, { id: pending.paymentId })).node;
      if (!payment || payment.status !== 'OPEN') {
        break;
      }
    }
    if (!payment || payment.__typename !== 'Payment') {
      showPaymentResult('UNKNOWN', 'Deze betaling is niet gevonden.');
    } else if (payment.status === 'PAID') {
      showPaymentResult('PAID', 'Je storting van ' + formatCents(payment.amountCents)
        + ' is ontvangen.');
    } else if (payment.status === 'OPEN') {
      showPaymentResult('OPEN', 'Je betaling van ' + formatCents(payment.amountCents)
        + ' is nog niet bevestigd. Je tegoed stijgt zodra dat gebeurt; kijk straks nog eens.');
    } else {
      // An unknown status (enums may grow) is shown as it is.
      showPaymentResult(payment.status, 'Je storting van ' + formatCents(payment.amountCents)
        + ' is niet gelukt (' + (NOT_PAID[payment.status] || payment.status)
        + '). Er is niets afgeschreven.');
    }
  }

  // Where the provider sends the payer back: this very page (with its ?api=), plus the key.
  function returnUrlFor(key) {
    const url = new URL(window.location.href);
    url.hash = '';
    url.searchParams.set(RETURN_PARAM, key);
    return url.href;
  }

  async function topUp(event) {
    event.preventDefault();
    showError('');
    showPaymentResult(null, '');
    const amountCents = parseEuros($('top-up-amount').value);
    if (amountCents === null) {
      showError('Vul een bedrag in euro in, bijvoorbeeld 10 of 12,50.');
      return;
    }
    const method = $('top-up-method').value;
    if (!topUpAttempt || topUpAttempt.amountCents !== amountCents
        || topUpAttempt.method !== method) {
      topUpAttempt = { key: window.crypto.randomUUID(), amountCents, method };
    }
    const key = topUpAttempt.key;
    const button = $('top-up-button');
    button.disabled = true;
    try {
      const data = await graphql(TOP_UP, {
        input: { amountCents, method, returnUrl: returnUrlFor(key), idempotencyKey: key },
      });
      const result = data.topUp;
      const retryable = result.code === 'PAYMENT_PROVIDER_UNAVAILABLE'
        || result.code === 'IDEMPOTENCY_KEY_IN_PROGRESS';
      if (!retryable) {
        topUpAttempt = null;
      }
      if (result.__typename !== 'TopUpPayload') {
        // InvalidInput lists every problem; every other error has a message to show.
        const problems = (result.problems || []).map((p) => p.message);
        showError([result.message].concat(problems).join(' '));
        return;
      }
      const paymentUrl = safeUrl(result.payment.paymentUrl);
      if (paymentUrl === null) {
        showError('De betaalpagina is niet beschikbaar.');
        return;
      }
      try {
        window.sessionStorage.setItem(
          PENDING_TOP_UP, JSON.stringify({ key, paymentId: result.payment.id }));
      } catch (_) {
        // No storage: after the return the page cannot name the payment, only the balance.
      }
      // Off to the provider's payment page; it sends the payer back to returnUrlFor(key).
      window.location.assign(paymentUrl);
    } catch (err) {
      showError(err.message);
    } finally {
      button.disabled = false;
    }
  }

  // -- Producten en bestellingen: the products (anybody), ordering and the orders ----------

  const ORDER_STATUS = {
    AWAITING_PAYMENT: 'Wacht op betaling',
    PLACED: 'In behandeling',
    DELIVERED: 'Geleverd',
    CANCELLED: 'Geannuleerd',
  };
  // The products as last read, by code (the order form needs needsFinancialYearEnd).
  let productsByCode = new Map();
  // The key of the order being tried: kept while the same order is retried after a failure
  // the server may not have seen (network), so a retry never orders (and pays) twice.
  let orderAttempt = null;

  function renderProducts(products) {
    productsByCode = new Map(products.map((product) => [product.code, product]));
    const body = $('products-body');
    clear(body);
    for (const product of products) {
      const row = document.createElement('tr');
      row.dataset.code = product.code;
      addCell(row, product.orderable ? product.name : product.name + ' (niet te bestellen)');
      // No price yet (before its first tariff) or not orderable here: said, not hidden.
      addCell(row, product.priceCents === null ? 'nog geen prijs' : formatCents(product.priceCents));
      row.cells[1].className = 'amount';
      row.classList.toggle('not-orderable', !product.orderable);
      body.appendChild(row);
    }
    // One statement for all: the API says the same for each product.
    $('vat-statement').textContent = products.length ? products[0].vatStatement : '';
    const select = $('order-product');
    const chosen = select.value;
    clear(select);
    for (const product of products.filter((p) => p.orderable)) {
      const option = document.createElement('option');
      option.value = product.code;
      option.textContent = product.name + ' (' + formatCents(product.priceCents) + ')';
      select.appendChild(option);
    }
    if (productsByCode.has(chosen)) {
      select.value = chosen;
    }
    showYearEnd();
    $('products').hidden = false;
  }

  async function loadProducts() {
    const panel = $('products');
    panel.dataset.state = 'loading';
    const data = await graphql(PRODUCTS);
    renderProducts(data.products);
    panel.dataset.state = 'ready';
  }

  // The financial year end only for products about filed annual accounts; the API refuses it
  // for the others, so a hidden field sends nothing.
  function showYearEnd() {
    const product = productsByCode.get($('order-product').value);
    const needed = Boolean(product && product.needsFinancialYearEnd);
    $('order-year-end-field').hidden = !needed;
    $('order-year-end').required = needed;
  }

  function renderOrders(connection) {
    const body = $('orders-body');
    clear(body);
    const orders = connection.edges.map((edge) => edge.node);
    $('orders-empty').hidden = orders.length > 0;
    $('order-table').hidden = orders.length === 0;
    for (const order of orders) {
      const row = document.createElement('tr');
      row.dataset.reference = order.reference;
      row.dataset.status = order.status;
      addCell(row, order.reference);
      addCell(row, order.product.name);
      // The company as the register has it now; its KVK number if it is gone.
      addCell(row, order.company ? order.company.name : order.kvkNumber);
      addCell(row, ORDER_STATUS[order.status] || order.status);
      addCell(row, formatCents(order.priceCents));
      row.cells[4].className = 'amount';
      addCell(row, MOMENT.format(new Date(order.placedAt)));
      const cell = document.createElement('td');
      const url = order.status === 'DELIVERED' ? safeUrl(order.downloadUrl) : null;
      if (url !== null) {
        // A plain link, as for the filings: a top-level GET to the API, which answers it as an
        // attachment (the page stays); the SameSite=Lax session cookie goes along with it.
        const link = document.createElement('a');
        link.href = url;
        link.className = 'download';
        link.textContent = 'Downloaden';
        cell.appendChild(link);
      }
      row.appendChild(cell);
      body.appendChild(row);
    }
  }

  async function loadOrders() {
    const panel = $('orders');
    panel.dataset.state = 'loading';
    const data = await graphql(ORDERS);
    renderOrders(data.orders);
    panel.dataset.state = 'ready';
  }

  async function placeOrder(event) {
    event.preventDefault();
    showError('');
    $('order-result').textContent = '';
    const productCode = $('order-product').value;
    const kvkNumber = $('order-kvk-number').value.trim();
    const product = productsByCode.get(productCode);
    const financialYearEnd = product && product.needsFinancialYearEnd
      ? $('order-year-end').value || null : null;
    if (!orderAttempt || orderAttempt.productCode !== productCode
        || orderAttempt.kvkNumber !== kvkNumber
        || orderAttempt.financialYearEnd !== financialYearEnd) {
      orderAttempt = {
        key: window.crypto.randomUUID(), productCode, kvkNumber, financialYearEnd,
      };
    }
    const input = { productCode, kvkNumber, idempotencyKey: orderAttempt.key };
    if (financialYearEnd) {
      input.financialYearEnd = financialYearEnd;
    }
    const button = $('place-order-button');
    button.disabled = true;
    try {
      const result = (await graphql(PLACE_ORDER, { input })).placeOrder;
      if (result.code !== 'IDEMPOTENCY_KEY_IN_PROGRESS') {
        orderAttempt = null;
      }
      if (result.__typename !== 'PlaceOrderPayload') {
        // InvalidInput lists every problem, maintenance says until when; the rest a message.
        const problems = (result.problems || []).map((p) => p.message);
        showError([result.message, result.notice].concat(problems).filter(Boolean).join(' '));
        return;
      }
      $('order-result').textContent = result.message;
      $('order-kvk-number').value = '';
      // The order is in the list (its document follows at once) and the price left the
      // balance (private accounts; a business pays by direct debit).
      const refreshes = [loadOrders()];
      if (currentViewer && currentViewer.usage === 'PRIVATE') {
        refreshes.push(loadBalancePanel());
      }
      await Promise.all(refreshes);
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
  $('top-up').addEventListener('submit', topUp);
  $('place-order').addEventListener('submit', placeOrder);
  $('order-product').addEventListener('change', showYearEnd);
  document.body.dataset.state = 'loading';
  refresh().catch((err) => {
    document.body.dataset.state = 'error';
    $('status').textContent = 'Status onbekend.';
    showError(err.message);
  });
  // Readable without signing in.
  loadProducts().catch((err) => showError(err.message));
})();
