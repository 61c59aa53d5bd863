// @graphiql/toolkit lazily imports the optional peer `graphql-ws` only when a
// `subscriptionUrl`/`wsClient` is configured. We don't use websocket
// subscriptions, so resolve it to this stub instead of bundling the package.
export function createClient() {
  throw new Error('GraphQL subscriptions over websockets are not enabled in this GraphiQL build.');
}
