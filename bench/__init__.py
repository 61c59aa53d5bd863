"""`make bench`: the GraphQL endpoint against a plain Starlette ceiling, in process and over HTTP."""
