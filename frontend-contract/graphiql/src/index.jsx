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

const DEFAULT_QUERY = `# Welkom bij de Toegang API (GraphQL).
# Druk op ▶ om deze query uit te voeren.
query Example {
  __typename
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
