// Tell Monaco where its web workers live. They are bundled by build.mjs as
// separate classic-script files and served from our own origin under
// /graphiql-assets/, so no CDN and no blob: workers are needed.
const ASSETS = '/graphiql-assets/';

const WORKER_FILES = {
  json: 'json.worker.js',
  graphql: 'graphql.worker.js',
};

function getWorkerUrl(_workerId, label) {
  return ASSETS + (WORKER_FILES[label] || 'editor.worker.js');
}

globalThis.MonacoEnvironment = {
  getWorkerUrl,
  getWorker(workerId, label) {
    return new Worker(getWorkerUrl(workerId, label), { name: label });
  },
};
