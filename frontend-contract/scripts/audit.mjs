// Run every graphql-http server audit (GraphQL over HTTP conformance) against a live server.
// Usage: node scripts/audit.mjs URL   e.g. node scripts/audit.mjs http://127.0.0.1:8000/graphql
// Prints {ok, notices, warnings, errors, details} as JSON; exits 1 on any error or warning
// (notices are failed MAY audits: allowed, but listed).
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node scripts/audit.mjs URL');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url })) {
  // One at a time: the order is stable and a small server is not flooded.
  results.push(await audit.fn());
}

const count = (status) => results.filter((r) => r.status === status).length;
const details = await Promise.all(
  results
    .filter((r) => r.status !== 'ok')
    .map(async (r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      reason: r.reason,
      httpStatus: r.response.status,
      body: await r.response.text().catch(() => ''),
    })),
);
const summary = {
  ok: count('ok'),
  notices: count('notice'),
  warnings: count('warn'),
  errors: count('error'),
  details,
};
console.log(JSON.stringify(summary, null, 2));
process.exit(summary.errors || summary.warnings ? 1 : 0);
