"""Bank files: the SEPA files the service makes for the bank and the reports it imports.

`records` keeps every file in the file store with one record (kind, direction, message id,
who, SHA-256, a summary) and lists them for staff; `documents` reads ISO 20022 XML safely;
`imports` is the one import path (staff upload, `toegang bank-import`), handing each file
to the importers its domains registered (`register_importer`); `status_reports` reads a
pain.002 for them; `credit_transfers` writes pain.001 files with sepaxml.
"""
