// monaco-graphql language worker (validation, completion, hover for the query editor).
import 'monaco-graphql/esm/graphql.worker.js';
