"""The payment service provider: the port the app codes against, and the providers behind it."""
