// Must run before Monaco is loaded (GraphiQL imports it lazily after mount).
import './monaco-environment.js';

import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

// Styles. Monaco's own CSS (incl. the codicon font) is pulled in by its ESM
// modules and bundled as well; Roboto / Fira Code come as data: URIs.
import '@graphiql/react/font/roboto.css';
import '@graphiql/react/font/fira-code.css';
import '@graphiql/react/style.css';
import '@graphiql/plugin-doc-explorer/style.css';
import '@graphiql/plugin-history/style.css';
import 'graphiql/graphiql.css';
import './app.css';

// A first document that does something real: sign in with the demo account (development
// data, see the README) and read who you are. GraphiQL keeps the session cookie.
const DEFAULT_QUERY = `# Welkom bij de Toegang API (GraphQL). / Welcome to the Toegang API.
#
# Druk op ▶: je logt in met het demo-account (alleen in een ontwikkelomgeving met
# demodata) en leest meteen wie je bent. GraphiQL bewaart de sessiecookie, dus daarna
# werkt bijvoorbeeld ook:  query { viewer { name accessCode sessionExpiresAt } }
#
# Press ▶ to sign in with the demo account (development data only) and read who you
# are. GraphiQL keeps the session cookie, so  query { viewer { name } }  works next.
# Every type and field is documented under the Docs button on the left.

mutation SignInAsDemo {
  logIn(input: {
    accessCode: "DEMA-PRVT-2345"
    password: "groene appels en rode peren"
  }) {
    __typename
    ... on LogInPayload {
      expiresAt
      viewer { name accessCode usage email sessionExpiresAt }
    }
    ... on Error { code message field }
  }
}
`;

// Same endpoint that serves this page (GET text/html -> GraphiQL, POST -> API).
const url = window.location.pathname || '/graphql';

const fetcher = createGraphiQLFetcher({
  url,
  // Plain `application/json` POST, no multipart/incremental delivery.
  enableIncrementalDelivery: false,
  // Send the session cookie along with every request.
  fetch: (input, init) => window.fetch(input, { ...init, credentials: 'same-origin' }),
});

createRoot(document.getElementById('graphiql')).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
