// Deployment settings for the example SPA. Replace this file when deploying; no build step.
// apiUrl: the GraphQL endpoint, on the same *site* as this page (see README.md).
// maxUploadBytes: the server's TOEGANG_MAX_UPLOAD_BYTES, checked before a file is sent.
window.TOEGANG_CONFIG = Object.freeze({
  apiUrl: 'http://127.0.0.1:8000/graphql',
  maxUploadBytes: 25 * 1024 * 1024,
});
