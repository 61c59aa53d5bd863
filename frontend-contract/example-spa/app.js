// Toegang example SPA: sign in with the session cookie, show `viewer`, sign out.
// Plain browser JavaScript, no build step, no inline scripts or styles (strict-CSP friendly),
// and every server value is written with textContent (never innerHTML).
'use strict';

(function () {
  const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

  const VIEWER = `query Viewer {
  viewer { id name accessCode usage }
}`;

  const LOG_IN = `mutation LogIn($input: LogInInput!) {
  logIn(input: $input) {
    __typename
    ... on LogInPayload { viewer { id name accessCode usage } }
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
  const $ = (id) => document.getElementById(id);

  class ApiError extends Error {}

  // One GraphQL request: a credentialed CORS POST with a JSON body. JSON is not a "simple"
  // content type, so the browser sends a preflight first; the server answers it only for
  // origins in TOEGANG_CORS_ORIGINS.
  async function graphql(query, variables) {
    let response;
    try {
      response = await fetch(API, {
        method: 'POST',
        mode: 'cors',
        credentials: 'include',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
        },
        body: JSON.stringify({ query, variables: variables || {} }),
      });
    } catch (_) {
      throw new ApiError('De API is niet bereikbaar (' + API + ').');
    }
    let body;
    try {
      body = await response.json();
    } catch (_) {
      throw new ApiError('Onverwacht antwoord van de API (HTTP ' + response.status + ').');
    }
    if (body.errors && body.errors.length) {
      throw new ApiError(body.errors.map((e) => e.message).join(' '));
    }
    return body.data;
  }

  function showError(message) {
    const el = $('error');
    el.textContent = message || '';
    el.hidden = !message;
  }

  function render(viewer) {
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
  document.body.dataset.state = 'loading';
  refresh().catch((err) => {
    document.body.dataset.state = 'error';
    $('status').textContent = 'Status onbekend.';
    showError(err.message);
  });
})();
