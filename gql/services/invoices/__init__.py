"""Invoices (SPEC §3.4): issuing them for top-ups and once a month for direct-debit
orders, their PDFs and delivery, digital invoices, copies, and reading them."""
